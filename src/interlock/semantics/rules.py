"""The transition rules of docs/semantics.md, written once over `Ops`.

Each rule returns `(guards, next_state)`: `guards` are named conditions that must all hold for
the step to be allowed (a refused step changes nothing); `next_state` is the result when they
hold. The concrete `semantics.step` raises `StepRefused` naming the first false guard; the
symbolic encodings put the guards in the body of the transition relation.

Effects on variables absent from the state (a sliced symbolic state) are skipped: the slice
keeps every variable the kept rules read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from interlock.ir.inputs import feeds_read, reads_inputs
from interlock.ir.metric_arith import WAD
from interlock.ir.nodes import AlertEffect, Breaker, HoldEffect, Power, Program
from interlock.ir.trip import trip_precondition
from interlock.semantics.cond import Compiled, MetricFn, compile_cond_g, cond_g
from interlock.semantics.memo import by_identity
from interlock.semantics.ops import BoolVal, Ops, Val
from interlock.semantics.state import State, at_time, draft

Guards = list[tuple[str, BoolVal]]

DURATION_POWERS = frozenset({"pause", "suspend", "extend"})


# --- elementary updates ---------------------------------------------------------------------


def _start(o: Ops, d: State, scope: str) -> tuple[BoolVal, Val]:
    """(is this a new pause, its `since'`) — step 1 of "Pause S until u"."""
    pu = d.paused_until[scope]
    new = o.or_(pu == 0, d.now > pu)
    return new, o.ite(new, d.now, d.paused_since[scope])


def pause_scope(o: Ops, program: Program, d: State, scope: str, u: Val, en: BoolVal) -> BoolVal:
    """Pause `scope` until `u` (when `en`): continuation, gap refusal, max clamp, never shorten.

    Returns whether the pause applied (it moved `paused_until`): a pause that `gap` refused or
    that changed nothing does not count for a power's cooldown.
    """
    if scope not in d.paused_until:
        return en
    sc = program.scope(scope)
    pu = d.paused_until[scope]
    new, since = _start(o, d, scope)
    refused: BoolVal = False
    if sc.gap is not None:
        refused = o.and_(o.not_(pu == 0), d.now >= pu, d.now < pu + sc.gap)
    if sc.max_pause is not None:
        u = o.min_(u, since + sc.max_pause)
    apply = o.and_(en, o.not_(refused), u > pu, u > d.now)
    _set_pause(o, d, scope, apply, new, u, since)
    return apply


def extend_scope(o: Ops, d: State, scope: str, by: Val, en: BoolVal) -> None:
    """Extend `scope` by `by` (when `en`): ignores `max` and `gap`."""
    if scope not in d.paused_until:
        return
    pu = d.paused_until[scope]
    new, since = _start(o, d, scope)
    _set_pause(o, d, scope, en, new, o.max_(pu, d.now) + by, since)


def _set_pause(
    o: Ops, d: State, scope: str, apply: BoolVal, new: BoolVal, u: Val, since: Val
) -> None:
    pu = d.paused_until[scope]
    if scope in d.prev_end:
        d.prev_end[scope] = o.ite(o.and_(apply, new), pu, d.prev_end[scope])
    d.paused_until[scope] = o.ite(apply, u, pu)
    d.paused_since[scope] = o.ite(apply, since, d.paused_since[scope])


def unpause_scope(o: Ops, d: State, scope: str, en: BoolVal) -> None:
    if scope not in d.paused_until:
        return
    pu = d.paused_until[scope]
    d.paused_until[scope] = o.ite(o.and_(en, d.now < pu), d.now, pu)


def unblock_sender(o: Ops, program: Program, d: State, sender: str, scopes: list[str]) -> None:
    """Lift `sender`'s blocks from `scopes` (docs/semantics.md, "Blocks"): a live block from
    every scope stays on the other scopes (it becomes a block of each), and ends on these.
    Concrete runs only (the symbolic steps have no sender), hence the plain `if`s."""
    everywhere = (sender, "*")
    until = d.blocked_until.get(everywhere, 0)
    if d.now < until:
        for other in program.scopes:
            if other.name not in scopes:
                key = (sender, other.name)
                d.blocked_until[key] = o.max_(d.blocked_until.get(key, 0), until)
        d.blocked_until[everywhere] = d.now
    for s in scopes:
        key = (sender, s)
        if d.now < d.blocked_until.get(key, 0):
            d.blocked_until[key] = d.now


def suspend_feed(o: Ops, d: State, feed: str, u: Val, en: BoolVal) -> None:
    if feed in d.suspended_until:
        su = d.suspended_until[feed]
        d.suspended_until[feed] = o.ite(en, o.max_(su, u), su)


def resume_feed(o: Ops, d: State, feed: str, en: BoolVal) -> None:
    if feed in d.suspended_until:
        su = d.suspended_until[feed]
        d.suspended_until[feed] = o.ite(o.and_(en, d.now < su), d.now, su)


# --- steps ----------------------------------------------------------------------------------


def advance(o: Ops, st: State, seconds: Val) -> tuple[Guards, State]:
    return [("time cannot go backwards", seconds >= 0)], at_time(st, st.now + seconds)


def breaker_duration(b: Breaker) -> int:
    """The longest duration among the breaker's effects (0 when none has one); a `hold flow`
    holds one flow, not the protocol, so its delay does not count (docs/semantics.md)."""
    return max((e.duration for e in b.effects
                if not isinstance(e, AlertEffect | HoldEffect)), default=0)


def cooldown_ok(o: Ops, mark: Val, now: Val, cooldown: int | None) -> BoolVal:
    if cooldown is None:
        return True
    return o.or_(mark == 0, now >= mark + cooldown)


@dataclass(frozen=True)
class _FirePlan:
    """What `fire` reads of a breaker's IR, derived once per breaker and back end."""

    feeds: tuple[str, ...]  # the feeds its condition reads
    pre: Compiled | None  # its trip precondition (`ir.trip`)
    full: Compiled | None  # its whole condition, for an on-chain rule
    reads_inputs: bool  # whether that condition makes a read that can fail


