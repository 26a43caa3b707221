"""Temporal properties on hand-written rule sets whose answers are worked out in the comments."""

from __future__ import annotations

from ir_builders import (
    DEV,
    OUTFLOW,
    SP,
    D,
    H,
    always,
    and_,
    at_most,
    breaker,
    cmp,
    feed,
    never_locked,
    not_,
    param,
    param_atom,
    pause,
    paused,
    power,
    program,
    role,
    scope,
    set_eff,
    suspend,
    suspended,
    threshold,
)

from interlock.ir.nodes import (
    Atom,
    CustomMetric,
    EventParam,
    EventSignature,
    Implies,
    Invariant,
    Program,
    Property,
)
from interlock.semantics.trace import Advance, UsePower
from interlock.verifier.replay import replay
from interlock.verifier.result import PropertyResult
from interlock.verifier.temporal import check_temporal

GUARDIAN = role("guardian", threshold(2, "alice", "carol", "dave"))
GOVERNOR = role("governor", threshold(3, "alice", "bob", "carol", "dave", "erin"), delay=48 * H)


def check(p: Program, prop: Property, timeout: float = 20) -> PropertyResult:
    return check_temporal(p, Invariant(name="p", prop=prop, span=SP), timeout)


def pause_length(p: Program, r: PropertyResult, s: str) -> int:
    assert r.counterexample is not None
    st = replay(p, r.counterexample.steps)
    return int(st.paused_until[s] - st.paused_since[s])


def retrigger(cooldown: int | None) -> Program:
    return program(
        scopes=(scope("w"),),
        breakers=(breaker("drain", cmp(OUTFLOW, ">", 10), pause("w", 6 * H), cooldown=cooldown),),
    )


def test_retrigger_without_cooldown_locks_forever() -> None:
    # no cooldown: the breaker fires again at the instant its pause ends (or before), so the
    # pause continues forever: 13 firings 6h apart already exceed 72h
    p = retrigger(None)
    r = check(p, at_most("w", 72 * H))
    assert r.status == "violated" and pause_length(p, r, "w") > 72 * H
    r = check(p, never_locked("w"))
    assert r.status == "violated" and r.counterexample is not None
    assert r.counterexample.loop_start is not None


def test_retrigger_with_cooldown_is_bounded_by_one_firing() -> None:
    # cooldown 24h from the end of the 6h pause: a continuous pause lasts exactly 6h
    p = retrigger(24 * H)
    assert check(p, at_most("w", 6 * H)).status == "proved"
    r = check(p, at_most("w", 6 * H - 1))
    assert r.status == "violated" and pause_length(p, r, "w") == 6 * H
    r = check(p, never_locked("w"))
    assert (r.status, r.bound, r.method) == ("proved", 6 * H, "chc (spacer)")
    assert r.certificate


def test_chained_breakers() -> None:
    # `a` pauses w for 6h; `b` fires while w is paused and pauses it 6h more; both cool down
    # 24h. Longest: a at 0 (until 6h), b at 6h-1s (until 12h-1s): 12h - 1s
    p = program(
        scopes=(scope("w"),),
        breakers=(
            breaker("a", cmp(OUTFLOW, ">", 10), pause("w", 6 * H), cooldown=24 * H),
            breaker("b", paused("w"), pause("w", 6 * H), cooldown=24 * H),
        ),
    )
    assert check(p, at_most("w", 12 * H - 1)).status == "proved"
    r = check(p, at_most("w", 12 * H - 2))
    assert r.status == "violated" and pause_length(p, r, "w") == 12 * H - 1
    # the tightest bound: the candidate 12h, refined to the witnessed (and proved) 12h - 1s
    assert check(p, never_locked("w")).bound == 12 * H - 1


def test_max_clamps_and_gap_keeps_scope_open() -> None:
    # guardian pauses up to 100h; `max 72h` clamps; without `gap` a new pause may start 1s
    # after the last ended, with `gap 24h` only 24h later
    def venue(gap: int | None) -> Program:
        return program(
            scopes=(scope("w", max_pause=72 * H, gap=gap),),
            roles=(GUARDIAN,),
            powers=(power("guardian", "pause", "w", max_duration=100 * H),),
        )

    r = check(venue(None), at_most("w", 72 * H))
    assert r.status == "proved" and r.method == "chc (spacer)"
    # the certificate is the clamp itself, in the file's terms
    assert "paused_until[w]" in (r.certificate or "") and "3d" in (r.certificate or "")
    r = check(venue(None), at_most("w", 72 * H, 24 * H))
    assert r.status == "violated"
    st = replay(venue(None), r.counterexample.steps)  # type: ignore[union-attr]
    assert st.paused_since["w"] - st.prev_end["w"] < 24 * H
    assert check(venue(24 * H), at_most("w", 72 * H, 24 * H)).status == "proved"
    assert check(venue(24 * H), at_most("w", 72 * H - 1)).status == "violated"


