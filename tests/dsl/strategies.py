"""Hypothesis strategies that generate random VALID rule files as text.

`guard_files()` draws a whole file: signers (some grouped by entity), an agent, maybe a `group`
of signers, roles with nested thresholds/and/or/after (a threshold may list the group), scopes
with max/gap, assets, vaults, feeds, params (some with an asset, a feed or USD as unit), a
custom metric, custom state reads (with an asset as unit or none, constant arguments), a
score, breakers using every effect kind, maybe a `for each` (nested or not), powers of every
kind with cooldown/when, and invariants of every kind. Files stay small (at most 4 scopes,
5 breakers and a `for each`, 5 powers) so that the verifier can analyse them; every file must
compile without error diagnostics (checked by tests/dsl/test_roundtrip.py). The invariants
are well-formed but not necessarily true.

Used by the front-end round-trip and fuzz tests and by the verifier's soundness tests:

    from tests.dsl.strategies import guard_files, guard_programs

    @given(guard_files())
    def test_something(text: str) -> None: ...

    @given(guard_programs())
    def test_something_else(program: ir.Program) -> None: ...
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from interlock.dsl.frontend import compile_text
from interlock.ir import nodes as ir
from tests.dsl.strategies_lex import (
    Ctx,
    addresses,
    amounts,
    count_compare,
    durations,
    metric_conds,
    percents,
    state_conds,
)

POWER_KINDS = ["pause", "unpause", "suspend", "resume", "set", "extend", "cancel", "unblock"]


def _names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


@st.composite
def _role_expr(draw: st.DrawFn, members: list[str], depth: int,
               groups: dict[str, list[str]] | None = None) -> str:
    """A role expression; a threshold list may name a group (spliced by the front end), never
    together with one of the group's members (that would list a member twice, E0208)."""
    groups = groups or {}
    if depth == 0 or draw(st.integers(0, 2)) > 0:
        if len(members) > 1 and draw(st.integers(0, 3)) > 0:
            pool = members + sorted(groups)
            chosen = draw(st.lists(st.sampled_from(pool), min_size=1, unique=True))
            spliced = {m for g in chosen if g in groups for m in groups[g]}
            chosen = [m for m in chosen if m not in spliced]
            size = sum(len(groups[m]) if m in groups else 1 for m in chosen)
            k = draw(st.integers(1, size))
            return f"{k} of [{', '.join(chosen)}]"
        return draw(st.sampled_from(members))
    op = draw(st.sampled_from(["and", "or"]))
    left = draw(_role_expr(members, depth - 1, groups))
    right = draw(_role_expr(members, depth - 1, groups))
    return f"({left}) {op} ({right})" if draw(st.booleans()) else f"{left} {op} {right}"


@st.composite
def _targets(draw: st.DrawFn, names: tuple[str, ...]) -> str:
    style = draw(st.sampled_from(["star", "list", "except"]))
    if style == "star":
        return "*"
    if style == "except" and len(names) > 1:
        left_out = draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names) - 1,
                                 unique=True))
        return f"* except {', '.join(left_out)}"
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    return ", ".join(chosen)


@st.composite
def _set_value(draw: st.DrawFn, ctx: Ctx, param: str) -> str:
    """A value on the param's safer side of its initial value, inside its range."""
    initial, lo, hi, safer = ctx.params[param]
    value = draw(st.integers(lo, initial) if safer == "lower" else st.integers(initial, hi))
    unit = f" {ctx.param_units[param]}" if param in ctx.param_units else ""
    return (str(value) if value >= 0 else f"-{abs(value)}") + unit


@st.composite
def _effect(draw: st.DrawFn, ctx: Ctx, kind: str) -> str:
    d = draw(durations())
    if kind == "pause":
        return f"pause {draw(_targets(ctx.scopes))} for {d}"
    if kind == "suspend":
        return f"suspend {draw(_targets(ctx.feeds))} for {d}"
    if kind == "set":
        param = draw(st.sampled_from(sorted(ctx.params)))
        return f"set {param} to {draw(_set_value(ctx, param))} for {d}"
    if kind.startswith("block"):
        scope = kind.partition(":")[2]
        return f"block sender {f'from {scope} ' if scope else ''}for {d}"
    text = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126,
                                      exclude_characters='"#\\'), max_size=30))
    return f'alert "{text}"'


