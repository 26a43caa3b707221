"""The concrete reference semantics against values worked out by hand from docs/semantics.md."""

from __future__ import annotations

import pytest
from ir_builders import (
    DEV,
    OUTFLOW,
    TVL,
    D,
    H,
    breaker,
    cmp,
    feed,
    not_,
    param,
    pause,
    power,
    program,
    role,
    scope,
    set_eff,
    suspend,
    suspended,
    threshold,
)

from interlock.ir.nodes import AllOf, AnyOf, Program, RoleMember
from interlock.semantics import (
    StepRefused,
    effective_param,
    eval_cond,
    initial_state,
    role_satisfied,
    run,
    step,
)
from interlock.semantics.trace import Advance, Fire, MetricValue, UsePower

T0 = 1_000_000


def venue() -> Program:
    return program(
        scopes=(scope("withdrawals", max_pause=72 * H, gap=24 * H), scope("liquidations")),
        feeds=(feed("ETH_USD"),),
        params=(param("lev", 20, 2, 50, "lower"),),
        breakers=(
            breaker("drain", cmp(OUTFLOW, ">", 10), pause("withdrawals", 6 * H), cooldown=24 * H),
            breaker(
                "oracle",
                cmp(DEV, ">", 3),
                suspend("ETH_USD", 30 * 60),
                pause("liquidations", 30 * 60),
            ),
            breaker("tight", cmp(TVL, "<", 5), set_eff("lev", 10, 2 * H)),
            breaker("flood", cmp(OUTFLOW, ">", 0), pause("withdrawals", 100 * H)),
        ),
        roles=(
            role("guardian", threshold(2, "alice", "carol", "dave")),
            role("governor", threshold(3, "alice", "bob", "carol", "dave", "erin"), delay=48 * H),
        ),
        powers=(
            power(
                "guardian",
                "pause",
                "withdrawals",
                "liquidations",
                max_duration=72 * H,
                cooldown=24 * H,
            ),
            power("guardian", "unpause", "withdrawals"),
            power("guardian", "unpause", "liquidations", when=not_(suspended("ETH_USD"))),
            power("governor", "set", "lev", within=(2, 40)),
            power("governor", "extend", "withdrawals", max_duration=7 * D),
        ),
    )


def drain(v: int = 11) -> Fire:
    return Fire(breaker="drain", metrics=(MetricValue(atom=OUTFLOW, value=v),))


G2 = ("alice", "carol")
G3 = ("alice", "bob", "carol")


def test_initial_state_is_all_never() -> None:
    st = initial_state(venue(), T0)
    assert st.now == T0 and st.paused_until == {"withdrawals": 0, "liquidations": 0}
    assert effective_param(venue(), st, "lev") == 20
    with pytest.raises(ValueError):
        initial_state(venue(), 0)


def test_breaker_pause_and_cooldown() -> None:
    p = venue()
    st = step(p, initial_state(p, T0), drain())
    assert (st.paused_until["withdrawals"], st.paused_since["withdrawals"]) == (T0 + 6 * H, T0)
    assert st.fired_until["drain"] == T0 + 6 * H and st.paused("withdrawals")
    # cooldown counts from the end of the effect: refused until T0 + 6h + 24h
    with pytest.raises(StepRefused, match="cooldown"):
        run(p, st, [Advance(seconds=30 * H - 1), drain()])
    with pytest.raises(StepRefused, match="condition"):
        step(p, st, Fire(breaker="oracle", metrics=(MetricValue(atom=DEV, value=3),)))
    with pytest.raises(StepRefused, match="no value"):
        step(p, st, Fire(breaker="oracle"))


def test_gap_refuses_new_pause_and_pause_at_end_instant() -> None:
    p = venue()
    st = step(p, initial_state(p, T0), drain())
    # at the very instant the pause ends, a pause is refused by the 24h gap: nothing changes
    at_end = step(p, st, Advance(seconds=6 * H))
    again = step(p, at_end, UsePower(power=0, targets=("withdrawals",), value=H, signers=G2))
    assert again.paused_until["withdrawals"] == T0 + 6 * H
    # the refused pause does not use the power's cooldown (issue 16, item 3)
    assert again.used_until[(0, "withdrawals")] == 0
    later = run(
        p,
        again,
        [Advance(seconds=25 * H), UsePower(power=0, targets=("withdrawals",), value=H, signers=G2)],
    )
    assert later.paused_since["withdrawals"] == T0 + 31 * H
    assert later.paused_until["withdrawals"] == T0 + 32 * H
    assert later.prev_end["withdrawals"] == T0 + 6 * H


def test_max_clamps_continuous_pause_from_since() -> None:
    p = venue()
    st = step(
        p,
        initial_state(p, T0),
        Fire(breaker="flood", metrics=(MetricValue(atom=OUTFLOW, value=1),)),
    )
    # 100h requested, clamped to since + 72h
    assert st.paused_until["withdrawals"] == T0 + 72 * H
    # continuing at +70h for 6h more is clamped to the same end: no change
    st2 = run(p, st, [Advance(seconds=70 * H), drain()])
    assert st2.paused_until["withdrawals"] == T0 + 72 * H
    assert st2.fired_until["drain"] == T0 + 76 * H  # the breaker fired anyway


