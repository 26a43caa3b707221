"""`set P ... by at most X% per D` / `by at most N per D`: a power's step bound -> IR.

The guard checks a relative step as `q * |v - b| <= p * b` with `p/q` the percentage in lowest
terms, and an absolute one as `|v - b| <= N`, both in 256-bit integers; the checks here make
sure no value of the param's range can overflow them (docs/language.md, "Step bounds").
"""

from __future__ import annotations

from fractions import Fraction

from interlock.dsl import ast
from interlock.dsl.analysis.common import seconds
from interlock.dsl.analysis.params import Units
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.diagnostics import Label
from interlock.ir.metric_arith import WAD

INT256_MAX = 2**255 - 1


def set_step(s: ast.SetStepAst, p: ir.Param, units: Units) -> ir.SetStep | None:
    sink = units.sink
    period = seconds(s.period, sink, "a step's period", positive=True)
    if isinstance(s.amount, ast.Percent):
        amount = _relative(s.amount, p, units)
    else:
        amount = units.value(s.amount, s.unit, p.unit, "a step bound")
        if amount is not None and amount <= 0:
            sink.error(C.BAD_STEP, "a step bound must be more than zero", s.amount.span)
            amount = None
        if amount is not None and p.max - p.min > INT256_MAX:
            sink.error(C.BAD_STEP, f"`{p.name}`'s range is too wide for a step bound (the "
                                   "difference of two values must fit in 255 bits)",
                       s.amount.span)
            amount = None
    if amount is None or period == 0:
        return None
    return ir.SetStep(relative=isinstance(s.amount, ast.Percent), amount=amount, period=period)


def _relative(pct: ast.Percent, p: ir.Param, units: Units) -> int | None:
    sink = units.sink
    wad = pct.ratio * WAD
    if wad <= 0 or wad.denominator != 1:
        sink.error(C.BAD_STEP, f"a relative step must be more than zero and a whole number of "
                               f"10^-16 %, found `{pct.raw}`", pct.span)
        return None
    if p.min < 0:
        sink.error(C.SIGNED_RELATIVE_STEP, f"a relative step needs a param that cannot be "
                                           f"negative, but `{p.name}` may be {p.min}", pct.span,
                   labels=[Label(span=p.span, message="declared here")],
                   help="write an absolute step (`by at most N per D`) instead")
        return None
    reduced = Fraction(int(wad), WAD)
    if max(p.max, 1) * max(reduced.numerator, reduced.denominator) > 2**256 - 1:
        sink.error(C.BAD_STEP, f"`{pct.raw}` of `{p.name}`'s largest value does not fit in "
                               "256 bits", pct.span)
        return None
    return int(wad)