@st.composite
def _breaker(draw: st.DrawFn, ctx: Ctx, name: str) -> str:
    kinds = ["pause", "alert", "block"]
    kinds += ["suspend"] if ctx.feeds else []
    kinds += ["set"] if ctx.params else []
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3, unique=True))
    if "block" in chosen:
        scope = draw(st.sampled_from(ctx.scopes))
        cond = draw(count_compare(ctx, per_sender=True, scope=scope))
        if draw(st.booleans()):
            cond = f"{cond} and ({draw(metric_conds(ctx, depth=1))})"
        chosen[chosen.index("block")] = "block:" + scope if draw(st.booleans()) else "block"
    else:
        cond = draw(metric_conds(ctx))
    effects = [draw(_effect(ctx, k)) for k in chosen]
    sep = draw(st.sampled_from([", ", ",\n       "]))
    cooldown = draw(st.one_of(st.none(), durations()))
    lines = [f"breaker {name} {{", f"  when {cond}", f"  then {sep.join(effects)}"]
    if cooldown is not None:
        lines.append(f"  cooldown {cooldown}")
    return "\n".join([*lines, "}"])


@st.composite
def _hold_breaker(draw: st.DrawFn, ctx: Ctx, name: str) -> str:
    """A per-transaction cap (issue 15, items 2 and 7): `flow(A)` against a share of the tvl or
    an amount, holding the flow, maybe with a pause too."""
    asset = draw(st.sampled_from(sorted(ctx.assets)))
    cap = draw(st.sampled_from([f"{draw(percents())} of tvl({asset})",
                                draw(amounts(asset, ctx.assets[asset]))]))
    cond = f"flow({asset}) > {cap}"
    if draw(st.booleans()):
        cond += f" or flow({asset}) >= {draw(amounts(asset, ctx.assets[asset]))}"
    effects = [f"hold flow for {draw(durations())}"]
    if draw(st.booleans()):
        effects.append(f"pause {draw(_targets(ctx.scopes))} for {draw(durations())}")
    return f"breaker {name} {{\n  when {cond}\n  then {', '.join(effects)}\n}}"


@st.composite
def _power(draw: st.DrawFn, ctx: Ctx) -> str:
    kinds = ["pause", "unpause", "extend", "unblock"]
    kinds += ["suspend", "resume"] if ctx.feeds else []
    kinds += ["set"] if ctx.params else []
    kinds += ["cancel"] if ctx.timelocked else []
    kind = draw(st.sampled_from(kinds))
    role = draw(st.sampled_from(ctx.roles))
    d = draw(durations())
    if kind in ("pause", "suspend"):
        names = ctx.scopes if kind == "pause" else ctx.feeds
        body = f"{kind} {draw(_targets(names))} for at most {d}"
    elif kind in ("unpause", "resume", "unblock"):
        body = f"{kind} {draw(_targets(ctx.feeds if kind == 'resume' else ctx.scopes))}"
    elif kind == "extend":
        body = f"extend {draw(_targets(ctx.scopes))} by at most {d}"
    elif kind == "set":
        param = draw(st.sampled_from(sorted(ctx.params)))
        _init, lo, hi = ctx.params[param][:3]
        body = f"set {param}"
        if draw(st.booleans()):
            a = draw(st.integers(lo, hi))
            b = draw(st.integers(a, hi))
            unit = ctx.param_units.get(param)  # bounds take the param's unit, or repeat it
            low, high = (f"{n} {unit}" if unit and draw(st.booleans()) else str(n)
                         for n in (a, b))
            body += f" within [{low}, {high}]"
        if draw(st.booleans()):
            body += draw(_step(lo, ctx.param_units.get(param)))
    else:
        body = f"cancel {draw(st.sampled_from(ctx.timelocked))}"
    text = f"allow {role} to {body}"
    if kind != "cancel" and draw(st.booleans()):
        text += f" cooldown {draw(durations())}"
    if draw(st.integers(0, 2)) == 0:
        text += f" when {draw(state_conds(ctx))}"
    return text


@st.composite
def _step(draw: st.DrawFn, lo: int, unit: str | None) -> str:
    """` by at most 100% per 3d` (a param that cannot be negative) or ` by at most 5 per 1d`."""
    if lo >= 0 and draw(st.booleans()):
        size = draw(st.sampled_from(["100%", "50%", "2.5%", "25bps", "300%"]))
    else:
        n = draw(st.integers(1, 10_000))
        size = f"{n} {unit}" if unit and draw(st.booleans()) else str(n)
    return f" by at most {size} per {draw(durations())}"


