"""Decisions: the reference semantics' condition and cooldown, plus idempotence on chain."""

from __future__ import annotations

from monitor_kit import (
    CALLS,
    CHANGE,
    DEV,
    INFLOW,
    OUTFLOW,
    PRICE,
    STALENESS,
    TVL,
    WAD,
    H,
    venue_program,
)

from interlock.runtime.evaluate import RulePlan, decide
from interlock.runtime.mirror import GuardView, param_mismatches, to_state
from interlock.semantics import State, initial_state

PROGRAM = venue_program()
RULES = RulePlan.for_program(PROGRAM)
T0 = 1_800_000_000
QUIET = {OUTFLOW: 0, INFLOW: 0, TVL: 1_000_000, DEV: 0, CHANGE: 0, PRICE: 2_000 * 10**8,
         STALENESS: 0}


def run(state: State, metrics: dict, per_sender: dict | None = None, **kw: object):  # type: ignore[no-untyped-def,type-arg]
    return decide(PROGRAM, RULES, state, metrics, per_sender or {}, block=7, **kw)  # type: ignore[arg-type]


def test_methods_follow_onchain_and_effects() -> None:
    assert [(r.breaker.name, r.method) for r in RULES] == [
        ("drain", "poke"), ("oracle_divergence", "poke"), ("tighten", "trip"),
        ("spam", "tripSender"), ("watch", "alert"), ("inrush", "poke"),
        ("feed_health", "poke"),
    ]


def test_quiet_metrics_decide_nothing() -> None:
    out = run(initial_state(PROGRAM, T0), QUIET)
    assert out.decisions == () and out.holding == frozenset()
    assert out.evaluated == 6  # spam has no sender to evaluate


def test_drain_and_divergence_and_score_tier() -> None:
    st = initial_state(PROGRAM, T0)
    out = run(st, {**QUIET, OUTFLOW: 100_001, DEV: 31 * WAD // 1000})
    assert [(d.breaker, d.method) for d in out.decisions] == [
        ("drain", "poke"), ("oracle_divergence", "poke"), ("tighten", "trip"),
        ("watch", "alert"),
    ]
    assert out.decisions[-1].alerts == ("large outflow",)
    # risk = 30 (change) only: below the tier
    assert run(st, {**QUIET, CHANGE: WAD // 10}).decisions == ()
    # 40 (deviation > 2%) reaches it
    assert [d.breaker for d in run(st, {**QUIET, DEV: 21 * WAD // 1000}).decisions] == ["tighten"]


def test_live_effects_cooldown_and_in_flight_are_not_sent_again() -> None:
    st = initial_state(PROGRAM, T0)
    hot = {**QUIET, OUTFLOW: 100_001}
    fired = State(**{**st.__dict__, "fired_until": {**st.fired_until, "drain": T0 + 6 * H}})
    out = run(fired, hot)
    assert "drain" not in [d.breaker for d in out.decisions]
    assert ("drain", "cooldown") in out.skipped
    later = State(**{**fired.__dict__, "now": T0 + 30 * H})  # 6h effect + 24h cooldown
    assert "drain" in [d.breaker for d in run(later, hot).decisions]
    inflight = run(st, hot, in_flight={("drain", None)})
    assert ("drain", "in flight") in inflight.skipped
    # a breaker without cooldown is not re-sent while its effects are live
    div = State(**{**st.__dict__, "fired_until": {**st.fired_until,
                                                  "oracle_divergence": T0 + 1800}})
    out = run(div, {**QUIET, DEV: WAD})
    assert ("oracle_divergence", "effects live") in out.skipped


def test_alerts_fire_on_the_rising_edge_only() -> None:
    st = initial_state(PROGRAM, T0)
    warm = {**QUIET, OUTFLOW: 60_000}
    first = run(st, warm)
    assert [d.breaker for d in first.decisions] == ["watch"]
    again = run(st, warm, previously_holding=first.holding)
    assert again.decisions == ()


def test_per_sender_breaker_trips_the_sender() -> None:
    st = initial_state(PROGRAM, T0)
    spammer, calm = "0x" + "a1" * 20, "0x" + "b2" * 20
    out = run(st, QUIET, {spammer: {CALLS: 6}, calm: {CALLS: 2}})
    assert [(d.breaker, d.method, d.sender) for d in out.decisions] == [
        ("spam", "tripSender", spammer)]


def test_a_failed_read_decides_as_the_guard_does() -> None:
    """docs/semantics.md, "Failed reads": a failed `balanceOf` (no tvl) makes drain's
    condition its state part (none here), as on chain: the monitor pokes it."""
    st = initial_state(PROGRAM, T0)
    out = run(st, {k: v for k, v in QUIET.items() if k != TVL})  # no tvl, no outflow to speak of
    assert "drain" in [d.breaker for d in out.decisions]


def test_mirror_derives_overrides_from_fired_until() -> None:
    view = GuardView(
        block=1, timestamp=T0 + 10,
        paused_until={"deposits": 0, "withdrawals": 0, "liquidations": 0},
        paused_since={"deposits": 0, "withdrawals": 0, "liquidations": 0},
        suspended_until={"ETH_USD": 0}, param_base={"max_leverage": 20},
        param_value={"max_leverage": 10},
        fired_until={"drain": 0, "oracle_divergence": 0, "tighten": T0 + 2 * H, "spam": 0,
                     "watch": 0, "inrush": 0, "feed_health": 0},
    )
    st = to_state(PROGRAM, view)
    assert st.override_until[("max_leverage", "tighten")] == T0 + 2 * H
    assert param_mismatches(PROGRAM, view, st) == []
    wrong = GuardView(**{**view.__dict__, "param_value": {"max_leverage": 20}})
    assert param_mismatches(PROGRAM, wrong, st) == ["max_leverage"]
