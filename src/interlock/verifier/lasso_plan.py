"""A likely never-ending pause, planned by simulating the pausers alone (no solver).

The adversary keeps a scope paused longest by waiting until its pause is about to end and
then re-pausing it with whatever is ready: a breaker whose cooldown has passed, or a pause
power off its cooldown. Simulating just that — each pauser's duration on the scope, how long
it marks itself busy and its cooldown — finds the firing order that repeats, typically a loop
as long as the number of breakers taking turns, which a generic lasso search reaches only at
twice that depth. The plan is only a guess: `bmc.planned_lasso` finds concrete inputs for it
(conditions, exact waits) and `temporal_common.valid_lasso` replays it, so a wrong plan costs
one query and never a wrong verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.semantics.rules import breaker_duration
from interlock.verifier.symbolic import Action, Model

MAX_STEPS = 64


@dataclass(frozen=True)
class _Pauser:
    action: Action
    pause: int  # how long one use pauses the scope
    busy: int  # how far ahead its cooldown mark is set
    cooldown: int


def _pausers(model: Model, scope: str) -> list[_Pauser]:
    out = []
    for a in model.actions:
        if a.breaker is not None:
            b = a.breaker
            d = max((e.duration for e in b.effects if e.kind == "pause" and scope in e.scopes),
                    default=0)
            if d:
                out.append(_Pauser(a, d, breaker_duration(b), b.cooldown or 0))
        elif a.power is not None and a.power.kind == "pause" and scope in a.power.targets:
            m = a.power.max_duration
            if m:
                out.append(_Pauser(a, m, m, a.power.cooldown or 0))
    return sorted(out, key=lambda p: -p.pause)


def plan(model: Model, scope: str) -> tuple[list[Action], int] | None:
    """`(actions, loop_at)`: re-pause at the last instant with the longest pauser ready, until
    the relative state repeats; None if the pause ends first."""
    pausers = _pausers(model, scope)
    if not pausers:
        return None
    cap = model.program.scope(scope).max_pause
    ready: list[int | None] = [None] * len(pausers)  # when each may act again (None: unused)
    now, until, since = 0, 0, 0
    seen: dict[tuple[object, ...], int] = {}
    order: list[Action] = []
    for _ in range(MAX_STEPS):
        key = (*(None if r is None else max(r - now, 0) for r in ready), until - now)
        if order and key in seen:
            return order, seen[key]
        seen[key] = len(order)
        pick = next((i for i, r in enumerate(ready) if r is None or r <= now), None)
        if pick is None:
            return None
        p = pausers[pick]
        end = now + p.pause
        if cap is not None and end - since > cap:
            return None
        order.append(p.action)
        ready[pick] = now + p.busy + p.cooldown
        until = max(until, end)
        now = until
    return None
