"""Counterexample timelines (one row per step) and concrete replay of candidates."""

from __future__ import annotations

from ir_builders import OUTFLOW, SP, H
from test_semantics import G2, G3, drain, venue

from interlock.ir.nodes import Agent
from interlock.semantics.ops import CONCRETE
from interlock.semantics.trace import Advance, Fire, MetricValue, UsePower
from interlock.verifier.describe import fmt_duration as duration
from interlock.verifier.replay import replay, replay_breaks
from interlock.verifier.temporal_props import bad_paused
from interlock.verifier.timeline import timeline


def test_duration_uses_the_language_units() -> None:
    assert [duration(x) for x in (0, 59, 3600, 93784, 7 * 86400 + 1)] == [
        "0s",
        "59s",
        "1h",
        "1d 2h 3m 4s",
        "1w 1s",
    ]


def test_rows_match_steps_one_to_one() -> None:
    p = venue()
    steps = [
        drain(),
        Advance(seconds=6 * H),
        UsePower(power=0, targets=("withdrawals", "liquidations"), value=72 * H, signers=G2),
        Advance(seconds=48 * H),
        UsePower(power=4, targets=("withdrawals",), value=7 * 86400, signers=G3),
        UsePower(power=3, targets=(), value=30, signers=G3),
    ]
    rows = timeline(p, steps)
    assert [(r.time, r.actor, r.action) for r in rows] == [
        (0, "breaker drain", "fires: pause withdrawals until +6h [outflow(USDC)=11]"),
        (0, "time", "passes 6h"),
        (
            6 * H,
            "alice, carol",
            "pause withdrawals, liquidations for 3d (`allow guardian to pause * for at most 3d`,"
            " t.guard:1)"
            " — withdrawals refused by its gap (open since +6h)",  # liquidations: paused
        ),
        (6 * H, "time", "passes 2d"),
        (
            54 * H,
            "alice, bob, carol",
            "extend withdrawals by 1w (`allow governor to extend withdrawals by at most 1w`, "
            "t.guard:1, timelocked)",
        ),
        (54 * H, "alice, bob, carol",
         "set lev to 30 (`allow governor to set lev within [2, 40]`, t.guard:1, timelocked)"),
    ]


def test_offchain_breaker_is_triggered_by_the_agent() -> None:
    p = venue()
    watcher = Agent(name="watcher", address="0x" + "6" * 40, span=SP)
    flood = p.breaker("flood").model_copy(update={"onchain": False})
    p = p.model_copy(
        update={
            "agents": (watcher,),
            "breakers": tuple(flood if b.name == "flood" else b for b in p.breakers),
        }
    )
    fire = Fire(breaker="flood", metrics=(MetricValue(atom=OUTFLOW, value=1),))
    (row,) = timeline(p, [Advance(seconds=0), fire])[1:]
    assert row.actor == "agent watcher"
    assert row.action == (
        "fires breaker flood: pause withdrawals until +4d 4h [outflow(USDC)=1]"
        " — withdrawals clamped to +3d by its max"
    )


def test_replay_rejects_refused_steps_and_states_that_do_not_break() -> None:
    p = venue()
    too_long = bad_paused(CONCRETE, "withdrawals", 5 * H, None)
    assert replay_breaks(p, [drain()], too_long)  # 6h > 5h
    assert not replay_breaks(p, [drain()], bad_paused(CONCRETE, "withdrawals", 6 * H, None))
    # the second firing is refused by the cooldown: the candidate does not replay
    assert not replay_breaks(p, [drain(), Advance(seconds=H), drain()], too_long)
    # a 10 (not > 10) outflow does not satisfy the condition
    assert not replay_breaks(p, [drain(10)], too_long)
    assert replay(p, [drain()]).paused_until["withdrawals"] == 1_000_000 + 6 * H


def test_notes_for_pauses_that_change_nothing() -> None:
    p = venue()
    flood = Fire(breaker="flood", metrics=(MetricValue(atom=OUTFLOW, value=1),))
    rows = timeline(p, [flood, Advance(seconds=70 * H), drain(), drain()])
    assert rows[2].action.endswith("withdrawals stays paused until +3d: its max is reached")
    # the second drain is refused by its cooldown: no replayed state, no note
    assert rows[3].action == "fires: pause withdrawals until +3d 4h [outflow(USDC)=11]"
    rows = timeline(p, [drain(), drain().model_copy(update={"breaker": "flood"})])
    assert rows[1].action.endswith("withdrawals clamped to +3d by its max")
