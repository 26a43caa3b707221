"""Replay a verifier counterexample as transactions and show the property broken on chain.

`replay_on_chain` runs a `violated` result's steps through a `ChainDriver` (a lasso's loop
repeated a few times) and records the guard's state after every transaction;
`breach_on_chain` then checks the invariant against those chain observations only (nothing
from the semantics): an `always` predicate false in an observed state, a continuous pause
longer than the bound or a reopening shorter than `then open G` in the guard's own
`pausedSince`/`pausedUntil`, a pause that grows with every loop iteration, or a power the
guard accepted from too few keys or entities, a sender blocked longer than the bound in
`blockedUntil`. For `ROLE can pause S within D` the replay ends
with a probe: time passes by D and every untimelocked pausing power of ROLE is tried on S; the
property is broken on chain when none of them pauses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from interlock.ir.conditions import CondFold, compare_zero
from interlock.ir.nodes import CanPauseProp, Compare, Cond, Invariant, Program, StatePred
from interlock.semantics.trace import Advance, Step, UsePower
from interlock.testing.chain_driver import ChainDriver, GuardView
from interlock.verifier.blocks import VICTIM
from interlock.verifier.can_pause import pausing_powers
from interlock.verifier.result import PropertyResult
from interlock.verifier.symbolic import minimal_signers

LOOP_ITERATIONS = 3


@dataclass(frozen=True)
class Observation:
    index: int  # step index in the replayed sequence
    now: int
    ok: bool  # the transaction was accepted
    view: GuardView


@dataclass(frozen=True)
class ChainReplay:
    steps: tuple[Step, ...]  # as replayed (loop unrolled, timelocks waited out)
    applied: tuple[tuple[Step, ...], ...]  # per step, what the semantics must apply: the
    # breakers the guard fired by itself during the set-up, then the step with each `Fire`'s
    # metrics as realized on chain
    loop_starts: tuple[int, ...]  # indices where each loop iteration begins
    observations: tuple[Observation, ...]
    probe: str | None = None  # `can pause ... within D`: why no power paused (None: one did)


def replay_steps(program: Program, result: PropertyResult) -> tuple[list[Step], list[int]]:
    """The steps to replay for `result` and where each loop iteration starts."""
    cx = result.counterexample
    if cx is None:
        raise ValueError(f"`{result.name}` has no counterexample")
    steps: list[Step] = list(cx.steps)
    starts: list[int] = []
    if cx.loop_start is not None:
        loop = steps[cx.loop_start:]
        starts = [cx.loop_start + k * len(loop) for k in range(LOOP_ITERATIONS)]
        steps += loop * (LOOP_ITERATIONS - 1)
    if len(steps) == 1 and isinstance(steps[0], UsePower):  # a coalition's single power use
        delay = program.powers[steps[0].power].delay
        if delay > 0:
            steps.insert(0, Advance(seconds=delay))
    return steps, starts


def replay_on_chain(driver: ChainDriver, result: PropertyResult) -> ChainReplay:
    steps, starts = replay_steps(driver.program, result)
    driver.prequeue(steps)
    obs, applied = [], []
    for i, s in enumerate(steps):
        out = driver.apply(s, i)
        applied.append(out.implicit + (() if out.in_implicit else (out.step,)))
        if not isinstance(s, Advance):
            obs.append(Observation(index=i, now=driver.now, ok=out.ok, view=driver.read()))
    prop = next((v.prop for v in driver.program.invariants if v.name == result.name), None)
    probe = _probe_can_pause(driver, prop) if isinstance(prop, CanPauseProp) else None
    return ChainReplay(steps=tuple(steps), applied=tuple(applied), loop_starts=tuple(starts),
                       observations=tuple(obs), probe=probe)


def _probe_can_pause(driver: ChainDriver, prop: CanPauseProp) -> str | None:
    """At now + D, try each untimelocked pausing power of ROLE on S (a timelocked one would
    need its queue: not probed); why none paused S, or None when one did."""
    driver.apply(Advance(seconds=prop.within))
    for w in pausing_powers(driver.program, prop):
        if w.delay > 0:
            continue
        before = driver.read().paused_until[prop.scope]
        use = UsePower(power=w.id, targets=(prop.scope,), value=w.max_duration or 3600,
                       signers=minimal_signers(driver.program, w.role))
        if driver.apply(use).ok and driver.read().paused_until[prop.scope] > before:
            return None
    return (f"at {driver.now}, {prop.within}s later, no power of `{prop.role}` pauses "
            f"`{prop.scope}`")


# --- the property, judged on chain observations ---------------------------------------------


class _ViewCond(CondFold[bool]):
    """A state predicate (SPEC §5 `always`) on the guard's observed state at `now`."""

    def __init__(self, view: GuardView, now: int) -> None:
        self.view, self.now = view, now

    def compare(self, c: Compare) -> bool:
        total = c.constant
        for t in c.terms:
            if t.atom.kind != "param":
                raise ValueError(f"`{t.atom.kind}` is not a state quantity")
            total += t.coef * self.view.param_value[t.atom.target]
        return bool(compare_zero(total, c.op))

    def state(self, c: StatePred) -> bool:
        until = self.view.paused_until if c.pred == "paused" else self.view.suspended_until
        return self.now < until[c.target]

    def const(self, value: bool) -> bool:
        return value

    def not_(self, item: bool) -> bool:
        return not item

    def and_(self, items: list[bool]) -> bool:
        return all(items)

    def or_(self, items: list[bool]) -> bool:
        return any(items)


