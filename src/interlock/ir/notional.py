"""Notional values: `value(outflow(A, W))`, `value(inflow(A, W))`, `value(tvl(A))` and their
sums over every priced asset (`A` = `*`), shared by the monitor, the test chains, the verifier
and the guard generator (docs/language.md, "Value metrics").

A value is an amount of the asset's quote unit (the `quote` of the feed its `priced by` names)
with `VALUE_DECIMALS` decimals. For one asset with `dA` decimals priced by a feed with `dF`:

    value = min(SAT, floor(min(amount, SAT) * min(price, SAT) * mul / div))

where `mul / div = 10**(VALUE_DECIMALS - dA - dF)` (`scale`: one of them is 1), `amount` is the
asset metric (base units, saturated as the guard reads it) and `price` the feed's `price`
(answer clamped at 0, saturated). The sum over assets (`*`) adds the per-asset values (each
floored on its own) and saturates. The guard computes the same with `Math.mulDiv`
(`_notional` in templates/core_internal_flows.sol.j2); the amount is priced at the time the
value is read ("mark to market"), with the price read then.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.ir.metric_arith import SATURATION
from interlock.ir.nodes import Atom, Program

VALUE_DECIMALS = 18  # a value of `1 USD` is 10**18
ALL = "*"  # the target of a sum over every priced asset
VALUE_KINDS = frozenset({"value_outflow", "value_inflow", "value_tvl"})
PART_KIND = {"value_outflow": "outflow", "value_inflow": "inflow", "value_tvl": "tvl"}
VALUE_OF_KIND = {v: k for k, v in PART_KIND.items()}
# The guard divides by `div * (SAT + 1)`, which must fit in 256 bits: `div <= 10**38`
# (`dA + dF <= VALUE_DECIMALS + MAX_DIV_DECIMALS`; the front end refuses more, E0414).
MAX_DIV_DECIMALS = 38


@dataclass(frozen=True)
class Part:
    """One priced asset of a value atom: the amount atom and the price atom it multiplies."""

    asset: str
    feed: str
    amount: Atom  # outflow / inflow (same window) / tvl of `asset`
    price: Atom  # price(feed)
    mul: int
    div: int


def scale(asset_decimals: int, feed_decimals: int) -> tuple[int, int]:
    """`(mul, div)` with `mul / div = 10**(VALUE_DECIMALS - dA - dF)`, one of them 1."""
    shift = VALUE_DECIMALS - asset_decimals - feed_decimals
    return (10**shift, 1) if shift >= 0 else (1, 10**-shift)


def notional(amount: int, price: int, mul: int, div: int) -> int:
    """One asset's value: `min(SAT, floor(min(amount, SAT) * min(price, SAT) * mul / div))`."""
    a, p = min(max(amount, 0), SATURATION), min(max(price, 0), SATURATION)
    return min(SATURATION, a * p * mul // div)


def total(values: list[int]) -> int:
    """The value of a `*` sum: the per-asset values added, saturated."""
    return min(SATURATION, sum(values))


def priced(program: Program) -> tuple[str, ...]:
    """The assets with a `priced by` feed, in declaration order (what `*` sums)."""
    return tuple(a.name for a in program.assets if a.priced_by is not None)


def parts(program: Program, atom: Atom) -> tuple[Part, ...]:
    """The priced assets a value atom multiplies, in declaration order."""
    names = priced(program) if atom.target == ALL else (atom.target,)
    out = []
    for name in names:
        asset = program.asset(name)
        assert asset.priced_by is not None, f"`{name}` is not priced"
        feed = program.feed(asset.priced_by)
        mul, div = scale(asset.decimals, feed.decimals)
        amount = Atom(kind=PART_KIND[atom.kind], target=name,
                          window=atom.window)
        out.append(Part(name, feed.name, amount, Atom(kind="price", target=feed.name),
                        mul, div))
    return tuple(out)


def value_from(program: Program, atom: Atom, read: dict[Atom, int]) -> int:
    """A value atom's value from its parts' values (`read` holds every part atom)."""
    return total([notional(read[p.amount], read[p.price], p.mul, p.div)
                  for p in parts(program, atom)])


def part_atoms(program: Program, atom: Atom) -> tuple[Atom, ...]:
    """The plain atoms a value atom reads (amounts, then prices), de-duplicated; () for an atom
    that is not a value."""
    if atom.kind not in VALUE_KINDS:
        return ()
    ps = parts(program, atom)
    return tuple(dict.fromkeys([*(p.amount for p in ps), *(p.price for p in ps)]))


def assets_read(program: Program, atom: Atom) -> tuple[str, ...]:
    """The assets whose flows or balances a value atom reads."""
    return tuple(p.asset for p in parts(program, atom)) if atom.kind in VALUE_KINDS else ()


def feeds_priced(program: Program, atom: Atom) -> tuple[str, ...]:
    """The feeds a value atom reads."""
    if atom.kind not in VALUE_KINDS:
        return ()
    return tuple(dict.fromkeys(p.feed for p in parts(program, atom)))


def quote_of(program: Program, atom: Atom) -> str:
    """The quote unit of a value atom (the front end makes every part's the same)."""
    return program.feed(parts(program, atom)[0].feed).quote or "?"


def value_text(program: Program, atom: Atom, value: int) -> str:
    """`1000000.000000000000000001 USD`: a value in whole quote units, exactly."""
    whole, frac = divmod(value, 10**VALUE_DECIMALS)
    digits = f"{frac:0{VALUE_DECIMALS}d}".rstrip("0")
    return f"{whole}{'.' + digits if digits else ''} {quote_of(program, atom)}"