@by_identity
def _fire_plan(o: Ops, program: Program, b: Breaker) -> _FirePlan:
    pre = trip_precondition(program, b)
    return _FirePlan(feeds_read(program, b),
                     None if pre is None else compile_cond_g(o, program, pre),
                     compile_cond_g(o, program, b.when) if b.onchain else None,
                     reads_inputs(program, b))


def fire(
    o: Ops,
    program: Program,
    st: State,
    b: Breaker,
    metric: MetricFn,
    sender: str | None = None,
    failed: BoolVal = False,
) -> tuple[Guards, State]:
    """Breaker `b` fires with metric values `metric` (adversarial in the symbolic run).

    `failed`: an external read of the condition failed (docs/semantics.md, "Failed reads");
    it matters only for an on-chain rule that reads a feed or a token.
    """
    guards: Guards = []
    if b.cooldown is not None and b.name in st.fired_until:
        guards.append(("cooldown", cooldown_ok(o, st.fired_until[b.name], st.now, b.cooldown)))
    plan = _fire_plan(o, program, b)
    for f in plan.feeds:
        if f in st.suspended_until:
            guards.append((f"`{f}` is suspended", o.not_(st.now < st.suspended_until[f])))
    # The guard checks only this much when the agent trips the rule, or when a read of an
    # on-chain rule fails, so either fires whenever this holds, whatever the metrics.
    holds = plan.pre(st, metric) if plan.pre is not None else True
    if plan.full is not None:
        full = plan.full(st, metric)
        if plan.reads_inputs:
            full = o.ite(failed, holds, full)
        guards.append(("condition does not hold", full))
    elif plan.pre is not None:
        guards.append(("condition does not hold", holds))
    d = draft(st)
    for e in b.effects:
        if e.kind == "pause":
            for s in e.scopes:
                pause_scope(o, program, d, s, st.now + e.duration, True)
        elif e.kind == "suspend":
            for f in e.feeds:
                suspend_feed(o, d, f, st.now + e.duration, True)
        elif e.kind == "set":
            if (e.param, b.name) in d.override_until:
                d.override_until[(e.param, b.name)] = st.now + e.duration
        elif e.kind == "block" and sender is not None:
            key = (sender, e.scope or "*")
            d.blocked_until[key] = o.max_(d.blocked_until.get(key, 0), st.now + e.duration)
    if b.name in d.fired_until:
        d.fired_until[b.name] = st.now + breaker_duration(b)
    return guards, d