def extend_venue() -> Program:
    return program(
        scopes=(scope("w", max_pause=72 * H, gap=24 * H),),
        roles=(GUARDIAN, GOVERNOR),
        powers=(
            power("guardian", "pause", "w", max_duration=72 * H, cooldown=24 * H),
            power("governor", "extend", "w", max_duration=7 * D),
        ),
    )


def test_extend_needs_assuming() -> None:
    # extend ignores max: without `assuming governor` the pause exceeds 72h (after the 48h
    # timelock) and repeats forever; assuming governor, max and gap hold
    p = extend_venue()
    r = check(p, at_most("w", 72 * H, 24 * H))
    assert r.status == "violated" and pause_length(p, r, "w") > 72 * H
    assert isinstance(r.counterexample.steps[0], Advance)  # type: ignore[union-attr]
    assert r.counterexample.steps[0].seconds >= 48 * H  # type: ignore[union-attr]
    assert check(p, at_most("w", 72 * H, 24 * H, "governor")).status == "proved"
    r = check(p, never_locked("w"))
    assert r.status == "violated" and r.counterexample.loop_start is not None  # type: ignore[union-attr]
    r = check(p, never_locked("w", "governor"))
    assert (r.status, r.bound) == ("proved", 72 * H)


def oracle_venue(guarded: bool) -> Program:
    when = not_(suspended("F")) if guarded else None
    return program(
        scopes=(scope("liq"),),
        feeds=(feed("F"),),
        breakers=(breaker("div", cmp(DEV, ">", 3), suspend("F", 1800), pause("liq", 1800)),),
        roles=(GUARDIAN,),
        powers=(power("guardian", "unpause", "liq", when=when),),
    )


def test_oracle_suspension_vs_guarded_unpause() -> None:
    # the breaker suspends F and pauses liq together; an unguarded unpause breaks the link
    prop = always(Implies(left=suspended("F"), right=paused("liq")))
    assert check(oracle_venue(True), prop).status == "proved"
    r = check(oracle_venue(False), prop)
    assert r.status == "violated"
    assert isinstance(r.counterexample.steps[-1], UsePower)  # type: ignore[union-attr]


def test_param_bounds_with_overrides_and_base_changes() -> None:
    # base settable within [2, 40]; the breaker overrides to 10 for 2h (safer lower)
    p = program(
        params=(param("lev", 20, 2, 50),),
        breakers=(breaker("t", cmp(OUTFLOW, ">", 0), set_eff("lev", 10, 2 * H)),),
        roles=(GOVERNOR,),
        powers=(power("governor", "set", "lev", within=(2, 40)),),
    )
    lev = param_atom("lev")
    assert check(p, always(and_(cmp(lev, ">=", 2), cmp(lev, "<=", 40)))).status == "proved"
    r = check(p, always(cmp(lev, "<=", 20)))
    assert r.status == "violated"  # governor raises the base after its timelock
    assert check(p, always(cmp(lev, "<=", 20)), timeout=10).counterexample is not None
    assert check(p, always(cmp(lev, "<=", 20), "governor")).status == "proved"
    r = check(p, always(cmp(lev, ">=", 11), "governor"))
    assert r.status == "violated"  # the override tightens to 10


def test_unsatisfiable_nested_role_has_no_power() -> None:
    # `broken` needs 2 of [guardian, 3 of [alice, bob]]: the inner threshold cannot be met,
    # so `broken` needs guardian twice — impossible; its pause power is never usable
    from interlock.ir.nodes import RoleMember, Threshold

    inner = threshold(3, "alice", "bob")
    broken = role("broken", Threshold(k=2, members=(RoleMember(name="guardian"), inner)))
    p = program(
        scopes=(scope("w"),),
        roles=(GUARDIAN, broken),
        powers=(power("broken", "pause", "w", max_duration=H),),
    )
    assert check(p, always(not_(paused("w")))).status == "proved"
    ok = role("ok", Threshold(k=1, members=(RoleMember(name="guardian"), inner)))
    p2 = program(
        scopes=(scope("w"),),
        roles=(GUARDIAN, ok),
        powers=(power("ok", "pause", "w", max_duration=H),),
    )
    assert check(p2, always(not_(paused("w")))).status == "violated"


