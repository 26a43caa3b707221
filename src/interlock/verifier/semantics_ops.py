"""Arithmetic back ends for the one definition of the state machine.

The transition rules in `semantics_rules` are written against `Ops`: Python ints and bools run
them concretely (`CONCRETE`), Z3 terms run them symbolically (`Z3Ops`) to build the transition
relation the proofs use. The rules never use Python's `and`/`or`/`not`/`if` on values that may
be symbolic; they go through these functions.
"""

from __future__ import annotations

from typing import Any, Protocol

import z3

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


def _is_const(x: object) -> bool:
    return isinstance(x, bool)


class Z3Ops:
    """Z3 terms; folds Python bool constants so static decisions leave no trace in the formula."""

    symbolic = True

    def ite(self, c: BoolVal, a: Val, b: Val) -> Val:
        if _is_const(c):
            return a if c else b
        if a is b:
            return a
        return z3.If(c, a, b)

    def and_(self, *xs: BoolVal) -> BoolVal:
        if any(x is False for x in xs):
            return False
        rest = [x for x in xs if x is not True]
        if not rest:
            return True
        return rest[0] if len(rest) == 1 else z3.And(*rest)

    def or_(self, *xs: BoolVal) -> BoolVal:
        if any(x is True for x in xs):
            return True
        rest = [x for x in xs if x is not False]
        if not rest:
            return False
        return rest[0] if len(rest) == 1 else z3.Or(*rest)

    def not_(self, x: BoolVal) -> BoolVal:
        if _is_const(x):
            return not x
        return z3.Not(x)

    def max_(self, a: Val, b: Val) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return max(a, b)
        return z3.If(a >= b, a, b)

    def min_(self, a: Val, b: Val) -> Val:
        if isinstance(a, int) and isinstance(b, int):
            return min(a, b)
        return z3.If(a <= b, a, b)


CONCRETE = ConcreteOps()
Z3 = Z3Ops()


def to_z3_bool(x: BoolVal) -> Any:
    """A Z3 BoolRef for a possibly-constant boolean."""
    if _is_const(x):
        return z3.BoolVal(bool(x))
    return x
