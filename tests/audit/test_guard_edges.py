"""Audit: exact-timestamp edges, derived by hand from docs/semantics.md, on both sides.

Each edge is a step sequence over `data/edges.guard` with the acceptance of every step and
the final state worked out by hand from docs/semantics.md ("Steps"). The test checks the
reference semantics against the hand derivation, then runs the same steps as transactions on
the generated guard (Anvil) and checks that the guard accepts/refuses the same steps and ends
in the same state after every transaction.

Times are offsets from t0, in seconds; `None` in `final` is "never" (0 on both sides).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from interlock.ir.nodes import Atom, Program
from interlock.runtime.anvil import Anvil
from interlock.semantics import StepRefused, initial_state, step
from interlock.semantics.trace import Advance, Fire, MetricValue, Step, UsePower
from interlock.testing.chain_driver import ChainDriver, GuardView, view_of_state
from interlock.testing.deploy import check_text
from tests.compiler.test_differential import Env, deployed_env

RULES = Path(__file__).parent / "data" / "edges.guard"
PROGRAM: Program = check_text(RULES.read_text(), str(RULES))
H = 3600
M = 60
T0 = 1_900_000_000


def _power(kind: str, role: str) -> int:
    return next(w.id for w in PROGRAM.powers if w.kind == kind and w.role == role)


def use(kind: str, role: str, targets: tuple[str, ...], value: int | None = None,
        signers: tuple[str, ...] = ("s1", "s2")) -> UsePower:
    return UsePower(power=_power(kind, role), targets=targets, value=value, signers=signers)


def fire(name: str) -> Fire:
    window = {"crash": 3600, "nocool": 7200, "twice": 10800}[name]
    atom = Atom(kind="change", target="F", window=window)
    return Fire(breaker=name, metrics=(MetricValue(atom=atom, value=9 * 10**16),))


def adv(seconds: int) -> Advance:
    return Advance(seconds=seconds)


@dataclass(frozen=True)
class Edge:
    steps: list[Step]
    accepted: list[bool]
    final: dict[tuple[str, str], int | None]


EDGES: dict[str, Edge] = {
    # y: paused 0..2h, unpaused at 1h; crash at 1h re-pauses at the very timestamp the pause
    # ended -> continuation (since 0), clamped by max 3h to 3h. At 3h (= paused_until) the
    # guardian's pause cooldown (used_until 2h + 1h) has just elapsed; its pause continues the
    # same pause and is clamped to nothing (not a use). The governor's extend (timelock 2h
    # elapsed) at the exact end continues the pause beyond max: 4h, since 0.
    "unpause then re-pause at the same timestamp continues the pause": Edge(
        [use("pause", "guardian", ("y",), 2 * H), adv(H), use("unpause", "guardian", ("y",)),
         fire("crash"), adv(2 * H), use("pause", "guardian", ("y",), H),
         use("extend", "governor", ("y",), H)],
        [True] * 7,
        {("paused_until", "y"): 4 * H, ("paused_since", "y"): 0,
         ("paused_until", "w"): 5 * H, ("paused_since", "w"): H,
         ("fired_until", "crash"): 5 * H, ("param_value", "lev"): 20},
    ),
    # crash at 0: w until 4h. At 6h-1 crash again (cooldown 4h+30m elapsed): w's pause is
    # refused by gap 2h (its other effects apply); at exactly 6h = 4h + gap a pause is allowed
    # and is a new one; crash's cooldown now runs from 10h-1.
    "gap refuses one second early and allows at exactly paused_until + gap": Edge(
        [fire("crash"), adv(H), adv(5 * H - 1), fire("crash"), adv(1),
         use("pause", "guardian", ("w",), H), fire("crash")],
        [True, True, True, True, True, True, False],
        {("paused_until", "w"): 7 * H, ("paused_since", "w"): 6 * H,
         ("paused_until", "y"): 8 * H - 1, ("paused_since", "y"): 6 * H - 1,
         ("fired_until", "crash"): 10 * H - 1, ("param_value", "lev"): 10},
    ),
    # nocool has no cooldown, but it reads F, which it suspends: it does not fire while F is
    # suspended (docs/semantics.md, "Failed reads"), and fires again at the very timestamp the
    # suspension ends (1h: x's pause continues, since 0, until 2h). solo's unpause of x is
    # refused while F is suspended; the guardian resumes F at 2h-1, and at that same timestamp
    # F is no longer suspended, so solo may unpause; nocool then fires at the very timestamp
    # x's pause ended: a continuation (since stays 0).
    "when not suspended at the exact resume time; no-cooldown breaker re-fires": Edge(
        [fire("nocool"), adv(30 * M), fire("nocool"), adv(30 * M), fire("nocool"),
         adv(H - 1), use("unpause", "solo", ("x",), signers=("s1", "s3")),
         use("resume", "guardian", ("F",)),
         use("unpause", "solo", ("x",), signers=("s1", "s3")), fire("nocool")],
        [True, True, False, True, True, True, False, True, True, True],
        {("paused_until", "x"): 3 * H - 1, ("paused_since", "x"): 0,
         ("suspended_until", "F"): 3 * H - 1, ("fired_until", "nocool"): 3 * H - 1},
    ),
    # the governor's timelock (2h) refuses one second early; extend of an open scope starts a
    # pause; extend at the exact end continues it; `set` clamps to `within`; crash continues
    # w's pause (max from since 2h); a guardian pause at the exact end is refused by gap (a
    # refused pause does not use the guardian's cooldown); extend ignores gap and max.
    "timelock at exactly its delay; extend ignores gap and max": Edge(
        [adv(2 * H - 1), use("extend", "governor", ("w",), H), adv(1),
         use("extend", "governor", ("w",), H), adv(H), use("extend", "governor", ("w",), 30 * M),
         use("set", "governor", (), 100), fire("crash"), adv(4 * H),
         use("pause", "guardian", ("w",), H), use("extend", "governor", ("w",), H)],
        [True, False, True, True, True, True, True, True, True, True, True],
        {("paused_until", "w"): 8 * H, ("paused_since", "w"): 2 * H,
         ("paused_until", "y"): 5 * H, ("paused_since", "y"): 3 * H,
         ("param_base", "lev"): 30, ("param_value", "lev"): 30,
         ("fired_until", "crash"): 7 * H},
    ),
    # docs/semantics.md: `set P to v for D` replaces the breaker's override, effects apply in
    # order, so the second `set` wins: lev is 10 until 1h, then 20 (not 5 until 2h)
    "two sets of one param in one breaker: the last replaces the first": Edge(
        [fire("twice"), adv(H - 1), use("pause", "guardian", ("x",), 1), adv(1),
         use("pause", "guardian", ("y",), 1)],
        [True] * 5,
        {("param_value", "lev"): 20, ("fired_until", "twice"): 2 * H},
    ),
}


def _value(view: GuardView, field: str, name: str) -> int | None:
    v = int(getattr(view, field)[name])
    if field.endswith(("until", "since")):
        return None if v == 0 else v - T0
    return v


def run_semantics(steps: list[Step]) -> tuple[list[bool], GuardView]:
    state = initial_state(PROGRAM, T0)
    accepted = []
    for s in steps:
        try:
            state = step(PROGRAM, state, s)
            accepted.append(True)
        except StepRefused:
            accepted.append(False)
    return accepted, view_of_state(PROGRAM, state)


@pytest.mark.parametrize("name", list(EDGES))
def test_semantics_matches_hand_derivation(name: str) -> None:
    edge = EDGES[name]
    accepted, view = run_semantics(edge.steps)
    assert accepted == edge.accepted
    got = {k: _value(view, *k) for k in edge.final}
    assert got == edge.final


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with Anvil(timestamp=T0 - 10_000) as node:
        yield deployed_env(node, RULES)


@pytest.mark.evm
@pytest.mark.anvil
@pytest.mark.parametrize("name", list(EDGES))
def test_guard_agrees_on_edges(env: Env, name: str) -> None:
    edge = EDGES[name]
    env.chain.revert(env.snapshot)
    env.snapshot = env.chain.snapshot()
    program = env.deployed.program
    driver = ChainDriver(program, env.deployed.harness, env.deployed.guard, t0=env.t0)
    driver.prequeue(edge.steps)
    state = initial_state(program, env.t0)
    for i, s in enumerate(edge.steps):
        out = driver.apply(s, i)
        try:
            state, ok = step(program, state, out.step), True
        except StepRefused:
            ok = False
        assert out.ok == ok == edge.accepted[i], f"step {i}: {s!r}"
        if not isinstance(s, Advance):
            assert driver.read() == view_of_state(program, state), f"after step {i}: {s!r}"
    driver.sync_clock()
    view = driver.read()
    assert view == view_of_state(program, state)
    got = {k: (None if v is None else v) for k, v in
           ((k, _offset(view, env.t0, *k)) for k in edge.final)}
    assert got == edge.final


def _offset(view: GuardView, t0: int, field: str, name: str) -> int | None:
    v = int(getattr(view, field)[name])
    if field.endswith(("until", "since")):
        return None if v == 0 else v - t0
    return v
