"""The Z3 back end of the state machine's arithmetic (`interlock.semantics.ops.Ops`).

The same transition rules that run on ints build the transition relation of the proofs when
given `Z3`; it lives here so that `interlock.semantics` (and the monitor) never import z3.
"""

from __future__ import annotations

from typing import Any

import z3

from interlock.semantics.ops import BoolVal, Val


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


Z3 = Z3Ops()


def to_z3_bool(x: BoolVal) -> Any:
    """A Z3 BoolRef for a possibly-constant boolean."""
    if _is_const(x):
        return z3.BoolVal(bool(x))
    return x
