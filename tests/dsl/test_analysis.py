"""Analysis: the IR values of the SPEC example, and the normalisation and unit rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.dsl.frontend import compile_text
from interlock.ir import nodes as ir

DATA = Path(__file__).parent / "data"
SPEC = (DATA / "perp_venue.guard").read_text(encoding="utf-8")
WAD = 10**18


@pytest.fixture(scope="module")
def program() -> ir.Program:
    result = compile_text(SPEC, "perp_venue.guard")
    assert result.diagnostics == ()
    assert result.program is not None
    return result.program


def test_declarations(program: ir.Program) -> None:
    assert program.protocol == "PerpVenue"
    assert [s.name for s in program.signers] == ["alice", "bob", "carol", "dave", "erin"]
    assert [s.index for s in program.signers] == [0, 1, 2, 3, 4]
    assert program.signer("bob").entity == "foundation"
    assert program.agents[0].name == "watcher"
    assert [(s.name, s.index) for s in program.scopes] == [
        ("deposits", 0), ("withdrawals", 1), ("trading", 2), ("liquidations", 3)]
    withdrawals = program.scope("withdrawals")
    assert (withdrawals.max_pause, withdrawals.gap) == (259200, 86400)
    assert program.scope("deposits").max_pause is None
    assert program.asset("USDC").address == "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
    feed = program.feed("ETH_USD")
    assert feed.address == "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419"
    assert feed.reference == "0x8888888888888888888888888888888888888888"
    assert (feed.decimals, feed.index) == (8, 0)
    param = program.param("max_leverage")
    assert (param.initial, param.min, param.max, param.safer) == (20, 2, 50, "lower")
    assert program.vaults[0].holds == ("USDC",)


def test_roles(program: ir.Program) -> None:
    guardian = program.role("guardian")
    assert isinstance(guardian.expr, ir.Threshold) and guardian.expr.k == 2
    assert [m.name for m in guardian.expr.members] == ["alice", "carol", "dave"]
    governor = program.role("governor")
    assert governor.expr == ir.RoleMember(name="council")
    assert governor.delay == 48 * 3600


def test_drain_is_ten_percent_of_tvl(program: ir.Program) -> None:
    drain = program.breaker("drain")
    assert drain.id == 0 and drain.onchain and drain.cooldown == 86400
    when = drain.when
    assert isinstance(when, ir.Compare)
    assert [(t.coef, t.atom.kind, t.atom.window) for t in when.terms] == [
        (10, "outflow", 3600), (-1, "tvl", None)]
    assert (when.constant, when.op) == (0, ">")
    assert drain.effects == (ir.PauseEffect(scopes=("withdrawals",), duration=21600,
                                            span=drain.effects[0].span),)


def test_ratios_are_wad_scaled(program: ir.Program) -> None:
    when = program.breaker("oracle_divergence").when
    assert isinstance(when, ir.Compare)
    assert [(t.coef, t.atom.kind) for t in when.terms] == [(1, "deviation")]
    assert when.constant == -3 * WAD // 100
    effects = program.breaker("oracle_divergence").effects
    assert [e.kind for e in effects] == ["suspend", "pause"]
    assert program.breaker("oracle_divergence").cooldown is None


def test_scores_and_onchain(program: ir.Program) -> None:
    risk = program.score("risk")
    assert [t.weight for t in risk.tiers] == [40, 30, 30]
    tier2 = risk.tiers[1].when
    assert isinstance(tier2, ir.Compare)
    assert [t.coef for t in tier2.terms] == [20, -1]  # outflow > 5% of tvl
    assert program.breaker("tighten").onchain is False  # risk uses change(): off chain
    tighten = program.breaker("tighten").effects[0]
    assert isinstance(tighten, ir.SetEffect) and (tighten.value, tighten.duration) == (10, 7200)
    halt = program.breaker("halt").effects[0]
    assert isinstance(halt, ir.PauseEffect)
    assert halt.scopes == ("deposits", "trading", "liquidations")


def test_powers(program: ir.Program) -> None:
    powers = program.powers
    assert [p.id for p in powers] == [0, 1, 2, 3, 4]
    assert powers[0].targets == ("deposits", "withdrawals", "trading", "liquidations")
    assert (powers[0].max_duration, powers[0].cooldown, powers[0].delay) == (259200, 86400, 0)
    assert powers[1].targets == ("deposits", "withdrawals", "trading")
    assert isinstance(powers[2].when, ir.Not)
    assert (powers[3].kind, powers[3].within, powers[3].delay) == ("set", None, 172800)
    assert (powers[4].kind, powers[4].max_duration) == ("extend", 7 * 86400)


def test_invariants(program: ir.Program) -> None:
    props = {i.name: i.prop for i in program.invariants}
    assert props["no_single_key"] == ir.NoUnilateralProp(by="signer", except_kinds=())
    assert props["no_single_org"] == ir.NoUnilateralProp(by="entity", except_kinds=())
    assert props["withdrawals_escape"] == ir.PausedAtMostProp(
        scope="withdrawals", limit=259200, open_gap=86400, assuming=("governor",))
    bounds = props["leverage_bounds"]
    assert isinstance(bounds, ir.AlwaysProp) and isinstance(bounds.pred, ir.And)
    assert [c.constant for c in bounds.pred.items if isinstance(c, ir.Compare)] == [-2, -50]


HEAD = """protocol P
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
feed F 0x1111111111111111111111111111111111111111 decimals 8
  reference 0x6666666666666666666666666666666666666666
