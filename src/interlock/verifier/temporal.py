"""Temporal properties: `always PRED`, `S paused at most D [then open G]`, `S never locked forever`.

Each property is a safety query (`temporal_props`) over the sliced transition relation
(`symbolic`). Spacer (`chc`) proves it for executions of any length; when it does not, bounded
model checking (`bmc`) looks for a counterexample, which is replayed on the concrete semantics
(`replay`) before it is reported. A bounded search without a counterexample is `unknown` with
its depth, never `proved`.

`never locked forever` (`temporal_bound`) searches the tightest bound B for which `paused at
most B` is proved, or a lasso (a loop of steps after which the state repeats shifted in time)
keeping the scope paused forever (`temporal_common`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from interlock.ir.nodes import AlwaysProp, Invariant, NeverLockedProp, PausedAtMostProp, Program
from interlock.semantics.ops import CONCRETE
from interlock.semantics.state import State
from interlock.verifier.bmc import BmcResult, bmc, follow
from interlock.verifier.chc import chc_check
from interlock.verifier.describe import fmt_duration
from interlock.verifier.replay import replay_breaks
from interlock.verifier.result import Counterexample, PropertyResult
from interlock.verifier.symbolic import Model, Slice
from interlock.verifier.temporal_bound import check_never_locked, prove_tighter
from interlock.verifier.temporal_common import (
    MAX_BMC_DEPTH,
    result,
    share,
    unroll_lasso,
    valid_lasso,
)
from interlock.verifier.temporal_props import (
    bad_always,
    bad_paused,
    seed_always,
    seed_paused,
)
from interlock.verifier.timeline import timeline
from interlock.verifier.z3ops import Z3

QUICK_DEPTH = 16
QUICK_CHC_S = 2.0
CHC_SHARE = 0.6  # of the time limit, for the unbounded proof before the bounded search


@dataclass(frozen=True)
class _Query:
    seed: Slice
    assuming: tuple[str, ...]
    bad_symbolic: Callable[[State], object]
    bad_concrete: Callable[[State], object]
    prop: AlwaysProp | PausedAtMostProp


def _query(program: Program, prop: AlwaysProp | PausedAtMostProp) -> _Query:
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
    """Decide one temporal invariant within about `timeout_s` seconds."""
    start = time.monotonic()
    prop = invariant.prop
    if isinstance(prop, NeverLockedProp):
        return check_never_locked(program, invariant, prop, start, timeout_s)
    assert isinstance(prop, AlwaysProp | PausedAtMostProp)
    return _check_safety(program, invariant, _query(program, prop), start, timeout_s)


def _check_safety(
    program: Program, invariant: Invariant, q: _Query, start: float, timeout_s: float
) -> PropertyResult:
    model = Model.build(program, q.seed, q.assuming)
    deadline = start + timeout_s
    # short attempts first: most properties are proved, or refuted by a short trace, in a
    # fraction of a second; then a tighter limit; then Spacer with the rest of its share
    chc = chc_check(model, q.bad_symbolic, min(QUICK_CHC_S, timeout_s * CHC_SHARE))
    if chc.status == "unknown":
        early = bmc(model, q.bad_symbolic, QUICK_DEPTH, share(deadline, 0.15))
        if early.steps is not None:
            return _violated(program, invariant, q, start, early, "bmc")
        if isinstance(q.prop, PausedAtMostProp):
            tighter = prove_tighter(program, model, q.prop, share(deadline, 0.3))
            if tighter is not None:
                limit, cert = tighter
                note = f"proved for the tighter limit {fmt_duration(limit)}: {cert}"
                return result(
                    invariant, start, status="proved", method="chc (spacer)", certificate=note
                )
        rest = start + timeout_s * CHC_SHARE - time.monotonic()
        if rest > 0:
            chc = chc_check(model, q.bad_symbolic, rest)
    if chc.status == "safe":
        return result(
            invariant, start, status="proved", method="chc (spacer)", certificate=chc.invariant
        )
    found, method = _search(program, model, q, chc.trace, deadline)
    if found.steps is not None:
        return _violated(program, invariant, q, start, found, method)
    reason = chc.reason or "spacer found a violation that bounded search did not reach"
    if time.monotonic() >= deadline:
        reason = f"timeout after {timeout_s:g}s ({reason})"
    return result(
        invariant, start, status="unknown", method="bmc", depth=found.depth, reason=reason
    )


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
    program: Program, model: Model, q: _Query, trace: tuple[int, ...] | None, deadline: float
) -> tuple[BmcResult, str]:
    """A candidate counterexample, cheapest first: a short BMC run; Spacer's derivation made
    concrete (any length); for `paused at most`, a pause that never ends (a lasso) unrolled
    until it is too long; BMC with the rest of the time."""
    depth = min(MAX_BMC_DEPTH, len(trace)) if trace else QUICK_DEPTH
    found = bmc(model, q.bad_symbolic, depth, share(deadline, 0.25))
    if found.steps is not None:
        return found, "bmc"
    if trace:
        followed = follow(model, trace, q.bad_symbolic, deadline)
        if followed.steps is not None:
            return followed, "chc (spacer)"
    if isinstance(q.prop, PausedAtMostProp):
        for rounds in (20, 500):  # prefer long rounds: a short, readable unrolling
            shift = max(1, q.prop.limit // rounds)
            lasso = valid_lasso(program, model, q.prop.scope, share(deadline, 0.2), shift)
            unrolled = unroll_lasso(program, lasso, q.bad_concrete) if lasso.steps else None
            if unrolled is not None:
                return BmcResult(unrolled, lasso.depth), "bmc (lasso, unrolled)"
    rest = bmc(model, q.bad_symbolic, MAX_BMC_DEPTH, deadline)
    return BmcResult(rest.steps, max(rest.depth, found.depth)), "bmc"


def _counterexample(program: Program, found: BmcResult) -> Counterexample:
    """Steps and their timeline, one row per step (the engine adds what the end state breaks)."""
    assert found.steps is not None
    rows = timeline(program, found.steps)
    return Counterexample(timeline=rows, steps=found.steps, loop_start=found.loop_start)