def test_retrigger_beyond_bmc_depth_is_found_by_an_unrolled_lasso() -> None:
    # 30d needs 121 firings 6h apart, deeper than BMC goes: the verifier finds the never-ending
    # pause (a lasso) and unrolls it until the pause lasts more than 30d
    p = retrigger(None)
    r = check(p, at_most("w", 30 * D), timeout=8)
    assert r.status == "violated" and pause_length(p, r, "w") > 30 * D


def test_generous_limit_is_proved_through_a_tighter_one() -> None:
    # a 24h power pause (cooldown 12h) and a 1h breaker pause (cooldown 3h) keep d paused at
    # most 26h (breaker, power, breaker again at the end); Spacer converges on 26h-ish limits
    # but not always on 60h, which follows from any proved smaller limit
    p = program(
        scopes=(scope("d", max_pause=72 * H),),
        breakers=(breaker("burst", cmp(OUTFLOW, ">", 0), pause("d", H), cooldown=3 * H),),
        roles=(GUARDIAN,),
        powers=(power("guardian", "pause", "d", max_duration=24 * H, cooldown=12 * H),),
    )
    r = check(p, at_most("d", 60 * H))
    assert r.status == "proved"
    r = check(p, at_most("d", 26 * H - 1))
    assert r.status == "violated" and pause_length(p, r, "d") == 26 * H


def test_pause_at_the_instant_the_last_ends_continues_it() -> None:
    # a at 0 pauses w until 6h; b firing at exactly 6h continues the same pause (no block could
    # use an opening of zero length): one continuous pause of 12h. Firing b at 6h + 1s instead
    # opens w for 1s, which `then open 1s` allows and `then open 2s` does not
    p = program(
        scopes=(scope("w"),),
        breakers=(
            breaker("a", cmp(OUTFLOW, ">", 10), pause("w", 6 * H), cooldown=24 * H),
            breaker("b", cmp(OUTFLOW, ">", 20), pause("w", 6 * H), cooldown=24 * H),
        ),
    )
    assert check(p, at_most("w", 12 * H, 1)).status == "proved"
    r = check(p, at_most("w", 12 * H - 1))
    assert r.status == "violated" and pause_length(p, r, "w") == 12 * H
    r = check(p, at_most("w", 12 * H, 2))
    assert r.status == "violated"
    st = replay(p, r.counterexample.steps)  # type: ignore[union-attr]
    assert st.paused_since["w"] - st.prev_end["w"] == 1


def test_repausing_at_the_exact_end_locks_forever() -> None:
    # cooldown 0 from the end of the 6h pause: the breaker re-pauses at the very instant the
    # pause ends, which continues it (SPEC §5) — a lasso whose loop states are paused or at the
    # exact end, never open
    p = retrigger(0)
    r = check(p, never_locked("w"))
    assert r.status == "violated" and r.counterexample is not None
    assert r.counterexample.loop_start is not None


def test_signed_custom_sums_can_be_negative() -> None:
    # a `sum` over a signed event field can be negative: `net < 0` can fire; a `count` cannot
    def with_metric(field_type: str, aggregate: str) -> Program:
        delta = EventParam(type=field_type, name="delta", indexed=False)
        metric = CustomMetric(
            name="net",
            aggregate=aggregate,
            event=EventSignature(name="Flow", params=(delta,)),
            field="delta" if aggregate == "sum" else None,
            address="0x" + "7" * 40,
            window=H,
            span=SP,
        )
        net = Atom(kind="metric", target="net")
        base = program(
            scopes=(scope("w"),), breakers=(breaker("neg", cmp(net, "<", 0), pause("w", H)),)
        )
        return base.model_copy(update={"metrics": (metric,)})

    never = always(not_(paused("w")))
    assert check(with_metric("int256", "sum"), never).status == "violated"
    assert check(with_metric("uint256", "sum"), never).status == "proved"
    assert check(with_metric("int256", "count"), never).status == "proved"