@st.composite
def _property(draw: st.DrawFn, ctx: Ctx) -> str:
    kind = draw(st.sampled_from(["always", "paused", "blocked", "never", "signer", "entity",
                                 "min"]))
    if kind == "signer":
        excepted = draw(st.lists(st.sampled_from(POWER_KINDS), max_size=2, unique=True))
        return "no unilateral signer" + (f" except {', '.join(excepted)}" if excepted else "")
    if kind == "entity":
        return "no unilateral entity"
    if kind == "min":
        unit = draw(st.sampled_from(["signers", "entities", "signer", "entity"]))
        return f"every power needs {draw(st.integers(1, 3))} {unit}"
    if kind == "always":
        text = f"always {draw(state_conds(ctx))}"
    elif kind == "paused":
        text = f"{draw(st.sampled_from(ctx.scopes))} paused at most {draw(durations())}"
        if draw(st.booleans()):
            text += f" then open {draw(durations())}"
    elif kind == "blocked":
        text = f"{draw(st.sampled_from(ctx.scopes))} blocked at most {draw(durations())}"
    else:
        text = f"{draw(st.sampled_from(ctx.scopes))} never locked forever"
    assumed = draw(st.lists(st.sampled_from(ctx.roles), max_size=2, unique=True))
    return text + (f" assuming {', '.join(assumed)}" if assumed else "")


@st.composite
def _header(draw: st.DrawFn) -> tuple[list[str], Ctx]:
    """protocol, signers, agent, roles, scopes, assets, vaults, feeds, params."""
    n_sig = draw(st.integers(1, 5))
    n_roles = draw(st.integers(1, 3))
    n_scopes = draw(st.integers(1, 4))
    n_assets = draw(st.integers(0, 2))
    n_vaults = draw(st.integers(1, 2)) if n_assets else 0
    n_feeds = draw(st.integers(0, 2))
    refs = draw(st.lists(st.booleans(), min_size=n_feeds, max_size=n_feeds))
    addrs = iter(draw(addresses(n_sig + 1 + n_assets + n_vaults + n_feeds + sum(refs))))
    lines = [f"protocol {draw(st.sampled_from(['Venue', 'Market', 'Bridge', 'Pool']))}"
             f"{draw(st.integers(0, 99))}"]
    signers = _names("sig", n_sig)
    for s in signers:
        org = draw(st.one_of(st.none(), st.sampled_from(["org_a", "org_b", "org_c"])))
        lines.append(f"signer {s} {next(addrs)}" + (f" entity {org}" if org else ""))
    lines.append(f"agent bot {next(addrs)}")
    groups: dict[str, list[str]] = {}
    if n_sig > 1 and draw(st.booleans()):
        groups["keys0"] = draw(st.lists(st.sampled_from(signers), min_size=1, unique=True))
        lines.append(f"group keys0 = [{', '.join(groups['keys0'])}]")
    roles: list[str] = []
    timelocked: list[str] = []
    for r in _names("role", n_roles):
        expr = draw(_role_expr(signers + roles, depth=2, groups=groups))
        after = draw(st.one_of(st.none(), durations()))
        lines.append(f"role {r} = {expr}" + (f" after {after}" if after else ""))
        roles.append(r)
        if after:
            timelocked.append(r)
    scopes = _names("scope", n_scopes)
    for s in scopes:
        opts = [f"max {draw(durations())}"] if draw(st.booleans()) else []
        opts += [f"gap {draw(durations())}"] if draw(st.booleans()) else []
        lines.append(" ".join([f"scope {s}", *opts]))
    assets = {a: draw(st.sampled_from([0, 6, 8, 18])) for a in _names("TOK", n_assets)}
    feeds = _names("FEED", n_feeds)
    pricing = {a: draw(st.one_of(st.none(), st.sampled_from(feeds))) if feeds else None
               for a in assets}
    for a, dec in assets.items():
        priced = f" priced by {pricing[a]}" if pricing[a] else ""
        lines.append(f"asset {a} {next(addrs)} decimals {dec}{priced}")
    for i, v in enumerate(_names("vault", n_vaults)):
        held = sorted(assets) if i == 0 else draw(
            st.lists(st.sampled_from(sorted(assets)), min_size=1, unique=True))
        lines.append(f"vault {v} {next(addrs)} holds {', '.join(held)}")
    for f, ref in zip(feeds, refs, strict=True):
        text = f"feed {f} {next(addrs)} decimals {draw(st.sampled_from([8, 18]))}"
        opts = [f"reference {next(addrs)}"] if ref else []
        opts += [f"heartbeat {draw(durations())}"] if draw(st.booleans()) else []
        opts += ["quote USD"] if f in pricing.values() or draw(st.booleans()) else []
        lines.append(" ".join([text, *draw(st.permutations(opts))]))
    params: dict[str, tuple[int, int, int, str]] = {}
    units: dict[str, str] = {}
    for p in _names("par", draw(st.integers(0, 2))):
        lo = draw(st.integers(-100, 1000))
        hi = draw(st.integers(lo, lo + 10_000))
        init = draw(st.integers(lo, hi))
        safer = draw(st.sampled_from(["lower", "higher"]))
        params[p] = (init, lo, hi, safer)
        # an asset (an amount), a feed (a price) or the quote unit of the pricing feeds (a value)
        kinds = sorted(assets) + feeds + (["USD"] if any(pricing.values()) else [])
        unit = draw(st.one_of(st.none(), st.sampled_from(kinds))) if kinds else None
        if unit is None:
            lines.append(f"param {p} = {init} in [{lo}, {hi}] safer {safer}")
            continue
        units[p] = unit
        high = f"{hi} {unit}" if draw(st.booleans()) else str(hi)  # a bound may repeat it
        lines.append(f"param {p} = {init} {unit} in [{lo}, {high}] safer {safer}")
    ctx = Ctx(signers=tuple(signers), roles=tuple(roles), timelocked=tuple(timelocked),
              scopes=tuple(scopes), assets=assets, feeds=tuple(feeds),
              referenced_feeds=tuple(f for f, r in zip(feeds, refs, strict=True) if r),
              params=params, param_units=units,
              priced=tuple(a for a in assets if pricing[a]))
    return lines, ctx


