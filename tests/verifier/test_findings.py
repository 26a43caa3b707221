"""Built-in findings on small rule files whose answers were worked out by hand."""

from __future__ import annotations

import pytest

from interlock.dsl.frontend import compile_file, compile_text
from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Program
from interlock.verifier.findings import REGISTRY, find, strict

HEADER = """protocol T
signer alice 0x1111111111111111111111111111111111111111 entity a
signer bob   0x2222222222222222222222222222222222222222 entity b
signer carol 0x3333333333333333333333333333333333333333 entity c
role guardian = 2 of [alice, bob, carol]
role governor = guardian after 48h
scope deposits
scope withdrawals max 72h gap 24h
asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
feed ETH 0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419 decimals 8
  reference 0x8888888888888888888888888888888888888888
param lev = 20 in [2, 50] safer lower
allow guardian to unpause *
"""


def program(body: str) -> Program:
    result = compile_text(HEADER + body, "t.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    return result.program


def codes(body: str) -> list[tuple[str, int]]:
    """(code, line) of every finding; lines count from the first line of `body` as 1."""
    offset = HEADER.count("\n")
    return [(d.code, d.span.line - offset) for d in find(program(body))]


def only(body: str, code: str) -> list[Diagnostic]:
    return [d for d in find(program(body)) if d.code == code]


def test_registry_has_the_findings_documented() -> None:
    assert sorted(f.code for f in REGISTRY) == [
        "W0801", "W0802", "W0803", "W0804", "W0806", "W0807", "W0810", "W0811",
        "W0812", "W0813", "W0814", "W0815"]
    assert all(f.doc and f.title and f.severity == "warning" for f in REGISTRY)


@pytest.mark.parametrize(
    ("when", "dead"),
    [
        ("outflow(USDC, 1h) > 10% of tvl(USDC)", False),
        ("outflow(USDC, 1h) < 0", True),  # flows are never negative
        ("deviation(ETH) > 3% and deviation(ETH) < 2%", True),
        ("lev > 50", True),  # a param never leaves its declared range
        ("lev >= 21", True),  # ... and here nothing changes it from 20
        ("lev == 20", False),
        ("paused(withdrawals)", True),  # nothing can pause withdrawals
        ("suspended(ETH)", True),  # nothing can suspend ETH
        ("paused(deposits) and not paused(deposits)", True),
        ("paused(deposits) and deviation(ETH) > 1%", False),
    ],
)
def test_dead_breaker(when: str, dead: bool) -> None:
    body = f"breaker b {{\n  when {when}\n  then pause deposits for 1h\n}}\n"
    assert codes(body) == ([("W0801", 1)] if dead else [])


def test_reachable_param_values_and_states() -> None:
    breaker = "breaker b {{\n  when {when}\n  then pause deposits for 1h\n}}\n"
    # a `set` power opens the param's range to its `within`; a breaker override adds its value
    setter = "allow governor to set lev within [5, 40]\n"
    assert codes(setter + breaker.format(when="lev >= 40")) == []
    assert codes(setter + breaker.format(when="lev > 40")) == [("W0801", 2)]
    override = "breaker t {\n  when deviation(ETH) > 1%\n  then set lev to 10 for 1h\n}\n"
    assert codes(override + breaker.format(when="lev <= 10")) == []
    assert codes(override + breaker.format(when="lev < 10")) == [("W0801", 5)]
    # a power that pauses or suspends makes the state reachable
    pauser = "allow guardian to pause withdrawals for at most 1h\n"
    assert codes(pauser + breaker.format(when="paused(withdrawals)")) == []
    suspender = "allow guardian to suspend ETH for at most 1h\n"
    assert codes(suspender + breaker.format(when="suspended(ETH)")) == []


def test_dead_breaker_through_a_score_out_of_reach() -> None:
    body = """score risk {
  40 when deviation(ETH) > 2%
  30 when outflow(USDC, 1h) > 5% of tvl(USDC)
}
breaker halt {
  when risk >= 80
  then pause deposits for 6h
}
"""
    # 40 + 30 = 70 < 80: the breaker never fires, and the score decides nothing.
    assert codes(body) == [("W0804", 1), ("W0801", 5)]
    (score,) = only(body, "W0804")
    assert score.message.startswith("score `risk` never decides whether `halt` fire")


def test_score_tiers_used_and_unused() -> None:
    used = """score risk {
  40 when deviation(ETH) > 2%
  30 when outflow(USDC, 1h) > 5% of tvl(USDC)
  30 when deviation(ETH) > 8%
}
breaker tighten {
  when risk >= 40
  then set lev to 10 for 2h
}
breaker halt {
  when risk >= 100
  then pause deposits for 6h
}
"""
    assert codes(used) == []
    # With only `risk >= 40`: the 40 tier alone decides it. The outflow tier (30) never does:
    # alone it is 30 < 40, and with the 40 tier it is already reached. `deviation(ETH) > 8%`
    # implies `> 2%`, so the last tier only ever adds to 40.
    one = used.split("breaker halt")[0]
    assert codes(one) == [("W0804", 3), ("W0804", 4)]
    assert only(one, "W0804")[0].message == (
        "tier `30` of score `risk` never decides whether a breaker fires"
    )


def test_unreferenced_score() -> None:
    body = "score risk {\n  40 when deviation(ETH) > 2%\n}\n"
    assert codes(body) == [("W0804", 1)]
    assert only(body, "W0804")[0].message == "score `risk` is not used by any breaker"


def test_timelock_bypass() -> None:
    body = """allow governor to set lev within [5, 40]
allow guardian to set lev
"""
    (diag,) = only(body, "W0802")
    assert diag.span.line - HEADER.count("\n") == 2
    assert "bypassing the 2d timelock of `governor` on `lev`" in diag.message
    assert diag.labels[0].span.line - HEADER.count("\n") == 1
    # A narrower untimelocked range does not do everything the timelocked power can.
    narrower = "allow governor to set lev\nallow guardian to set lev within [5, 40]\n"
    assert only(narrower, "W0802") == []
    # Different kinds or disjoint targets: no bypass.
    assert only("allow governor to extend withdrawals by at most 7d\n", "W0802") == []
    pauses = "allow governor to pause deposits for at most 1d\n"
    assert only(pauses + "allow guardian to pause withdrawals for at most 3d\n", "W0802") == []
    assert len(only(pauses + "allow guardian to pause * for at most 3d\n", "W0802")) == 1


def test_a_step_bound_is_no_timelock_bypass_unless_as_loose() -> None:
    """Aave-style stewards: a stepped immediate `set` cannot do all the unbounded timelocked
    one can; a step at least as loose as the timelocked power's own still bypasses it."""
    steward = "allow guardian to set lev by at most 100% per 3d\n"
    assert only("allow governor to set lev\n" + steward, "W0802") == []
    timelocked = "allow governor to set lev by at most 50% per 3d\n"
    assert len(only(timelocked + steward, "W0802")) == 1
    assert only(timelocked + "allow guardian to set lev by at most 100% per 1w\n", "W0802") == []
    assert only(timelocked + "allow guardian to set lev by at most 5 per 1d\n", "W0802") == []


def test_a_step_bound_bypassed_by_another_set_power() -> None:
    steward = "allow guardian to set lev by at most 50% per 1d\n"
    (diag,) = only(steward + "allow guardian to set lev within [5, 40]\n", "W0814")
    assert diag.span.line - HEADER.count("\n") == 2
    assert diag.message == ("`guardian` can `set lev within [5, 40]` as soon as `guardian`, so "
                            "`guardian`'s `by at most 50% per 1d` does not bound `lev`")
    assert diag.labels[0].span.line - HEADER.count("\n") == 1
    # a timelocked unbounded power (the Aave shape): no bypass
    assert only(steward + "allow governor to set lev\n", "W0814") == []
    # of two steps, the looser bypasses the tighter only; steps of both kinds, each other
    (diag,) = only(steward + "allow guardian to set lev by at most 10% per 2d\n", "W0814")
    assert "`by at most 10% per 2d` does not bound" in diag.message
    assert len(only(steward + "allow guardian to set lev by at most 5 per 2d\n", "W0814")) == 2


def no_unpause_header() -> str:
    return HEADER.replace("allow guardian to unpause *\n", "")


def test_scope_nobody_can_unpause() -> None:
    text = (
        no_unpause_header()
        + "breaker b {\n  when deviation(ETH) > 3%\n  then pause deposits for 6h\n}\n"
    )
    result = compile_text(text, "t.guard")
    assert result.program is not None
    found = find(result.program)
    assert [(d.code, d.message) for d in found] == [
        ("W0803", "scope `deposits` stays paused until each pause expires: no power can unpause it")
    ]
    # A timelocked unpause that waits 48h for a 6h pause comes too late; 72h pause: in time.
    late = text + "allow governor to unpause deposits\n"
    assert [d.code for d in find(compile_text(late, "t.guard").program)] == ["W0803"]  # type: ignore[arg-type]
    in_time = late.replace("pause deposits for 6h", "pause deposits for 72h")
    assert find(compile_text(in_time, "t.guard").program) == ()  # type: ignore[arg-type]
    # An unpause whose `when` can never hold does not count.
    never = (
        text
        + "allow guardian to unpause deposits\n"
        + "  when paused(withdrawals) and not paused(withdrawals)\n"
    )
    assert [d.code for d in find(compile_text(never, "t.guard").program)] == ["W0803"]  # type: ignore[arg-type]


def test_strict_promotes_warnings_keeping_codes() -> None:
    found = find(program("score risk {\n  40 when deviation(ETH) > 2%\n}\n"))
    promoted = strict(found)
    assert [d.severity for d in promoted] == ["error"]
    assert [d.code for d in promoted] == ["W0804"]


def test_examples_have_no_findings() -> None:
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "examples"
    for path in sorted(root.glob("*.guard")):
        result = compile_file(str(path))
        assert result.program is not None
        # W0806 (a `gap` shuts the guardian out after a pause) is a trade-off an example
        # states with a `can pause` invariant; tests/test_examples.py checks that
        assert [d for d in find(result.program) if d.code != "W0806"] == [], path.name


def test_docs_list_every_finding() -> None:
    import pathlib

    docs = pathlib.Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"
    text = docs.read_text("utf-8")
    for f in REGISTRY:
        assert f"### {f.code}: {f.title}" in text


def test_a_signed_custom_sum_can_be_negative() -> None:
    """`sum` over an `int256` field can go below zero, so `net < 0` is not a dead breaker;
    over a `uint256` field it can never hold."""
    signed = """agent w 0x6666666666666666666666666666666666666666
metric net = sum(Flow(int256 delta).delta at pool, 1h)
breaker neg {
  when net < 0
  then pause deposits for 1h
}
"""
    assert only(signed, "W0801") == []
    unsigned = signed.replace("int256", "uint256")
    [dead] = only(unsigned, "W0801")
    assert dead.help is not None and dead.help.startswith(
        "metrics are never negative (except a custom `sum` over a signed event field)")


def test_a_gap_a_breaker_opens_is_a_no_pause_window() -> None:
    """W0806 (issue 16, item 3): withdrawals' `gap 24h`, `drain` pauses it, the guardian may
    pause it; an untimelocked `extend` closes the window, a timelocked one does not; a scope
    without a gap has no window."""
    body = ("breaker drain {\n  when outflow(USDC, 1h) > 10% of tvl(USDC)\n"
            "  then pause withdrawals for 6h\n  cooldown 24h\n}\n"
            "allow guardian to pause * for at most 72h cooldown 24h\n")
    (w,) = only(body, "W0806")
    assert w.message.startswith("for 1d after every pause of `withdrawals` ends")
    assert only(body + "allow governor to extend withdrawals by at most 1d\n", "W0806")
    assert not only(body + "allow guardian to extend withdrawals by at most 1d\n", "W0806")
    # `deposits` has no gap: nothing refuses a pause after one
    assert not only(body.replace("pause withdrawals for 6h", "pause deposits for 6h"), "W0806")


def test_a_timelocked_role_cancelling_its_own_queue_never_wins() -> None:
    """W0807 (issue 16, item 6): `governor` (48h) cancelling `governor` cannot land first; the
    guardian (no timelock) can."""
    body = "allow governor to set lev\n"
    assert [d.code for d in only(body + "allow governor to cancel governor\n", "W0807")] == [
        "W0807"]
    assert not only(body + "allow guardian to cancel governor\n", "W0807")


def test_a_hold_with_a_cooldown_lets_flows_through_while_it_cools() -> None:
    from interlock.dsl.frontend import compile_text

    text = """protocol P
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
breaker big {
  when flow(USDC) > 10 USDC
  then hold flow for 1d
  cooldown 1h
}
breaker plain {
  when flow(USDC) > 99 USDC
  then hold flow for 1d
}
"""
    program = compile_text(text, "rules.guard").program
    assert program is not None
    found = [d for d in find(program) if d.code == "W0813"]
    assert [(d.span.line, d.message) for d in found] == [
        (4, "`big` holds a flow but has a cooldown of 1h: flows during it are not held")]


def test_a_value_sum_that_leaves_out_an_unpriced_asset() -> None:
    """W0812: `*` sums the priced assets; USDC (held by `pool`) is not priced. Pricing it, or a
    value of one asset only, clears the finding."""
    priced = ("feed USDC_USD 0x8fFfFfd4AfB6115b954Bd326cbe7B4BA576818f6 decimals 8 quote USD\n"
              "asset WETH 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2 decimals 18 "
              "priced by USDC_USD\n"
              "vault weth_pool 0x4444444444444444444444444444444444444444 holds WETH\n")
    body = priced + ("breaker n {\n  when value(outflow(*, 24h)) > 5 USD\n"
                     "  then pause deposits for 1h\n}\n")
    assert [c for c in codes(body) if c[0] == "W0812"] == [("W0812", 4)]  # the breaker line
    one = body.replace("value(outflow(*, 24h))", "value(outflow(WETH, 24h))")
    assert [c for c in codes(one) if c[0] == "W0812"] == []
    text = (HEADER + body).replace(
        "asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6",
        "asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6 priced by USDC_USD")
    result = compile_text(text, "t.guard")
    assert result.program is not None
    assert [d for d in find(result.program) if d.code == "W0812"] == []