def test_extend_ignores_max_and_needs_timelock() -> None:
    p = venue()
    st = step(p, initial_state(p, T0), drain())
    ext = UsePower(power=4, targets=("withdrawals",), value=7 * D, signers=G3)
    with pytest.raises(StepRefused, match="timelock"):
        step(p, st, ext)
    st = run(p, st, [Advance(seconds=48 * H), ext])
    # paused_until was T0+6h < now = T0+48h: a new pause from now
    assert st.paused_since["withdrawals"] == T0 + 48 * H
    assert st.paused_until["withdrawals"] == T0 + 48 * H + 7 * D
    st = step(p, st, ext)
    assert st.paused_until["withdrawals"] == T0 + 48 * H + 14 * D  # beyond max 72h
    with pytest.raises(StepRefused, match="maximum"):
        step(p, st, ext.model_copy(update={"value": 7 * D + 1}))
    with pytest.raises(StepRefused, match="role"):
        step(p, st, ext.model_copy(update={"signers": G2}))


def test_unpause_when_guard_and_suspension() -> None:
    p = venue()
    st = step(
        p, initial_state(p, T0), Fire(breaker="oracle", metrics=(MetricValue(atom=DEV, value=4),))
    )
    assert st.suspended("ETH_USD") and st.paused("liquidations")
    unp = UsePower(power=2, targets=("liquidations",), signers=G2)
    with pytest.raises(StepRefused, match="when"):
        step(p, st, unp)
    st = run(p, st, [Advance(seconds=30 * 60), unp])
    assert st.paused_until["liquidations"] == T0 + 30 * 60  # already ended: unchanged
    # unpause of a live pause sets paused_until to now, since unchanged
    st = step(p, initial_state(p, T0), drain())
    st = run(p, st, [Advance(seconds=H), UsePower(power=1, targets=("withdrawals",), signers=G2)])
    assert (st.paused_until["withdrawals"], st.paused_since["withdrawals"]) == (T0 + H, T0)


def test_override_is_safest_and_base_is_clamped() -> None:
    p = venue()
    st = step(
        p, initial_state(p, T0), Fire(breaker="tight", metrics=(MetricValue(atom=TVL, value=0),))
    )
    assert effective_param(p, st, "lev") == 10
    st = run(p, st, [Advance(seconds=48 * H - 1)])
    assert effective_param(p, st, "lev") == 20
    st = run(p, st, [Advance(seconds=1), UsePower(power=3, targets=("lev",), value=99, signers=G3)])
    assert st.base["lev"] == 40 and effective_param(p, st, "lev") == 40  # within [2, 40]
    st = run(
        p,
        st,
        [
            UsePower(power=3, targets=(), value=5, signers=G3),
            Fire(breaker="tight", metrics=(MetricValue(atom=TVL, value=1),)),
        ],
    )
    assert effective_param(p, st, "lev") == 5  # base 5 is safer than the override 10


def test_power_cooldown_is_per_target() -> None:
    p = venue()
    use = UsePower(power=0, targets=("liquidations",), value=H, signers=G2)
    st = step(p, initial_state(p, T0), use)
    with pytest.raises(StepRefused, match="cooldown"):
        run(p, st, [Advance(seconds=25 * H - 1), use])
    st = run(p, st, [Advance(seconds=25 * H), use])
    assert st.paused_since["liquidations"] == T0 + 25 * H
    st2 = step(p, st, UsePower(power=0, targets=("withdrawals",), value=H, signers=G2))
    assert st2.paused("withdrawals")
    with pytest.raises(StepRefused, match="positive"):
        step(p, st, UsePower(power=0, targets=("withdrawals",), value=0, signers=G2))


def test_nested_roles() -> None:
    p = venue()
    p = p.model_copy(
        update={
            "roles": (
                *p.roles,
                role("both", AllOf(items=(RoleMember(name="guardian"), threshold(1, "erin")))),
                role("either", AnyOf(items=(RoleMember(name="both"), threshold(2, "bob", "erin")))),
            )
        }
    )
    assert role_satisfied(p, "both", ["alice", "dave", "erin"])
    assert not role_satisfied(p, "both", ["alice", "erin"])
    assert role_satisfied(p, "either", ["bob", "erin"])
    assert not role_satisfied(p, "either", ["bob", "alice"])


def test_eval_cond_uses_effective_params() -> None:
    p = venue()
    st = initial_state(p, T0)
    from ir_builders import param_atom

    assert eval_cond(p, cmp(param_atom("lev"), "==", 20), st, {})
    assert not eval_cond(p, cmp(OUTFLOW, ">", 10), st, {OUTFLOW: 10})
