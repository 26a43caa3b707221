"""Priced assets, quote units and the `value(...)` metrics (docs/language.md, "Value metrics").

`asset WETH ... priced by ETH_USD` names the feed that values an asset; the feed's `quote USD`
is the unit of the value. `price_assets` checks the declarations (the feed exists and has a
quote, the decimals leave the guard's arithmetic exact, a quote unit is not also a declared
name); `value_metric` turns `value(outflow(A, W))` and friends into atoms with the unit
`value:QUOTE`, refusing an unpriced asset and a `*` over assets quoted in different units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from interlock.dsl import ast
from interlock.dsl.analysis.common import Sink, Symbols, scaled, window
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.diagnostics import Label
from interlock.ir.notional import ALL, MAX_DIV_DECIMALS, VALUE_DECIMALS

VALUE_UNIT = "value:"  # the unit of a value: `value:USD`


def price_assets(decls: Sequence[ast.AssetDecl], assets: list[ir.Asset],
                 feed_decls: Sequence[ast.FeedDecl], feeds: list[ir.Feed], symbols: Symbols,
                 sink: Sink) -> list[ir.Asset]:
    """`assets` with `priced_by` set where the declaration names a usable feed."""
    by_name = {f.name: f for f in feeds}
    for fd, f in zip(feed_decls, feeds, strict=True):
        quote = next((o for o in fd.options if o.key == "quote"), None)
        if quote is not None and f.quote in symbols.table:
            first = symbols.table[f.quote]
            article = "an" if first.kind[0] in "aeiou" else "a"
            sink.error(C.QUOTE_NAME_TAKEN, f"quote unit `{f.quote}` is also the name of "
                                           f"{article} {first.kind}", quote.span,
                       labels=[Label(span=first.decl.name.span, message="declared here")],
                       help="a unit name must say one thing: rename one of them")
    out = []
    for d, a in zip(decls, assets, strict=True):
        if d.priced_by is None or symbols.resolve(d.priced_by, ("feed",)) is None:
            out.append(a)
            continue
        feed = by_name[d.priced_by.text]
        if feed.quote is None:
            sink.error(C.NO_QUOTE, f"feed `{feed.name}` prices `{a.name}` but has no `quote` "
                                   "unit", d.priced_by.span,
                       help=f"say what its prices are in, e.g. `feed {feed.name} ... quote USD`")
        if a.decimals + feed.decimals > VALUE_DECIMALS + MAX_DIV_DECIMALS:
            sink.error(C.VALUE_DECIMALS, f"`{a.name}` ({a.decimals} decimals) priced by "
                                         f"`{feed.name}` ({feed.decimals} decimals) cannot be "
                                         "valued exactly", d.priced_by.span,
                       help=f"together at most {VALUE_DECIMALS + MAX_DIV_DECIMALS} decimals")
        out.append(a.model_copy(update={"priced_by": feed.name}))
    return out


def quotes_of(assets: Sequence[ir.Asset], feeds: Sequence[ir.Feed]) -> dict[str, str]:
    """Priced asset -> the quote unit of its feed, in declaration order."""
    quote = {f.name: f.quote for f in feeds}
    return {a.name: q for a in assets if a.priced_by and (q := quote.get(a.priced_by))}


def value_literal(e: ast.AmountLit, quote: str, sink: Sink) -> tuple[int, str] | None:
    """`1_000_000 USD`: the value in quote units with `VALUE_DECIMALS` decimals."""
    base = scaled(e.number.value, VALUE_DECIMALS, f"{e.number.raw} {quote}", e.span, sink,
                  quote)
    return None if base is None else (base, VALUE_UNIT + quote)


def value_metric(e: ast.ValueCall, quotes: Mapping[str, str], symbols: Symbols,
                 sink: Sink) -> tuple[ir.Atom, str] | None:
    """The atom of `value(...)` and its unit, or None after reporting why not."""
    what = f"`value({e.func}(...))`"
    if e.target is None:
        units = sorted(set(quotes.values()))
        if not units:
            sink.error(C.UNPRICED_ASSET, f"{what} of `*` sums no asset: none is priced",
                       e.span, help="price an asset, e.g. `asset WETH ... priced by ETH_USD`")
            return None
        if len(units) > 1:
            listed = ", ".join(f"`{u}`" for u in units)
            sink.error(C.QUOTE_MISMATCH, f"{what} of `*` would add values in {listed}",
                       e.span, help="price every asset in one quote unit, or sum them "
                                    "one asset at a time")
            return None
        target, unit = ALL, units[0]
    else:
        if symbols.resolve(e.target, ("asset",)) is None:
            return None
        target = e.target.text
        if target not in quotes:
            sink.error(C.UNPRICED_ASSET, f"`{target}` has no price, so it has no value",
                       e.target.span,
                       help=f"name its feed: `asset {target} ... priced by FEED`")
            return None
        unit = quotes[target]
    win = window(e.window, sink) if e.window is not None else None
    kind = f"value_{e.func}"
    return ir.Atom(kind=kind, target=target, window=win), VALUE_UNIT + unit
