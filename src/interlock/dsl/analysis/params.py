"""Params -> IR, with their units: `param cap = 1_000_000 USDC in [0, 5_000_000] safer lower`.

A param with a unit (an asset, a feed, or a quote unit: a value with 18 decimals) holds base
units of it, exactly like the metrics it is
compared with: `1_000_000 USDC` is stored as 10**12, on chain and off chain, so no back end
scales anything (docs/language.md, "Params with units"). The unit written after the initial
value applies to the bounds, which may repeat it; `within` bounds of a `set` power likewise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from interlock.dsl import ast
from interlock.dsl.analysis.common import INT256_MAX, Sink, Symbols, integer, scaled
from interlock.ir import codes as C
from interlock.ir import nodes as ir


@dataclass(frozen=True)
class Units:
    """What the values of params are checked against: declared names and their decimals."""

    symbols: Symbols
    sink: Sink
    decimals: Callable[[str], int]  # asset, feed or quote unit name -> decimals
    quotes: frozenset[str] = frozenset()  # quote units (`USD`): a param may hold a value

    def unit_of(self, name: ast.Name) -> str | None:
        """`name` as a param's unit (an asset or a feed), or None after reporting why not."""
        sym = self.symbols.table.get(name.text)
        if sym is None and name.text in self.quotes:
            return name.text
        if sym is None:
            self.symbols.resolve(name, ("asset", "feed"))
            return None
        if sym.kind not in ("asset", "feed"):
            self.sink.error(C.BAD_UNIT_NAME, f"`{name.text}` is a {sym.kind}, not an asset or a "
                                             "feed, so it cannot be a unit", name.span)
            return None
        return name.text

    def value(self, num: ast.Number, written: ast.Name | None, unit: str | None,
              what: str) -> int | None:
        """`num` (with the unit `written` after it, if any) in the base units of `unit`."""
        lo, hi = -INT256_MAX, INT256_MAX
        if written is not None and written.text != unit:
            expected = f"`{unit}`, the param's unit" if unit else "no unit (the param has none)"
            self.sink.error(C.UNIT_MISMATCH, f"{what} is in `{written.text}`, expected {expected}",
                            written.span,
                            help=None if unit else "put the unit after the initial value")
            return None
        if unit is None:
            return integer(num, self.sink, what, lo=lo, hi=hi)
        base = scaled(num.value, self.decimals(unit), f"{num.raw} {unit}", num.span, self.sink,
                      unit)
        if base is not None and not lo <= base <= hi:
            self.sink.error(C.OUT_OF_RANGE, f"{what} `{num.raw} {unit}` does not fit in 256 bits",
                            num.span)
            return None
        return base


def param(d: ast.ParamDecl, index: int, units: Units) -> ir.Param | None:
    sink = units.sink
    unit = units.unit_of(d.unit) if d.unit is not None else None
    if d.unit is not None and unit is None:
        return None
    initial = units.value(d.initial, d.unit, unit, "a param value")
    low = units.value(d.low, d.bound_units[0], unit, "a param bound")
    high = units.value(d.high, d.bound_units[1], unit, "a param bound")
    if initial is None or low is None or high is None:
        return None
    if low > high:
        sink.error(C.BAD_PARAM_RANGE, f"the range [{low}, {high}] is empty", d.low.span)
        return None
    if not low <= initial <= high:
        sink.error(C.BAD_PARAM_RANGE, f"initial value {initial} is outside [{low}, {high}]",
                   d.initial.span)
        return None
    return ir.Param(name=d.name.text, index=index, initial=initial, min=low, max=high,
                    safer=d.safer, unit=unit, span=d.span)


def condition_unit(p: ir.Param, symbols: Symbols) -> str:
    """The unit a param has in conditions: `asset:NAME`, `feed:NAME`, `value:QUOTE` (a quote
    unit is no declaration), or plain `param`."""
    if p.unit is None:
        return "param"
    sym = symbols.table.get(p.unit)
    return f"{sym.kind}:{p.unit}" if sym is not None else f"value:{p.unit}"
