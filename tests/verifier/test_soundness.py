"""Soundness of the temporal checks on random rule files (hypothesis).

- every `violated` counterexample replays on the concrete semantics and breaks the property
  (checked here independently of the checker's own replay);
- for every `proved` property, long random executions of the concrete semantics never break it.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import (
    AlwaysProp,
    NeverLockedProp,
    PausedAtMostProp,
    Program,
)
from interlock.semantics import StepRefused, initial_state, step
from interlock.semantics.ops import CONCRETE
from interlock.semantics.state import State
from interlock.semantics.trace import Advance, Fire, Step, UsePower
from interlock.verifier.replay import T0, replay, replay_lasso
from interlock.verifier.symbolic import Model, Slice, minimal_signers
from interlock.verifier.temporal import check_temporal

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.dsl.strategies import guard_files
from tests.verifier.judge import breaks
from tests.verifier.metric_witness import metrics_for

TEMPORAL = (AlwaysProp, PausedAtMostProp, NeverLockedProp)


def random_step(p: Program, st: State, rng: random.Random, durations: list[int]) -> Step:
    choice = rng.random()
    if choice < 0.35 or (not p.breakers and not p.powers):
        return Advance(seconds=rng.choice([0, 1, *durations, rng.randint(1, 10 * 86400)]))
    if choice < 0.7 and p.breakers:
        b = rng.choice(p.breakers)
        return Fire(breaker=b.name, metrics=metrics_for(p, st, b.when, rng), sender="0x" + "a" * 40)
    if not p.powers:
        return Advance(seconds=rng.randint(0, 86400))
    w = rng.choice(p.powers)
    targets = tuple(t for t in w.targets if rng.random() < 0.6) or w.targets[:1]
    value = None
    if w.kind in ("pause", "suspend", "extend"):
        top = w.max_duration or 86400
        value = rng.choice([1, top, rng.randint(1, top)])
    elif w.kind == "set":
        param = p.param(w.targets[0])
        value = rng.randint(param.min - 5, param.max + 5)
    return UsePower(power=w.id, targets=targets, value=value, signers=minimal_signers(p, w.role))


def replays_forever(p: Program, prop: NeverLockedProp, steps: Any, loop: int) -> bool:
    """The loop replays round after round with the scope in one pause, each round ending in
    the state it started from shifted in time (on the scope's cone of influence: nothing
    outside it can affect the scope)."""
    full = Model.build(p, Slice(scopes={prop.scope}), prop.assuming)
    horizon = full.horizon()

    def shifted(a: State, b: State) -> object:
        return full.same_up_to_shift(a, b, prop.scope, horizon, CONCRETE)

    return replay_lasso(p, steps, loop, prop.scope, shifted, rounds=5)


def random_runs(p: Program, prop: Any, bound: int | None, seed: int) -> None:
    rng = random.Random(seed)
    assumed = set(getattr(prop, "assuming", ()))
    adversary = p.model_copy(update={"powers": tuple(w for w in p.powers if w.role not in assumed)})
    durations = sorted(
        {e.duration for b in p.breakers for e in b.effects if e.kind != "alert"}
        | {w.max_duration or 0 for w in p.powers}
        | {w.delay for w in p.powers}
    )
    for _ in range(10):
        st = initial_state(p, T0)
        for _ in range(100):
            s = random_step(adversary, st, rng, durations)
            try:
                st = step(p, st, s)
            except StepRefused:
                continue
            assert not breaks(p, prop, st, bound), (prop, s, st)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=guard_files(max_breakers=4, max_powers=4, max_invariants=3), seed=st.integers(0, 9))
def test_temporal_results_are_sound(text: str, seed: int) -> None:
    result = compile_text(text, "fuzz.guard")
    if result.program is None:
        return
    p = result.program
    for inv in p.invariants:
        if not isinstance(inv.prop, TEMPORAL):
            continue
        r = check_temporal(p, inv, 4.0)
        if r.status == "violated":
            assert r.counterexample is not None
            steps = r.counterexample.steps
            if isinstance(inv.prop, NeverLockedProp):
                loop = r.counterexample.loop_start
                assert loop is not None and loop < len(steps)
                assert replays_forever(p, inv.prop, steps, loop)
            else:
                assert breaks(p, inv.prop, replay(p, steps), None)
        elif r.status == "proved":
            random_runs(p, inv.prop, r.bound, seed)
