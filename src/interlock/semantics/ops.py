"""Arithmetic back ends for the one definition of the state machine.

The transition rules in `interlock.semantics.rules` are written against `Ops`: Python ints and
bools run them concretely (`CONCRETE`, here), Z3 terms run them symbolically
(`interlock.verifier.z3ops.Z3`) to build the transition relation the proofs use. The rules never
use Python's `and`/`or`/`not`/`if` on values that may be symbolic; they go through these
functions. This package imports no z3, so the monitor and replay run without it.
"""

from __future__ import annotations

from typing import Any, Protocol

Val = Any  # an int (concrete) or a z3 ArithRef (symbolic)
BoolVal = Any  # a bool (concrete) or a z3 BoolRef (symbolic)


class Ops(Protocol):
    symbolic: bool

    def ite(self, c: BoolVal, a: Val, b: Val) -> Val: ...

    def and_(self, *xs: BoolVal) -> BoolVal: ...

    def or_(self, *xs: BoolVal) -> BoolVal: ...

    def not_(self, x: BoolVal) -> BoolVal: ...

    def max_(self, a: Val, b: Val) -> Val: ...

    def min_(self, a: Val, b: Val) -> Val: ...


class ConcreteOps:
    symbolic = False

    def ite(self, c: BoolVal, a: Val, b: Val) -> Val:
        return a if c else b

    def and_(self, *xs: BoolVal) -> BoolVal:
        return all(xs)

    def or_(self, *xs: BoolVal) -> BoolVal:
        return any(xs)

    def not_(self, x: BoolVal) -> BoolVal:
        return not x

    def max_(self, a: Val, b: Val) -> Val:
        return max(a, b)

    def min_(self, a: Val, b: Val) -> Val:
        return min(a, b)


CONCRETE = ConcreteOps()
