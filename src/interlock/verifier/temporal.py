"""Temporal properties: `always PRED`, `S paused at most D [then open G]`, `S never locked forever`.

Each property is a safety query (`temporal_props`) over the sliced transition relation
(`symbolic`). Spacer (`chc`) proves it for executions of any length; when it does not, bounded
model checking (`bmc`) looks for a counterexample, which is replayed on the concrete semantics
(`replay`) before it is reported. A bounded search without a counterexample is `unknown` with
its depth, never `proved`.

`never locked forever` searches the tightest bound B, among sums of the durations that can
pause the scope, for which `paused at most B` is proved; when none is, it looks for a lasso (a
loop of steps after which the state repeats shifted in time) keeping the scope paused forever.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass

from interlock.compiler.ir import AlwaysProp, Invariant, NeverLockedProp, PausedAtMostProp, Program
from interlock.verifier.bmc import BmcResult, bmc, find_lasso, follow, longest_pause
from interlock.verifier.chc import chc_check
from interlock.verifier.replay import replay, replay_breaks, replay_lasso
from interlock.verifier.result import Counterexample, PropertyResult
from interlock.verifier.semantics import step
from interlock.verifier.semantics_ops import CONCRETE, Z3
from interlock.verifier.semantics_state import State
from interlock.verifier.symbolic import Model, Slice
from interlock.verifier.temporal_props import (
    bad_always,
    bad_paused,
    seed_always,
    seed_paused,
)
from interlock.verifier.timeline import duration, timeline
from interlock.verifier.trace import Step

MAX_BMC_DEPTH = 40
QUICK_DEPTH = 16
QUICK_LASSO_S = 0.5
REFINE_S = 1.0
QUICK_LASSO_DEPTH = 4
PROBE_S = 0.5
WITNESS_S = 1.0  # caps: a search that gives up here only makes a bound less tight
WITNESS_DEPTH = 3
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
        return _never_locked(program, invariant, prop, start, timeout_s)
    assert isinstance(prop, AlwaysProp | PausedAtMostProp)
    return _check_safety(program, invariant, _query(program, prop), start, timeout_s)


def _result(invariant: Invariant, start: float, **kw: object) -> PropertyResult:
    return PropertyResult(
        name=invariant.name, seconds=round(time.monotonic() - start, 3), span=invariant.span, **kw
    )


def _check_safety(
    program: Program, invariant: Invariant, q: _Query, start: float, timeout_s: float
) -> PropertyResult:
    model = Model.build(program, q.seed, q.assuming)
    chc = chc_check(model, q.bad_symbolic, timeout_s * CHC_SHARE)
    if chc.status == "safe":
        return _result(
            invariant, start, status="proved", method="chc (spacer)", certificate=chc.invariant
        )
    deadline = start + timeout_s
    found, method = _search(program, model, q, chc.trace, deadline)
    if found.steps is not None:
        if replay_breaks(program, found.steps, q.bad_concrete):
            cex = _counterexample(program, found)
            return _result(
                invariant,
                start,
                status="violated",
                method=method,
                depth=found.depth,
                counterexample=cex,
            )
        return _result(
            invariant,
            start,
            status="unknown",
            method=method,
            depth=found.depth,
            reason="internal: a counterexample did not replay (please report)",
        )
    reason = chc.reason or "spacer found a violation that bounded search did not reach"
    if time.monotonic() >= deadline:
        reason = f"timeout after {timeout_s:g}s ({reason})"
    return _result(
        invariant, start, status="unknown", method="bmc", depth=found.depth, reason=reason
    )


def _share(deadline: float, fraction: float, cap: float | None = None) -> float:
    """A deadline `fraction` of the remaining time away (at most `cap` seconds)."""
    slice_s = max(0.0, deadline - time.monotonic()) * fraction
    return min(deadline, time.monotonic() + (slice_s if cap is None else min(cap, slice_s)))


def _search(
    program: Program, model: Model, q: _Query, trace: tuple[int, ...] | None, deadline: float
) -> tuple[BmcResult, str]:
    """A candidate counterexample, cheapest first: a short BMC run; Spacer's derivation made
    concrete (any length); for `paused at most`, a pause that never ends (a lasso) unrolled
    until it is too long; BMC with the rest of the time."""
    depth = min(MAX_BMC_DEPTH, len(trace)) if trace else QUICK_DEPTH
    found = bmc(model, q.bad_symbolic, depth, _share(deadline, 0.25))
    if found.steps is not None:
        return found, "bmc"
    if trace:
        followed = follow(model, trace, q.bad_symbolic, deadline)
        if followed.steps is not None:
            return followed, "chc (spacer)"
    if isinstance(q.prop, PausedAtMostProp):
        for rounds in (20, 500):  # prefer long rounds: a short, readable unrolling
            shift = max(1, q.prop.limit // rounds)
            lasso = _lasso(program, model, q.prop.scope, _share(deadline, 0.2), shift)
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


# --- never locked forever ---------------------------------------------------------------------


def candidate_bounds(program: Program, scope: str, max_items: int = 12) -> list[int]:
    """Candidate bounds on a continuous pause of `scope`, ascending.

    The subset sums of the durations that can pause it (each breaker effect and each power's
    maximum once, the scope's `max`), then multiples of their total for repeated firings.
    """
    items: list[int] = []
    sc = program.scope(scope)
    if sc.max_pause is not None:
        items.append(sc.max_pause)
    for b in program.breakers:
        items += [e.duration for e in b.effects if e.kind == "pause" and scope in e.scopes]
    for w in program.powers:
        if w.kind in ("pause", "extend") and scope in w.targets and w.max_duration:
            items.append(w.max_duration)
    items = sorted(items, reverse=True)[:max_items]
    sums = {0}
    for d in items:
        sums |= {x + d for x in sums}
    sums.discard(0)
    total = sum(items)
    return sorted(sums | {total * k for k in (2, 4, 8, 16)} if total else sums)


def _bound(
    invariant: Invariant,
    start: float,
    cands: list[int],
    hit: tuple[int, str],
    refine: Callable[[int, int, str], tuple[int, str]],
) -> PropertyResult:
    """The result for the proved candidate `hit`, refined between the previous candidate (not
    proved) and it."""
    index, cert = hit
    below = cands[index - 1] if index > 0 else 0
    bound, cert = refine(below, cands[index], cert)
    return _result(
        invariant, start, status="proved", method="chc (spacer)", bound=bound, certificate=cert
    )


def _refine(
    below: int, bound: int, cert: str, top: int, proved: Callable[[int, float], str | None]
) -> tuple[int, str]:
    """The witnessed pause length (up to `top`, within 0.5% of a pause that exists) when it is
    also proved to be the longest; else the proved candidate `bound`. Spacer is fast close to
    the true bound and slow well above or below it, so one probe is all this costs."""
    if below < top < bound:
        c = proved(top, REFINE_S)
        if c is not None:
            return top, c
    return bound, cert


def _witnessed(
    program: Program, model: Model, s: str, cands: list[int], deadline: float
) -> tuple[int, int]:
    """`(reached, top)`: a shallow BMC run witnesses a pause of `s` of `reached` (replayed
    concretely), so no smaller candidate can be a bound, and finds none longer than `top`."""
    length, top, steps = longest_pause(model, s, cands, WITNESS_DEPTH, deadline)
    if not (length and steps):
        return 0, 0
    st = replay(program, steps)
    return (length, top) if st.paused_until[s] - st.paused_since[s] == length else (0, 0)


def _gallop(
    cands: list[int], lo: int, proved: Callable[[int], str | None], deadline: float
) -> tuple[int, int, str] | None:
    """Probe `cands[lo]`, `cands[lo+1]`, `cands[lo+3]`, … until one is proved: (the first
    index not known to fail, the proved index, its certificate), or None."""
    step, hi = 1, len(cands) - 1
    while lo <= hi and time.monotonic() < deadline:
        probe = min(lo + step - 1, hi)
        cert = proved(cands[probe])
        if cert is not None:
            return lo, probe, cert
        lo, step = probe + 1, step * 2
    return None


def _bisect(
    cands: list[int],
    lo: int,
    hi: int,
    cert: str,
    proved: Callable[[int], str | None],
    deadline: float,
) -> tuple[int, str]:
    """The smallest proved index in `[lo, hi]` (`cands[hi]` is proved, with `cert`)."""
    while lo < hi and time.monotonic() < deadline:
        mid = (lo + hi) // 2
        c = proved(cands[mid])
        if c is not None:
            hi, cert = mid, c
        else:
            lo = mid + 1
    return hi, cert


def _lasso(
    program: Program,
    model: Model,
    s: str,
    deadline: float,
    min_shift: int = 1,
    max_depth: int = MAX_BMC_DEPTH,
) -> BmcResult:
    """A lasso keeping `s` paused forever that replays concretely, round after round; each
    round advances time by at least `min_shift`."""
    found = find_lasso(model, s, model.horizon(), max_depth, deadline, min_shift)
    if found.steps is None or found.loop_start is None:
        return BmcResult(None, found.depth)
    horizon = model.horizon()

    def shifted(a: State, b: State) -> object:
        return model.same_up_to_shift(a, b, s, horizon, CONCRETE)

    if not replay_lasso(program, found.steps, found.loop_start, s, shifted):
        return BmcResult(None, found.depth)
    return found


def unroll_lasso(
    program: Program, lasso: BmcResult, bad: Callable[[State], object], max_steps: int = 5000
) -> tuple[Step, ...] | None:
    """The lasso's prefix and as many rounds of its loop as it takes to reach `bad`."""
    assert lasso.steps is not None and lasso.loop_start is not None
    steps = list(lasso.steps)
    loop = steps[lasso.loop_start :]
    st = replay(program, steps)
    while not bad(st):
        if len(steps) + len(loop) > max_steps:
            return None
        for x in loop:
            st = step(program, st, x)
        steps += loop
    return tuple(steps)


def _never_locked(
    program: Program, invariant: Invariant, prop: NeverLockedProp, start: float, timeout_s: float
) -> PropertyResult:
    s = prop.scope
    deadline = start + timeout_s
    model = Model.build(
        program,
        seed_paused(PausedAtMostProp(scope=s, limit=0, open_gap=None, assuming=prop.assuming)),
        prop.assuming,
    )
    cands = candidate_bounds(program, s)
    if not cands:  # nothing can pause the scope
        return _result(
            invariant,
            start,
            status="proved",
            method="chc (spacer)",
            bound=0,
            certificate=f"nothing can pause {s}",
        )
    # a probe below the true bound needs a deep refutation, which Spacer is slow to find: cap
    # each probe; a probe that gives up only makes the reported bound less tight
    budget = min(PROBE_S, timeout_s * CHC_SHARE / max(1, len(cands).bit_length() + 1))

    def proved(bound: int, seconds: float = budget) -> str | None:
        res = chc_check(model, bad_paused(Z3, s, bound, None), seconds)
        return res.invariant if res.status == "safe" else None

    # Spacer proves a bound near the true one fast but struggles both far above it and below
    # it, so: the longest pause BMC can witness rules out every smaller candidate; a quick
    # lasso search catches the common never-ending loops; short proof attempts gallop up from
    # the witness; then a longer lasso search, a longer proof of the largest candidate, and
    # the lasso search with the rest of the time
    length, top = _witnessed(program, model, s, cands, _share(deadline, 0.1, WITNESS_S))
    lo = bisect.bisect_left(cands, length)

    def refine(below: int, bound: int, cert: str) -> tuple[int, str]:
        return _refine(below, bound, cert, top, proved)

    found = _lasso(program, model, s, _share(deadline, 0.1, QUICK_LASSO_S), 1, QUICK_LASSO_DEPTH)
    if found.steps is None:
        hit = _gallop(cands, lo, proved, _share(deadline, 0.3))
        if hit is not None:
            return _bound(invariant, start, cands, _bisect(cands, *hit, proved, deadline), refine)
        found = _lasso(program, model, s, _share(deadline, 0.3))
    if found.steps is None:
        cert = proved(cands[-1], timeout_s * 0.3)
        if cert is not None:
            hi = len(cands) - 1
            hit2 = _bisect(cands, lo, hi, cert, proved, deadline)
            return _bound(invariant, start, cands, hit2, refine)
        found = _lasso(program, model, s, deadline)
    if found.steps is not None:
        cex = Counterexample(
            timeline=timeline(program, found.steps), steps=found.steps, loop_start=found.loop_start
        )
        return _result(
            invariant,
            start,
            status="violated",
            method="bmc (lasso)",
            depth=found.depth,
            counterexample=cex,
        )
    return _result(
        invariant,
        start,
        status="unknown",
        method="bmc (lasso)",
        depth=found.depth,
        reason=f"no bound up to {duration(cands[-1])} proved and no repeating counterexample found",
    )