def eval_on_view(program: Program, cond: Cond, view: GuardView, now: int) -> bool:
    """A state predicate (SPEC §5 `always`) on the guard's observed state at `now`."""
    return _ViewCond(view, now).fold(cond)


def breach_on_chain(program: Program, invariant: Invariant, replay: ChainReplay) -> str | None:
    """How the chain observations break `invariant` (None: they do not)."""
    prop, obs = invariant.prop, replay.observations
    if any(not o.ok for o in obs):
        return None  # the guard refused a step: the counterexample is not reproduced
    if prop.kind == "always":
        for o in obs:
            if not eval_on_view(program, prop.pred, o.view, o.now):
                return f"after step {o.index} (t={o.now}) the predicate is false on chain"
        return None
    if prop.kind == "paused_at_most":
        return _pause_breach(prop.scope, prop.limit, prop.open_gap, obs)
    if prop.kind == "blocked_at_most":
        return _block_breach(prop.scope, prop.limit, obs)
    if prop.kind == "never_locked":
        return _growing_pause(prop.scope, replay)
    if prop.kind == "can_pause":
        return replay.probe
    step = replay.steps[obs[-1].index] if obs else None
    if isinstance(step, UsePower):  # a coalition property: the guard took too few keys
        return f"the guard accepted power {step.power} signed by {', '.join(step.signers)}"
    return None


def _pause_breach(
    scope: str, limit: int, gap: int | None, obs: tuple[Observation, ...]
) -> str | None:
    prev: Observation | None = None
    for o in obs:
        pu, ps = o.view.paused_until[scope], o.view.paused_since[scope]
        if pu - ps > limit:
            return f"`{scope}` paused continuously from {ps} to {pu}: {pu - ps}s > {limit}s"
        if gap is not None and prev is not None:
            prev_pu, prev_ps = prev.view.paused_until[scope], prev.view.paused_since[scope]
            if ps != prev_ps and prev_pu != 0 and ps - prev_pu < gap:
                return (f"`{scope}` reopened at {prev_pu} and paused again at {ps}: open "
                        f"{ps - prev_pu}s < {gap}s")
        prev = o
    return None


def _block_breach(scope: str, limit: int, obs: tuple[Observation, ...]) -> str | None:
    """The victim's continuous block from `scope`, followed in the guard's `blockedUntil`: a
    block that starts by the end of the last one continues it (docs/semantics.md, "Blocks")."""
    until, since = 0, 0
    for o in obs:
        new = o.view.blocked_until[f"{VICTIM}/{scope}"]
        if new > until and (until == 0 or o.now > until):
            since = o.now
        until = new
        if until - since > limit and since:
            return (f"`{VICTIM}` blocked from `{scope}` continuously from {since} to {until}: "
                    f"{until - since}s > {limit}s")
    return None


def _growing_pause(scope: str, replay: ChainReplay) -> str | None:
    """Every loop iteration ends with the same continuous pause, strictly longer."""
    ends = []
    for k, start in enumerate(replay.loop_starts):
        stop = replay.loop_starts[k + 1] if k + 1 < len(replay.loop_starts) else len(
            replay.steps)
        inside = [o for o in replay.observations if start <= o.index < stop]
        if not inside:
            return None
        ends.append(inside[-1])
    if len(ends) < 2:
        return None
    since = {o.view.paused_since[scope] for o in ends}
    lengths = [o.view.paused_until[scope] - o.view.paused_since[scope] for o in ends]
    still_paused = all(o.now < o.view.paused_until[scope] for o in ends)
    growing = all(a < b for a, b in pairwise(lengths))
    if len(since) == 1 and still_paused and growing:
        return f"`{scope}` stays paused since {since.pop()}; length per loop: {lengths}"
    return None
