"""A boundary-seeking adversary on the concrete reference semantics (audit helper).

Random executions rarely hit the exact timestamps where the rules change their mind (a pause's
end, `paused_until + gap`, the end of a cooldown, the expiry of an override, a timelock). This
adversary advances time to exactly those marks (and one second around them) much of the time,
requests durations that reach them, and fires breakers with metric values that Z3 finds for
their conditions. It is used to attack `proved` results: a `proved` property must survive it.
"""

from __future__ import annotations

import random
from typing import Any

from interlock.ir.nodes import Power, Program
from interlock.semantics import StepRefused, initial_state, step
from interlock.semantics.state import State
from interlock.semantics.trace import Advance, Fire, Step, UsePower
from interlock.verifier.symbolic import minimal_signers
from tests.verifier.judge import breaks
from tests.verifier.metric_witness import metrics_for

T0 = 1_700_000_000


def marks(p: Program, st: State) -> list[int]:
    """Non-negative offsets from `now` to every timestamp at which some rule changes."""
    out = {0, 1}
    for s in p.scopes:
        pu = st.paused_until[s.name]
        out |= {pu - st.now, pu - st.now - 1, pu - st.now + 1}
        if s.gap:
            out |= {pu + s.gap - st.now, pu + s.gap - st.now - 1}
        if s.max_pause:
            out.add(st.paused_since[s.name] + s.max_pause - st.now)
    for b in p.breakers:
        fu = st.fired_until[b.name]
        out.add(fu - st.now)
        if b.cooldown is not None:
            out |= {fu + b.cooldown - st.now, fu + b.cooldown - st.now - 1}
    for (wid, _t), u in st.used_until.items():
        c = p.powers[wid].cooldown or 0
        out |= {u + c - st.now, u + c - st.now - 1}
    out |= {u - st.now for u in st.suspended_until.values()}
    out |= {u - st.now for u in st.override_until.values()}
    out |= {st.t0 + w.delay - st.now for w in p.powers if w.delay}
    return sorted(x for x in out if x >= 0)


def _value(p: Program, st: State, w: Power, rng: random.Random) -> int | None:
    if w.kind in ("pause", "extend", "suspend"):
        top = w.max_duration or 86_400
        return rng.choice([top, 1, *[m for m in marks(p, st) if 0 < m <= top]])
    if w.kind == "set":
        param = p.param(w.targets[0])
        return rng.choice([param.min - 1, param.min, param.initial, param.max, param.max + 1])
    return None


def random_step(p: Program, powers: list[Power], st: State, rng: random.Random) -> Step:
    c = rng.random()
    if c < 0.4 or (not p.breakers and not powers):
        return Advance(seconds=rng.choice([*marks(p, st), rng.randint(0, 3 * 86_400)]))
    if c < 0.7 and p.breakers:
        b = rng.choice(p.breakers)
        return Fire(breaker=b.name, metrics=metrics_for(p, st, b.when, rng))
    if not powers:
        return Advance(seconds=1)
    w = rng.choice(powers)
    targets = tuple(t for t in w.targets if rng.random() < 0.7) or w.targets
    if w.kind == "set":
        targets = w.targets
    return UsePower(power=w.id, targets=targets, value=_value(p, st, w, rng),
                    signers=minimal_signers(p, w.role))


def attack(p: Program, prop: Any, bound: int | None, rng: random.Random, runs: int = 10,
           depth: int = 40) -> list[Step] | None:
    """Executions by the adversary (assumed roles' powers left out); the first that breaks
    `prop`, or None."""
    assumed = set(getattr(prop, "assuming", ()))
    powers = [w for w in p.powers if w.role not in assumed and w.kind != "cancel"]
    for _ in range(runs):
        st = initial_state(p, T0)
        trace: list[Step] = []
        for _ in range(depth):
            s = random_step(p, powers, st, rng)
            try:
                st = step(p, st, s)
            except StepRefused:
                continue
            trace.append(s)
            if breaks(p, prop, st, bound):
                return trace
    return None


def replay(p: Program, steps: tuple[Step, ...] | list[Step]) -> State:
    st = initial_state(p, T0)
    for s in steps:
        st = step(p, st, s)
    return st
