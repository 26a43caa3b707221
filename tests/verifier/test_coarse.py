"""The coarse model (`verifier.coarse`): what it keeps, what it forgets, and that a proof on it
holds for the real rules while its failures change no verdict."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ir_builders import (
    DEV,
    OUTFLOW,
    SP,
    H,
    always,
    at_most,
    breaker,
    cmp,
    feed,
    not_,
    pause,
    paused,
    power,
    program,
    role,
    scope,
    suspend,
    suspended,
    threshold,
)

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import AlwaysProp, Implies, Invariant, PausedAtMostProp, Program, Property
from interlock.verifier.budget import Clock, OutOfTime
from interlock.verifier.coarse import coarse_model, coarse_proof
from interlock.verifier.symbolic import Model
from interlock.verifier.temporal import _query, check_temporal

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.dsl.strategies import guard_files
from tests.verifier.test_soundness import random_runs

GUARDIAN = role("guardian", threshold(2, "alice", "carol", "dave"))


def models(p: Program, prop: Property) -> tuple[Model | None, Model]:
    assert isinstance(prop, AlwaysProp | PausedAtMostProp)
    q = _query(p, prop)
    precise = Model.build(p, q.seed, q.assuming)
    return coarse_model(p, q.seed, q.assuming), precise


def coarse_proves(p: Program, prop: Property) -> bool:
    assert isinstance(prop, AlwaysProp | PausedAtMostProp)
    coarse, _ = models(p, prop)
    try:
        return coarse_proof(coarse, _query(p, prop).bad_symbolic, Clock.start(60)) is not None
    except OutOfTime:  # the wall-clock safety net under heavy load: no proof, nothing to check
        return False


def verdict(p: Program, prop: Property) -> str:
    return check_temporal(p, Invariant(name="p", prop=prop, span=SP), 30).status


def many_drains(n: int) -> Program:
    # n breakers on outflow thresholds, pauses of 1h, 2h or 3h, cooldown 24h, on a scope whose
    # `max 72h gap 24h` alone bounds every pause
    return program(
        scopes=(scope("w", max_pause=72 * H, gap=24 * H),),
        breakers=tuple(
            breaker(f"d{i}", cmp(OUTFLOW, ">", i + 1), pause("w", (1 + i % 3) * H), cooldown=24 * H)
            for i in range(n)
        ),
        roles=(GUARDIAN,),
        powers=(
            power("guardian", "pause", "w", max_duration=72 * H),
            power("guardian", "unpause", "w"),
        ),
    )


def test_breakers_doing_the_same_to_the_kept_scope_are_one_step() -> None:
    p = many_drains(60)
    prop = at_most("w", 72 * H, 24 * H)
    coarse, precise = models(p, prop)
    assert len(precise.actions) == 1 + 60 + 2
    assert coarse is not None
    assert sorted(a.label for a in coarse.actions) == [
        "advance", "fire d0", "fire d1", "fire d2", "power 0 (pause)", "power 1 (unpause)"
    ]
    assert all(b.cooldown is None for b in coarse.slice.breakers)  # cooldowns forgotten
    assert coarse_proves(p, prop) and verdict(p, prop) == "proved"


def test_a_condition_on_kept_state_is_kept() -> None:
    # the oracle breaker suspends F and pauses m together; m may be unpaused only when F is not
    # suspended: `suspended(F) -> paused(m)` needs the power's `when`, which reads kept state
    p = program(
        scopes=(scope("m"),),
        feeds=(feed("ETH_USD"),),
        breakers=tuple(
            breaker(f"o{i}", cmp(DEV, ">", 3 + i), suspend("ETH_USD", H // 2), pause("m", H // 2))
            for i in range(5)
        ),
        roles=(GUARDIAN,),
        powers=(power("guardian", "unpause", "m", when=not_(suspended("ETH_USD"))),),
    )
    prop = always(Implies(left=suspended("ETH_USD"), right=paused("m")))
    coarse, _ = models(p, prop)
    assert coarse is not None and len(coarse.actions) == 1 + 1 + 1  # the five breakers merged
    assert coarse_proves(p, prop) and verdict(p, prop) == "proved"


def test_what_the_coarse_model_forgets_falls_back_to_the_precise_one() -> None:
    # `s` is paused only when `o` is, and nothing pauses `o`: the coarse model forgets the
    # condition (it reads `o`, outside the property) and cannot prove `s` stays open
    p = program(
        scopes=(scope("s"), scope("o")),
        breakers=(breaker("follow", paused("o"), pause("s", H)),),
    )
    prop = always(not_(paused("s")))
    assert not coarse_proves(p, prop) and verdict(p, prop) == "proved"
    # a 24h cooldown bounds the pause to 6h; forgotten, the breaker re-fires for ever
    q = program(
        scopes=(scope("w"),),
        breakers=(breaker("drain", cmp(OUTFLOW, ">", 10), pause("w", 6 * H), cooldown=24 * H),),
    )
    prop = at_most("w", 6 * H)
    assert not coarse_proves(q, prop) and verdict(q, prop) == "proved"
    assert verdict(q, at_most("w", 6 * H - 1)) == "violated"


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=guard_files(max_breakers=4, max_powers=4, max_invariants=3), seed=st.integers(0, 9))
def test_a_coarse_proof_holds_on_random_executions(text: str, seed: int) -> None:
    result = compile_text(text, "fuzz.guard")
    if result.program is None:
        return
    p = result.program
    for inv in p.invariants:
        if isinstance(inv.prop, AlwaysProp | PausedAtMostProp) and coarse_proves(p, inv.prop):
            random_runs(p, inv.prop, None, seed)