scope s
param p = 5 in [1, 9] safer lower
"""


def _when(cond: str) -> ir.Compare:
    text = HEAD + f"breaker b {{ when {cond} then pause s for 1h }}\n"
    result = compile_text(text, "t.guard")
    assert result.program is not None, result.diagnostics
    when = result.program.breakers[0].when
    assert isinstance(when, ir.Compare)
    return when


def _terms(c: ir.Compare) -> list[tuple[int, str]]:
    return [(t.coef, t.atom.kind) for t in c.terms]


def test_amounts_are_base_units() -> None:
    c = _when("tvl(USDC) < 1_000_000 USDC")
    assert (_terms(c), c.constant) == ([(1, "tvl")], -(10**12))
    c = _when("tvl(USDC) < 0.5 USDC")
    assert c.constant == -500_000


def test_bare_numbers_against_prices_are_whole_units() -> None:
    c = _when("price(F) < 1000")
    assert c.constant == -1000 * 10**8
    c = _when("price(F) < 2000 F")
    assert c.constant == -2000 * 10**8


def test_exact_scaling_by_lcm() -> None:
    c = _when("outflow(USDC, 1h) > 2.5% of tvl(USDC)")
    assert _terms(c) == [(40, "outflow"), (-1, "tvl")]
    c = _when("outflow(USDC, 1h) / 3 > inflow(USDC, 1h) / 2")
    assert _terms(c) == [(2, "outflow"), (-3, "inflow")]
    c = _when("outflow(USDC, 1h) - outflow(USDC, 1h) + tvl(USDC) > 0")
    assert _terms(c) == [(1, "tvl")]


def test_bps_and_staleness() -> None:
    c = _when("deviation(F) >= 50bps")
    assert c.constant == -5 * 10**15
    c = _when("staleness(F) > 1h")
    assert (_terms(c), c.constant) == ([(1, "staleness")], -3600)


def test_per_sender_and_block() -> None:
    text = HEAD + ("breaker b { when calls(s, 1h, per sender) > 100 "
                   "then block sender from s for 1d }\n")
    result = compile_text(text, "t.guard")
    assert result.program is not None
    b = result.program.breakers[0]
    assert b.onchain is False
    assert isinstance(b.when, ir.Compare) and b.when.terms[0].atom.per_sender
    assert b.effects[0] == ir.BlockEffect(scope="s", duration=86400, span=b.effects[0].span)


def test_custom_metric() -> None:
    text = HEAD + ("vault pool 0x2222222222222222222222222222222222222222 holds USDC\n"
                   "metric borrows = sum(Borrow(address indexed who, uint256 amount).amount "
                   "at pool, 1h)\n"
                   "breaker b { when borrows > 5 then pause s for 1h }\n")
    result = compile_text(text, "t.guard")
    assert result.program is not None, result.diagnostics
    m = result.program.metrics[0]
    assert (m.event.text(), m.field, m.window, m.aggregate) == (
        "Borrow(address indexed who, uint256 amount)", "amount", 3600, "sum")
    assert [(p.type, p.name, p.indexed) for p in m.event.params] == [
        ("address", "who", True), ("uint256", "amount", False)]
    assert m.event.canonical() == "Borrow(address,uint256)"
    assert m.summed_param() == m.event.params[1]
    assert m.address == "0x2222222222222222222222222222222222222222"
    assert result.program.breakers[0].onchain is False


def test_set_power_within_is_intersected() -> None:
    text = HEAD + ("signer a 0x3333333333333333333333333333333333333333\n"
                   "role r = a\nallow r to set p within [0, 4]\n")
    result = compile_text(text, "t.guard")
    assert result.program is not None
    assert result.program.powers[0].within == (1, 4)
    assert result.program.roles[0].expr == ir.SignerMember(name="a")


def test_safer_side_is_allowed() -> None:
    text = HEAD + "breaker b { when tvl(USDC) > 0 then set p to 1 for 1h }\n"
    assert compile_text(text, "t.guard").program is not None


def test_nested_roles_flatten() -> None:
    text = HEAD + ("signer a 0x3333333333333333333333333333333333333333\n"
                   "signer b 0x4444444444444444444444444444444444444444\n"
                   "signer c 0x5555555555555555555555555555555555555555\n"
                   "role x = 1 of [a, b]\nrole y = x and b and (c or a)\n")
    result = compile_text(text, "t.guard")
    assert result.program is not None
    y = result.program.role("y").expr
    assert isinstance(y, ir.AllOf) and len(y.items) == 3
    assert isinstance(y.items[2], ir.AnyOf)


def test_program_is_frozen_and_serialisable(program: ir.Program) -> None:
    again = ir.Program.model_validate_json(program.model_dump_json())
    assert again == program


def test_a_scope_where_a_condition_is_expected_suggests_paused() -> None:
    result = compile_text(HEAD + "invariant i: always s\n", "t.guard")
    [diag] = result.diagnostics
    assert (diag.code, diag.help) == ("E0305", "did you mean `paused(s)`?")


@pytest.mark.parametrize(("cond", "terms", "constant"), [
    ("tvl(USDC) > 0", [(1, "tvl")], 0),
    ("3% * tvl(USDC) < outflow(USDC, 12s)", [(3, "tvl"), (-100, "outflow")], 0),
    ("2 * (outflow(USDC, 1h) - inflow(USDC, 1h)) >= 5 USDC",
     [(2, "outflow"), (-2, "inflow")], -5_000_000),
    ("-price(F) <= -1000.5", [(-1, "price")], 100_050_000_000),
    ("change(F, 1h) != 0", [(1, "change")], 0),
    ("calls(s, 1h) > 2.5", [(2, "calls")], -5),
    ("p + 1 == 6", [(1, "param")], -5),
])
def test_normalised_comparisons(cond: str, terms: list[tuple[int, str]], constant: int) -> None:
    c = _when(cond)
    assert (_terms(c), c.constant) == (terms, constant)


@pytest.mark.parametrize(("cond", "code"), [
    ("deviation(F) > 0.03", "E0302"),
    ("staleness(F) > 3600", "E0302"),
    ("tvl(USDC) > 5", "E0302"),
    ("price(F) > 1.123456789", "E0408"),
    ("tvl(USDC) > 1 F", "E0301"),
    ("tvl(USDC) > 3%", "E0301"),
    ("p > 3%", "E0301"),
    ("tvl(USDC) / tvl(USDC) > 1", "E0303"),
    ("outflow(USDC, 1h) > 0 and tvl(USDC)", "E0305"),
    ("tvl(s) > 0", "E0204"),
    ("paused(USDC)", "E0204"),
    ("outflow(USDC, 0s) > 0", "E0406"),
])
def test_rejected_conditions(cond: str, code: str) -> None:
    text = HEAD + f"breaker b {{ when {cond} then pause s for 1h }}\n"
    result = compile_text(text, "t.guard")
    assert result.program is None
    assert code in [d.code for d in result.diagnostics], result.diagnostics


def test_count_metric_with_unnamed_parameters() -> None:
    text = HEAD + ("metric m = count(Borrow(address indexed, uint256, bytes32[] ids) at "
                   "0xabababababababababababababababababababab, 12s)\n")
    result = compile_text(text, "t.guard")
    assert result.program is not None, result.diagnostics
    event = result.program.metrics[0].event
    assert event.text() == "Borrow(address indexed, uint256, bytes32[] ids)"
    assert [p.indexed for p in event.params] == [True, None, False]


def test_durations_are_bounded() -> None:
    text = HEAD + "breaker b { when tvl(USDC) > 0 then pause s for 99999999999w }\n"
    [diag] = compile_text(text, "t.guard").diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == ("E0401", 7, 49)


def test_comparisons_fit_in_256_bits() -> None:
    text = HEAD + f"breaker b {{ when tvl(USDC) > {10**80} USDC then pause s for 1h }}\n"
    [diag] = compile_text(text, "t.guard").diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == ("E0401", 7, 18)
