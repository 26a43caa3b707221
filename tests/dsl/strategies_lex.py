"""Hypothesis strategies for the lexical pieces of a rule file: names, addresses, numbers,
durations, percentages and conditions over a declared context.

Everything here renders text that the front end accepts; `strategies.py` composes the pieces
into whole files. See docs/language.md for the rules these strategies respect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_utils import to_checksum_address
from hypothesis import strategies as st

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class Ctx:
    """What a file declared so far: the names a later declaration may refer to."""

    signers: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    timelocked: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    assets: dict[str, int] = field(default_factory=dict)  # name -> decimals
    feeds: tuple[str, ...] = ()
    referenced_feeds: tuple[str, ...] = ()  # feeds with a `reference` (for `deviation`)
    params: dict[str, tuple[int, int, int, str]] = field(default_factory=dict)
    # name -> (initial, min, max, safer), in whole units of the param's unit if it has one
    param_units: dict[str, str] = field(default_factory=dict)  # param -> asset, feed, USD
    metrics: tuple[str, ...] = ()
    reads: dict[str, str | None] = field(default_factory=dict)  # state read -> asset unit
    scores: tuple[str, ...] = ()
    priced: tuple[str, ...] = ()  # assets `priced by` a feed quoted in `USD` (value metrics)


# --- literals ------------------------------------------------------------------------------


def grouped(n: int) -> str:
    """`1234567` -> `1_234_567` (the underscore form the language allows)."""
    s = str(abs(n))
    parts = []
    while len(s) > 3:
        parts.append(s[-3:])
        s = s[:-3]
    parts.append(s)
    return ("-" if n < 0 else "") + "_".join(reversed(parts))


@st.composite
def integers(draw: st.DrawFn, lo: int, hi: int) -> str:
    n = draw(st.integers(lo, hi))
    return grouped(n) if draw(st.booleans()) else str(n)


@st.composite
def durations(draw: st.DrawFn, *, window: bool = False, lo_s: int = 12) -> str:
    """A positive duration; a window is a multiple of 12 s (docs/semantics.md)."""
    unit = draw(st.sampled_from(list(UNITS)))
    if unit == "s":
        n = (12 * draw(st.integers(max(1, lo_s // 12), 30)) if window
             else draw(st.integers(lo_s, 600)))
    elif unit == "m":
        n = draw(st.integers(1, 90))
    elif unit == "h":
        n = draw(st.integers(1, 72))
    elif unit == "d":
        n = draw(st.integers(1, 14))
    else:
        n = draw(st.integers(1, 4))
    return f"{n}{unit}"


@st.composite
def percents(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["int", "frac", "bps"]))
    if kind == "int":
        return f"{draw(st.integers(1, 100))}%"
    if kind == "frac":
        return f"{draw(st.integers(0, 99))}.{draw(st.integers(1, 9))}%"
    return f"{draw(st.integers(1, 10_000))}bps"


@st.composite
def amounts(draw: st.DrawFn, asset: str, decimals: int) -> str:
    whole = draw(integers(0, 10**9))
    if decimals > 0 and draw(st.booleans()):
        digits = draw(st.integers(1, min(decimals, 6)))
        frac = "".join(str(draw(st.integers(0, 9))) for _ in range(digits))
        return f"{whole}.{frac} {asset}"
    return f"{whole} {asset}"


def addresses(n: int) -> st.SearchStrategy[list[str]]:
    """`n` distinct non-zero addresses (a signer at address 0 is E0212), each checksummed,
    all-lower or (rarely) all-upper."""

    def render(raw: bytes, style: int) -> str:
        hexpart = raw.hex()
        if style == 0:
            return str(to_checksum_address("0x" + hexpart))
        if style == 1:
            return "0x" + hexpart
        return "0x" + hexpart.upper()

    raw = st.binary(min_size=20, max_size=20).filter(any)
    one = st.tuples(raw, st.sampled_from([0, 0, 0, 1, 2]))
    return st.lists(one, min_size=n, max_size=n, unique_by=lambda t: t[0]).map(
        lambda items: [render(raw, style) for raw, style in items]
    )


# --- conditions ------------------------------------------------------------------------------

CMP = ["<", "<=", ">", ">=", "==", "!="]


@st.composite
def asset_compare(draw: st.DrawFn, ctx: Ctx) -> str:
    asset = draw(st.sampled_from(sorted(ctx.assets)))
    w = draw(durations(window=True))
    lhs = draw(
        st.sampled_from([f"outflow({asset}, {w})", f"inflow({asset}, {w})", f"tvl({asset})"])
    )
    pct = draw(percents())
    rhs = draw(
        st.sampled_from(
            [
                draw(amounts(asset, ctx.assets[asset])),
                f"{pct} of tvl({asset})",
                f"inflow({asset}, {w}) + {pct} of tvl({asset})",
                f"2 * inflow({asset}, {w})",
                f"tvl({asset}) * {pct}",
                f"tvl({asset}) / {draw(st.integers(1, 12))} - inflow({asset}, {w})",
                *(f"{pct} of {p}" for p, unit in sorted(ctx.param_units.items())
                  if unit == asset),
                *(f"{r} + {pct} of tvl({asset})" for r, unit in sorted(ctx.reads.items())
                  if unit == asset),
            ]
        )
    )
    return f"{lhs} {draw(st.sampled_from(CMP))} {rhs}"


@st.composite
def feed_compare(draw: st.DrawFn, ctx: Ctx) -> str:
    options = [f"staleness({f}) > {draw(durations())}" for f in ctx.feeds]
    options += [f"change({f}, {draw(durations(window=True))}) > {draw(percents())}"
                for f in ctx.feeds]
    options += [f"deviation({f}) >= {draw(percents())}" for f in ctx.referenced_feeds]
    options += [f"price({f}) {draw(st.sampled_from(CMP))} {draw(integers(0, 10**5))}"
                + draw(st.sampled_from(["", f" {f}", ".5", f".25 {f}"])) for f in ctx.feeds]
    options += [f"price({f}) {draw(st.sampled_from(CMP))} {draw(percents())} of {p}"
                for p, f in sorted(ctx.param_units.items()) if f in ctx.feeds]
    return draw(st.sampled_from(options))


@st.composite
def value_compare(draw: st.DrawFn, ctx: Ctx) -> str:
    """`value(outflow(A, W)) > 1_000.5 USD`, `value(tvl(*)) <= 20% of value(tvl(A))`, ..."""
    target = draw(st.sampled_from(["*", *ctx.priced]))
    w = draw(durations(window=True))
    lhs = draw(st.sampled_from([f"value(outflow({target}, {w}))", f"value(inflow({target}, {w}))",
                                f"value(tvl({target}))"]))
    other = draw(st.sampled_from(["*", *ctx.priced]))
    rhs = draw(st.sampled_from([
        f"{draw(integers(0, 10**9))} USD", f"{draw(integers(0, 10**6))}.25 USD", "0",
        f"{draw(percents())} of value(tvl({other}))",
        f"value(inflow({other}, {w})) + {draw(integers(1, 10**6))} USD",
        *(f"{draw(percents())} of {p}" for p, unit in sorted(ctx.param_units.items())
          if unit == "USD")]))
    return f"{lhs} {draw(st.sampled_from(CMP))} {rhs}"


@st.composite
def count_compare(
    draw: st.DrawFn, ctx: Ctx, *, per_sender: bool = False, scope: str | None = None
) -> str:
    if per_sender:
        scope = scope or draw(st.sampled_from(ctx.scopes))
        w = draw(durations(window=True))
        return f"calls({scope}, {w}, per sender) > {draw(integers(1, 1000))}"
    options = [f"calls({s}, {draw(durations(window=True))})" for s in ctx.scopes]
    options += list(ctx.metrics) + sorted(p for p in ctx.params if p not in ctx.param_units)
    options += sorted(r for r, unit in ctx.reads.items() if unit is None)
    lhs = draw(st.sampled_from(options))
    return f"{lhs} {draw(st.sampled_from(CMP))} {draw(integers(0, 10**6))}"


@st.composite
def metric_compares(draw: st.DrawFn, ctx: Ctx) -> str:
    kinds = ["count"]
    if ctx.assets:
        kinds.append("asset")
    if ctx.feeds:
        kinds.append("feed")
    if ctx.priced:
        kinds.append("value")
    if draw(st.integers(0, 9)) == 0:
        return draw(state_atoms(ctx))
    kind = draw(st.sampled_from(kinds))
    if kind == "asset":
        return draw(asset_compare(ctx))
    if kind == "feed":
        return draw(feed_compare(ctx))
    if kind == "value":
        return draw(value_compare(ctx))
    return draw(count_compare(ctx))


@st.composite
def metric_conds(draw: st.DrawFn, ctx: Ctx, *, depth: int = 2, scores: bool = True) -> str:
    """A breaker or score condition over metrics (and scores, when allowed)."""
    if scores and ctx.scores and draw(st.integers(0, 3)) == 0:
        return f"{draw(st.sampled_from(ctx.scores))} >= {draw(integers(0, 100))}"
    if depth == 0 or draw(st.integers(0, 2)) > 0:
        return draw(metric_compares(ctx))
    op = draw(st.sampled_from(["and", "or", "not"]))
    left = draw(metric_conds(ctx, depth=depth - 1, scores=scores))
    if op == "not":
        return f"not ({left})"
    right = draw(metric_conds(ctx, depth=depth - 1, scores=scores))
    return f"({left}) {op} ({right})"


@st.composite
def state_atoms(draw: st.DrawFn, ctx: Ctx) -> str:
    options = [f"paused({s})" for s in ctx.scopes] + [f"suspended({f})" for f in ctx.feeds]
    for name, (_init, lo, hi, _safer) in sorted(ctx.params.items()):
        unit = f" {ctx.param_units[name]}" if name in ctx.param_units else ""
        options.append(f"{name} {draw(st.sampled_from(CMP))} {draw(integers(lo, hi))}{unit}")
    return draw(st.sampled_from(options))


@st.composite
def state_conds(draw: st.DrawFn, ctx: Ctx, *, depth: int = 2) -> str:
    """A predicate over the guard's state: for powers' `when` and `always` properties."""
    if depth == 0 or draw(st.integers(0, 2)) > 0:
        return draw(state_atoms(ctx))
    op = draw(st.sampled_from(["and", "or", "not", "->"]))
    left = draw(state_conds(ctx, depth=depth - 1))
    if op == "not":
        return f"not {left}" if "(" in left and " " not in left else f"not ({left})"
    right = draw(state_conds(ctx, depth=depth - 1))
    return f"({left} {op} {right})"