def _no_metric(atom: object) -> Val:
    raise ValueError("a power's `when` may use state predicates and params only")


def power_guards(
    o: Ops, program: Program, st: State, w: Power, include: Mapping[str, BoolVal], value: Val
) -> Guards:
    guards: Guards = []
    if w.delay > 0:
        guards.append(("timelock has not elapsed", st.now >= st.t0 + w.delay))
    if w.when is not None:
        guards.append(("`when` does not hold", cond_g(o, program, w.when, st, _no_metric)))
    if w.cooldown is not None:
        for t, inc in include.items():
            if (w.id, t) in st.used_until:
                ok = cooldown_ok(o, st.used_until[(w.id, t)], st.now, w.cooldown)
                guards.append((f"cooldown on `{t}`", o.or_(o.not_(inc), ok)))
    if w.kind in DURATION_POWERS:
        guards.append(("duration must be positive", value > 0))
        if w.max_duration is not None:
            guards.append(("duration above the maximum", value <= w.max_duration))
    if w.step is not None:
        guards += step_guards(o, program, st, w, value)
    return guards


def set_value(o: Ops, program: Program, w: Power, value: Val) -> Val:
    """The base a `set` power stores for `value`: clamped to `within` and the param's range."""
    param = program.param(w.targets[0])
    lo, hi = w.within if w.within is not None else (param.min, param.max)
    lo, hi = max(lo, param.min), min(hi, param.max)
    return o.max_(lo, o.min_(value, hi))


def step_guards(o: Ops, program: Program, st: State, w: Power, value: Val) -> Guards:
    """A `set` power's step bound (docs/semantics.md, "Step bounds"): the stored value moves
    the base by at most the bound, either way, and `period` has passed since this power's
    previous use on the param. Linear: the relative bound's ratio is a constant."""
    assert w.step is not None
    t = w.targets[0]
    guards: Guards = []
    if (w.id, t) in st.used_until:
        ok = cooldown_ok(o, st.used_until[(w.id, t)], st.now, w.step.period)
        guards.append((f"step period on `{t}`", ok))
    if t in st.base:
        base, new = st.base[t], set_value(o, program, w, value)
        scale, limit = (WAD, w.step.amount * base) if w.step.relative else (1, w.step.amount)
        guards.append((f"step bound on `{t}`",
                       o.and_(scale * (new - base) <= limit, scale * (base - new) <= limit)))
    return guards


def use_power(
    o: Ops, program: Program, st: State, w: Power, include: Mapping[str, BoolVal], value: Val,
    sender: str | None = None,
) -> tuple[Guards, State]:
    """Power `w` used on the targets `include` selects, with `value` (duration or base value);
    `sender`: whom an `unblock` unblocks (concrete runs only, as blocks are).

    Signers and role satisfaction are checked by the caller (they are static for the verifier).
    """
    guards = power_guards(o, program, st, w, include, value)
    d = draft(st)
    if w.kind == "unblock" and sender is not None:
        unblock_sender(o, program, d, sender, [t for t, en in include.items() if en])
    for t, en in include.items():
        counts = _apply_power(o, program, d, w, t, en, value)
        if (w.id, t) in d.used_until:
            held = value if w.kind in DURATION_POWERS else 0
            d.used_until[(w.id, t)] = o.ite(counts, st.now + held, d.used_until[(w.id, t)])
    return guards, d


def _apply_power(
    o: Ops, program: Program, d: State, w: Power, t: str, en: BoolVal, value: Val
) -> BoolVal:
    """Apply `w` to target `t` (when `en`); whether the use counts for the power's cooldown
    (docs/semantics.md: a pause that applied nothing does not)."""
    if w.kind == "pause":
        return pause_scope(o, program, d, t, d.now + value, en)
    if w.kind == "extend":
        extend_scope(o, d, t, value, en)
    elif w.kind == "unpause":
        unpause_scope(o, d, t, en)
    elif w.kind == "suspend":
        suspend_feed(o, d, t, d.now + value, en)
    elif w.kind == "resume":
        resume_feed(o, d, t, en)
    elif w.kind == "set" and t in d.base:
        d.base[t] = o.ite(en, set_value(o, program, w, value), d.base[t])
    # `cancel` removes queued operations only; the verifier's model has none to remove
    return en
