"""`S never locked forever`: the tightest proved bound on a continuous pause, or a lasso.

Candidate bounds are sums of the durations that can pause the scope. Spacer proves a bound
close to the true one quickly but struggles far above or below it, so the search starts from
the longest pause a shallow BMC run witnesses, gallops up through the candidates with short
proof attempts, bisects down, and finally asks for the witnessed length itself. A quick lasso
search runs first: a never-ending pause is usually a loop of one or two steps.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable

from interlock.ir.nodes import Invariant, NeverLockedProp, PausedAtMostProp, Program
from interlock.verifier.bmc import longest_pause
from interlock.verifier.chc import chc_check
from interlock.verifier.describe import fmt_duration
from interlock.verifier.replay import replay
from interlock.verifier.result import Counterexample, PropertyResult
from interlock.verifier.symbolic import Model
from interlock.verifier.temporal_common import result, share, valid_lasso
from interlock.verifier.temporal_props import bad_paused, seed_paused
from interlock.verifier.timeline import timeline
from interlock.verifier.z3ops import Z3

# caps: a search that gives up here only makes a bound less tight (or defers a lasso)
QUICK_LASSO_S = 0.5
QUICK_LASSO_DEPTH = 4
PROBE_S = 0.5
WITNESS_S = 1.0
WITNESS_DEPTH = 3
REFINE_S = 1.0
CHC_SHARE = 0.6
TIGHTER_TRIES = 3


def candidate_items(program: Program, scope: str) -> list[int]:
    """The durations that can pause `scope`: each breaker pause effect, each pause/extend
    power's maximum, and the scope's `max`."""
    items: list[int] = []
    sc = program.scope(scope)
    if sc.max_pause is not None:
        items.append(sc.max_pause)
    for b in program.breakers:
        items += [e.duration for e in b.effects if e.kind == "pause" and scope in e.scopes]
    for w in program.powers:
        if w.kind in ("pause", "extend") and scope in w.targets and w.max_duration:
            items.append(w.max_duration)
    return items


def candidate_bounds(program: Program, scope: str, max_items: int = 12) -> list[int]:
    """Candidate bounds on a continuous pause of `scope`, ascending.

    The subset sums of the durations that can pause it (each breaker effect and each power's
    maximum once, the scope's `max`), then multiples of their total for repeated firings.
    """
    items = sorted(candidate_items(program, scope), reverse=True)[:max_items]
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
    return result(
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


def check_never_locked(
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
        return result(
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
    length, top = _witnessed(program, model, s, cands, share(deadline, 0.1, WITNESS_S))
    lo = bisect.bisect_left(cands, length)

    def refine(below: int, bound: int, cert: str) -> tuple[int, str]:
        return _refine(below, bound, cert, top, proved)

    found = valid_lasso(
        program, model, s, share(deadline, 0.1, QUICK_LASSO_S), 1, QUICK_LASSO_DEPTH
    )
    if found.steps is None:
        hit = _gallop(cands, lo, proved, share(deadline, 0.3))
        if hit is not None:
            return _bound(invariant, start, cands, _bisect(cands, *hit, proved, deadline), refine)
        found = valid_lasso(program, model, s, share(deadline, 0.3))
    if found.steps is None:
        cert = proved(cands[-1], timeout_s * 0.3)
        if cert is not None:
            hi = len(cands) - 1
            hit2 = _bisect(cands, lo, hi, cert, proved, deadline)
            return _bound(invariant, start, cands, hit2, refine)
        found = valid_lasso(program, model, s, deadline)
    if found.steps is not None:
        # prefer a loop whose rounds take long (a breaker re-firing as its pause ends) over
        # one that creeps by a second: same verdict, a timeline people can read
        longest = max(candidate_items(program, s), default=1)
        nicer = valid_lasso(
            program, model, s, share(deadline, 0.5, QUICK_LASSO_S), longest // 2, found.depth
        )
        found = nicer if nicer.steps is not None else found
        steps = found.steps
        assert steps is not None
        cex = Counterexample(
            timeline=timeline(program, steps), steps=steps, loop_start=found.loop_start
        )
        return result(
            invariant,
            start,
            status="violated",
            method="bmc (lasso)",
            depth=found.depth,
            counterexample=cex,
        )
    return result(
        invariant,
        start,
        status="unknown",
        method="bmc (lasso)",
        depth=found.depth,
        reason=(f"no bound up to {fmt_duration(cands[-1])} proved and no repeating "
                "counterexample found"),
    )


def prove_tighter(
    program: Program, model: Model, prop: PausedAtMostProp, deadline: float
) -> tuple[int, str] | None:
    """`paused at most D` by proving `paused at most D'` for some `D' ≤ D` (same `then open`).

    Spacer proves a limit close to the longest possible pause quickly but may not converge on
    a generous one; a proof for a smaller limit implies the property. The limits tried are the
    longest pause a shallow BMC run witnesses (within 0.5%) and the candidates above it up to D.
    Returns `(D', certificate)`, or None.
    """
    s = prop.scope
    cands = [c for c in candidate_bounds(program, s) if c <= prop.limit]
    reached, top = _witnessed(program, model, s, cands or [prop.limit], share(deadline, 0.2))
    tries = ([top] if reached and top < prop.limit else []) + [c for c in cands if c > top]
    tries = tries[:TIGHTER_TRIES]
    for i, limit in enumerate(tries):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        res = chc_check(model, bad_paused(Z3, s, limit, prop.open_gap), left / (len(tries) - i))
        if res.status == "safe" and res.invariant is not None:
            return limit, res.invariant
    return None