@st.composite
def _metric(draw: st.DrawFn, ctx: Ctx, name: str) -> str:
    at = draw(st.sampled_from(["vault0"] if ctx.assets else ["0x" + "ab" * 20]))
    window = draw(durations(window=True))
    event = draw(st.sampled_from(["Borrow(address indexed who, uint256 amount)",
                                  "Borrow(address indexed, uint256 amount, bytes32[] ids)"]))
    if draw(st.booleans()):
        return f"metric {name} = count({event} at {at}, {window})"
    return f"metric {name} = sum({event}.amount at {at}, {window})"


@st.composite
def _reads(draw: st.DrawFn, ctx: Ctx) -> tuple[list[str], dict[str, str | None]]:
    """Up to two custom state reads: an asset-valued `totalSupply`/`balanceOf` and a plain
    integer with constant arguments."""
    out: list[str] = []
    units: dict[str, str | None] = {}
    target = draw(st.sampled_from(["0x" + "cd" * 20, *(["vault0"] if ctx.assets else [])]))
    if ctx.assets and draw(st.booleans()):
        asset = draw(st.sampled_from(sorted(ctx.assets)))
        sig = draw(st.sampled_from(['"totalSupply()(uint256)"',
                                    '"balanceOf(address)(uint256)" (0x' + "ef" * 20 + ")"]))
        out.append(f"read read0 = call {target} {sig} {asset}")
        units["read0"] = asset
    if draw(st.booleans()):
        n, k = draw(st.integers(0, 255)), draw(st.integers(-2**15, 2**15 - 1))
        out.append(f'read read1 = call {target} "util(uint8,int16)(int256)" ({n}, {k})')
        units["read1"] = None
    return out, units


