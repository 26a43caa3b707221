"""Differential tests on random rule files: the generated guard of any valid rule file follows
the reference semantics.

`tests.dsl.strategies.guard_files` draws a rule file; its guard is generated, compiled and
deployed on Anvil with stand-ins; a seeded random walk then builds a step sequence on the
semantics (breaker metrics solved with Z3 so that conditions hold, or left to fail; power uses
by satisfying coalitions and by random key sets; time steps of the file's own durations) and
`test_differential.compare_runs` holds both sides to it step by step.

An agent-only breaker is fired only when every atom of its condition is off chain: the guard
takes the agent's word for those, and for the others it measures what the stand-ins hold.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import ONCHAIN_ATOMS, Atom, Power, Program
from interlock.runtime.anvil import Anvil
from interlock.semantics import State, StepRefused, initial_state, step
from interlock.semantics.trace import Advance, Fire, MetricValue, Step, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.deploy import deploy_rules
from interlock.testing.metrics_chain import condition_atoms
from interlock.verifier.symbolic import minimal_signers
from tests.compiler.test_differential import compare_runs
from tests.dsl.strategies import guard_files
from tests.verifier.metric_witness import witness

pytestmark = [pytest.mark.evm, pytest.mark.anvil, pytest.mark.slow]

SENDERS = ("u1",)
STEPS = 24
UPPER = {"tvl": 10**30, "outflow": 10**27, "inflow": 10**27, "price": 10**30,
         "deviation": 10**21, "staleness": 10**8, "flow": 10**27}


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


def chain_upper(atom: Atom, st_: State) -> int:
    """What the stand-ins can realize: a feed updated after time 0, and `UPPER` per kind."""
    if atom.kind == "staleness":
        return min(int(st_.now) - 1, UPPER["staleness"])
    return UPPER.get(atom.kind, 10**24)


def fire_step(p: Program, st_: State, rng: random.Random) -> Step | None:
    b = rng.choice(p.breakers)
    atoms = condition_atoms(p, b.when)
    onchain_atoms = [a for a in atoms if a.kind in ONCHAIN_ATOMS]
    sender = "u1" if any(e.kind == "block" for e in b.effects) else None
    if not b.onchain and onchain_atoms:
        return None  # the guard would measure what the agent claims: not a fair comparison
    metrics = witness(p, st_, b.when, rng, upper=chain_upper, prefer_below=10**12)
    if metrics is None or (b.onchain and rng.random() < 0.2):
        if not b.onchain:
            return None  # the agent only trips what holds
        metrics = tuple(MetricValue(atom=a, value=0) for a in atoms)
    return Fire(breaker=b.name, metrics=metrics, sender=sender)


def usable(p: Program) -> list[Power]:
    """The powers a walk may use: a `cancel` needs a timelocked power of the cancelled role to
    have something to cancel (with nothing queued the guard reverts `NotQueued`, while the
    semantics, which has no queue, lets the cancel change nothing)."""
    def has_victim(w: Power) -> bool:
        return any(v.role == w.targets[0] and v.delay > 0 and v.kind != "cancel"
                   for v in p.powers)

    return [w for w in p.powers if w.kind != "cancel" or has_victim(w)]


def power_step(p: Program, rng: random.Random) -> Step | None:
    if not usable(p):
        return None
    w = rng.choice(usable(p))
    targets = tuple(t for t in w.targets if rng.random() < 0.6) or w.targets[:1]
    value = None
    if w.kind in ("pause", "suspend", "extend"):
        top = w.max_duration or 86_400
        value = rng.choice([1, top, top + 1, rng.randint(1, top)])
    elif w.kind == "set":
        param = p.param(w.targets[0])
        value = rng.randint(param.min - 5, param.max + 5)
    names = [s.name for s in p.signers]
    signers = rng.choice([
        minimal_signers(p, w.role), tuple(names),
        tuple(n for n in names if rng.random() < 0.5),
    ])
    sender = "u1" if w.kind == "unblock" else None  # the sender the walk's blocks name
    return UsePower(power=w.id, targets=targets, value=value, signers=signers, sender=sender)


def random_walk(p: Program, seed: int, t0: int) -> list[Step]:
    rng = random.Random(seed)
    durations = sorted({e.duration for b in p.breakers for e in b.effects if e.kind != "alert"}
                       | {w.max_duration or 0 for w in p.powers} | {w.delay for w in p.powers}
                       | {b.cooldown or 0 for b in p.breakers} | {60})
    st_ = initial_state(p, t0)
    steps: list[Step] = []
    while len(steps) < STEPS:
        roll = rng.random()
        s: Step | None
        if roll < 0.3 or (not p.breakers and not p.powers):
            d = rng.choice(durations)
            s = Advance(seconds=rng.choice([0, 1, d, d + 1, max(d - 1, 0)]))
        elif roll < 0.65 and p.breakers:
            s = fire_step(p, st_, rng)
        elif usable(p):
            s = power_step(p, rng)
        else:
            s = Advance(seconds=rng.choice(durations))
        if s is None:
            continue
        steps.append(s)
        with contextlib.suppress(StepRefused):
            st_ = step(p, st_, s)
    return steps


def _label(p: Program) -> Any:
    def label(s: Step) -> str:
        if isinstance(s, Fire):
            b = p.breaker(s.breaker)
            return f"fire ({'on chain' if b.onchain else 'agent'})"
        if isinstance(s, UsePower):
            w = p.powers[s.power]
            return f"{w.kind}{' (timelocked)' if w.delay else ''}"
        return "advance"

    return label


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=guard_files(max_breakers=4, max_powers=4, max_invariants=1),
       seed=st.integers(0, 2**32))
def test_random_rule_files_agree(chain: TestChain, text: str, seed: int) -> None:
    program = compile_text(text, "fuzz.guard").program
    if program is None:
        return
    snap = chain.snapshot()
    try:
        deployed = deploy_rules(chain, text, "fuzz.guard")
        t0 = chain.latest_timestamp() + 1_000
        steps = random_walk(deployed.program, seed, t0)
        compare_runs(deployed, t0, steps, SENDERS, label=_label(deployed.program))
    finally:
        chain.revert(snap)
