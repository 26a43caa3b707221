"""Temporal properties: `always PRED`, `S paused at most D [then open G]`, `S never locked forever`,
`ROLE can pause S within D` (`can_pause`).

Each property is a safety query (`temporal_props`) over the sliced transition relation
(`symbolic`). Spacer (`chc`) proves it for executions of any length; when it does not, bounded
model checking (`bmc`) looks for a counterexample, which is replayed on the concrete semantics
(`replay`) before it is reported. A bounded search without a counterexample is `unknown` with
its depth, never `proved`.

A duration property looks for the cheap answers first (`temporal_bound`): a pause that can
last forever (a lasso) violates every `paused at most D`, and a longer pause than `D` witnessed
by a shallow BMC run violates it too; only then come the proofs. `never locked forever`
searches the tightest bound B for which `paused at most B` is proved, or a lasso.

Every solver call has a budget in solver steps (`budget`), not in seconds, so a result does not
depend on machine load; the time limit is a safety net that makes the property `unknown`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from interlock.ir.nodes import (
    AlwaysProp,
    CanPauseProp,
    Invariant,
    NeverLockedProp,
    PausedAtMostProp,
    Program,
)
from interlock.semantics.ops import CONCRETE
from interlock.semantics.state import State
from interlock.verifier.bmc import BmcResult, bmc, follow
from interlock.verifier.budget import Clock, OutOfTime
from interlock.verifier.can_pause import bad_can_pause, seed_can_pause
from interlock.verifier.chc import chc_check
from interlock.verifier.coarse import coarse_model, coarse_proof
from interlock.verifier.describe import fmt_duration
from interlock.verifier.replay import replay_breaks
from interlock.verifier.result import Counterexample, PropertyResult
from interlock.verifier.symbolic import Model, Slice
from interlock.verifier.temporal_bound import (
    WITNESS_DEPTH,
    candidate_bounds,
    check_never_locked,
    never_ending,
    prove_tighter,
    witness,
)
from interlock.verifier.temporal_common import MAX_BMC_DEPTH, result, unroll_lasso
from interlock.verifier.temporal_props import (
    bad_always,
    bad_paused,
    seed_always,
    seed_paused,
)
from interlock.verifier.timeline import timeline
from interlock.verifier.z3ops import Z3

# budgets in nominal seconds (`budget.RLIMIT_PER_S`)
QUICK_DEPTH = 16
FIRST_CHC_S = 0.5
QUICK_CHC_S = 2.0
BMC_CHECK_S = 1.0  # per BMC check
CHC_SHARE = 0.3  # of the time limit, for the long unbounded proof before the deep search


@dataclass(frozen=True)
class _Query:
    seed: Slice
    assuming: tuple[str, ...]
    bad_symbolic: Callable[[State], object]
    bad_concrete: Callable[[State], object]
    prop: AlwaysProp | PausedAtMostProp | CanPauseProp


def _query(program: Program, prop: AlwaysProp | PausedAtMostProp | CanPauseProp) -> _Query:
    if isinstance(prop, CanPauseProp):
        return _Query(
            seed_can_pause(prop),
            prop.assuming,
            bad_can_pause(Z3, program, prop),
            bad_can_pause(CONCRETE, program, prop),
            prop,
        )
    if isinstance(prop, AlwaysProp):
        return _Query(
            seed_always(program, prop),
            prop.assuming,
            bad_always(Z3, program, prop),
            bad_always(CONCRETE, program, prop),
            prop,
        )
    s = prop.scope

    return _Query(
        seed_paused(prop),
        prop.assuming,
        bad_paused(Z3, s, prop.limit, prop.open_gap),
        bad_paused(CONCRETE, s, prop.limit, prop.open_gap),
        prop,
    )


def check_temporal(program: Program, invariant: Invariant, timeout_s: float) -> PropertyResult:
    """Decide one temporal invariant; `unknown` (timeout) if `timeout_s` seconds pass first."""
    start = time.monotonic()
    clock = Clock.start(timeout_s)
    prop = invariant.prop
    try:
        if isinstance(prop, NeverLockedProp):
            return check_never_locked(program, invariant, prop, start, clock)
        assert isinstance(prop, AlwaysProp | PausedAtMostProp | CanPauseProp)
        return _check_safety(program, invariant, _query(program, prop), start, clock, timeout_s)
    except OutOfTime:
        return result(invariant, start, status="unknown", method="timeout",
                      reason=f"timeout after {timeout_s:g}s")


def _check_safety(
    program: Program, invariant: Invariant, q: _Query, start: float, clock: Clock,
    timeout_s: float,
) -> PropertyResult:
    coarse = coarse_model(program, q.seed, q.assuming)
    quick = coarse_proof(coarse, q.bad_symbolic, clock)
    if quick is not None:
        return result(invariant, start, status="proved", method="chc (spacer)",
                      certificate=quick.invariant)
    model = Model.build(program, q.seed, q.assuming)
    if isinstance(q.prop, PausedAtMostProp):
        # a glance first: a `max` clamp or a cooldown is often proof enough in a fraction of a
        # second, before the searches that a large slice makes costly
        first = chc_check(model, q.bad_symbolic, clock, FIRST_CHC_S)
        if first.status == "safe":
            return result(invariant, start, status="proved", method="chc (spacer)",
                          certificate=first.invariant)
        cheap = _duration_first(program, invariant, q, q.prop, model, start, clock)
        if cheap is not None:
            return cheap
    # short attempts first: most properties are proved, or refuted by a short trace, in a
    # fraction of a second; then Spacer with a long budget
    chc = chc_check(model, q.bad_symbolic, clock, QUICK_CHC_S)
    if chc.status == "unknown":
        early = bmc(model, q.bad_symbolic, QUICK_DEPTH, clock, BMC_CHECK_S)
        if early.steps is not None:
            return _violated(program, invariant, q, start, early, "bmc")
        chc = chc_check(model, q.bad_symbolic, clock, timeout_s * CHC_SHARE)
    if chc.status == "safe":
        return result(
            invariant, start, status="proved", method="chc (spacer)", certificate=chc.invariant
        )
    found, method = _search(model, q, chc.trace, clock)
    if found.steps is not None:
        return _violated(program, invariant, q, start, found, method)
    reason = chc.reason or "spacer found a violation that bounded search did not reach"
    return result(
        invariant, start, status="unknown", method="bmc", depth=found.depth, reason=reason
    )


def _duration_first(
    program: Program,
    invariant: Invariant,
    q: _Query,
    prop: PausedAtMostProp,
    model: Model,
    start: float,
    clock: Clock,
) -> PropertyResult | None:
    """The cheap answers of `S paused at most D`, before any proof: a pause that never ends
    (unrolled past `D`), a witnessed pause longer than `D`, or a proof of the witnessed
    longest pause (or a candidate bound up to `D`) when that is within `D`."""
    s = prop.scope
    lasso = never_ending(program, model, s, clock)
    if lasso.steps is not None:
        unrolled = unroll_lasso(program, lasso, q.bad_concrete)
        if unrolled is not None:
            found = BmcResult(unrolled, lasso.depth)  # finite: the fold shows the repetition
            return _violated(program, invariant, q, start, found, "bmc (lasso, unrolled)")
    cands = candidate_bounds(program, s) or [prop.limit]
    seen = witness(program, model, s, cands, clock, WITNESS_DEPTH)
    if seen.length > prop.limit:
        found = BmcResult(seen.steps, seen.depth)
        return _violated(program, invariant, q, start, found, "bmc")
    # no coarse model: it did not prove `D`, so it proves no smaller limit either
    tighter = prove_tighter(program, (None, model), prop, seen, clock)
    if tighter is None:
        return None
    limit, proof = tighter
    cert = proof.certificate
    if limit != prop.limit:
        cert = f"proved for the tighter limit {fmt_duration(limit)}: {cert}"
    return result(invariant, start, status="proved", method=proof.method, certificate=cert)


def _violated(
    program: Program, invariant: Invariant, q: _Query, start: float, found: BmcResult, method: str
) -> PropertyResult:
    """`violated` with the counterexample if it replays and breaks the property (it must)."""
    assert found.steps is not None
    if replay_breaks(program, found.steps, q.bad_concrete):
        cex = _counterexample(program, found)
        return result(
            invariant,
            start,
            status="violated",
            method=method,
            depth=found.depth,
            counterexample=cex,
        )
    return result(
        invariant,
        start,
        status="unknown",
        method=method,
        depth=found.depth,
        reason="internal: a counterexample did not replay (please report)",
    )


def _search(
    model: Model, q: _Query, trace: tuple[int, ...] | None, clock: Clock
) -> tuple[BmcResult, str]:
    """A candidate counterexample, cheapest first: a short BMC run; Spacer's derivation made
    concrete (any length); BMC to the full depth."""
    depth = min(MAX_BMC_DEPTH, len(trace)) if trace else QUICK_DEPTH
    found = bmc(model, q.bad_symbolic, depth, clock, BMC_CHECK_S)
    if found.steps is not None:
        return found, "bmc"
    if trace:
        followed = follow(model, trace, q.bad_symbolic, clock, BMC_CHECK_S * 4)
        if followed.steps is not None:
            return followed, "chc (spacer)"
    rest = bmc(model, q.bad_symbolic, MAX_BMC_DEPTH, clock, BMC_CHECK_S * 2)
    return BmcResult(rest.steps, max(rest.depth, found.depth)), "bmc"


def _counterexample(program: Program, found: BmcResult) -> Counterexample:
    """Steps and their timeline, one row per step (the engine adds what the end state breaks)."""
    assert found.steps is not None
    rows = timeline(program, found.steps)
    return Counterexample(timeline=rows, steps=found.steps, loop_start=found.loop_start)