@st.composite
def _foreach(draw: st.DrawFn, ctx: Ctx, n: int) -> tuple[str, int, int]:
    """A `for each` over assets (per-asset breakers, maybe nested over scopes) or over scopes
    (per-scope powers); names made unique per instance with `{VAR}` placeholders. Returns the
    text and how many breakers and powers it expands to (at most two of either)."""
    if len(ctx.assets) > 0 and draw(st.booleans()):
        items = draw(st.lists(st.sampled_from(sorted(ctx.assets)), min_size=1, max_size=2,
                              unique=True))
        w, pct, d = draw(durations(window=True)), draw(percents()), draw(durations())
        nested = draw(st.booleans())
        target = "s" if nested else draw(_targets(ctx.scopes))
        breaker = (f"breaker fe{n}_{{a}}{'_{s}' if nested else ''} {{\n"
                   f"    when outflow(a, {w}) > {pct} of tvl(a)\n"
                   f"    then pause {target} for {d}\n  }}")
        if nested:  # at most two copies in all, so that files stay small
            items = items[:1]
            scopes = draw(st.lists(st.sampled_from(ctx.scopes), min_size=1, max_size=2,
                                   unique=True))
            breaker = f"for each s in [{', '.join(scopes)}] {{\n  {breaker}\n}}"
            return f"for each a in [{items[0]}] {{\n  {breaker}\n}}", len(scopes), 0
        return f"for each a in [{', '.join(items)}] {{\n  {breaker}\n}}", len(items), 0
    items = draw(st.lists(st.sampled_from(ctx.scopes), min_size=1, max_size=2, unique=True))
    role = draw(st.sampled_from(ctx.roles))
    text = f"for each x in [{', '.join(items)}] {{\n  allow {role} to unpause x\n}}"
    return text, 0, len(items)


@st.composite
def guard_files(draw: st.DrawFn, *, max_breakers: int = 5, max_powers: int = 5,
                max_invariants: int = 4) -> str:
    """A random valid rule file (text)."""
    lines, ctx = draw(_header())
    if draw(st.booleans()):
        lines.append(draw(_metric(ctx, "custom0")))
        ctx = replace(ctx, metrics=("custom0",))
    read_lines, read_units = draw(_reads(ctx))
    lines += read_lines
    ctx = replace(ctx, reads=read_units)
    if draw(st.booleans()):
        tiers = draw(st.lists(st.tuples(st.integers(1, 100), metric_conds(ctx, depth=1,
                                                                           scores=False)),
                              min_size=1, max_size=3))
        body = "\n".join(f"  {w} when {c}" for w, c in tiers)
        lines.append(f"score risk0 {{\n{body}\n}}")
        ctx = replace(ctx, scores=("risk0",))
    repeated, n_brk, n_pow = "", 0, 0  # what a `for each` adds counts against the limits
    if max_breakers >= 2 and max_powers >= 2 and draw(st.integers(0, 2)) == 0:
        repeated, n_brk, n_pow = draw(_foreach(ctx, 0))
    held: list[str] = []  # a hold breaker (and its cancel power) count against the limits too
    if ctx.assets and n_brk < max_breakers and draw(st.integers(0, 3)) == 0:
        held.append(draw(_hold_breaker(ctx, "hold0")))
        n_brk += 1
        if n_pow < max_powers and draw(st.booleans()):
            held.append(f"allow {draw(st.sampled_from(ctx.roles))} to cancel holds")
            n_pow += 1
    for name in _names("brk", draw(st.integers(0, max_breakers - n_brk))):
        lines.append(draw(_breaker(ctx, name)))
    lines += [repeated] if repeated else []
    lines += held
    for _ in range(draw(st.integers(0, max_powers - n_pow))):
        lines.append(draw(_power(ctx)))
    for name in _names("inv", draw(st.integers(1, max_invariants))):
        lines.append(f"invariant {name}: {draw(_property(ctx))}")
    lines = [draw(_respaced(line)) for line in lines]
    seps = draw(st.lists(st.sampled_from(["\n", "\n\n", "\n# a comment\n", "\n  \n",
                                          "  # trailing comment\n"]),
                         min_size=len(lines), max_size=len(lines)))
    return "".join(line + sep for line, sep in zip(lines, seps, strict=True))


@st.composite
def _respaced(draw: st.DrawFn, line: str) -> str:
    """The same tokens with other whitespace (newlines are whitespace too), quotes untouched."""
    space = draw(st.sampled_from([" ", " ", " ", "  ", "\n    ", "\t"]))
    if space == " ":
        return line
    parts = line.split('"')
    parts[::2] = [p.replace(" ", space) for p in parts[::2]]
    return '"'.join(parts)


def _compiled(text: str) -> ir.Program:
    result = compile_text(text, "generated.guard")
    assert result.program is not None, [d.message for d in result.diagnostics] + [text]
    return result.program


def guard_programs(**limits: int) -> st.SearchStrategy[ir.Program]:
    """The checked IR of `guard_files(**limits)` (the front end must accept every file)."""
    return guard_files(**limits).map(_compiled)


__all__ = ["guard_files", "guard_programs"]
