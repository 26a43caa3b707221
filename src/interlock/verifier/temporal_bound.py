"""`S never locked forever`, and the pause-length searches `S paused at most D` shares.

Every search is budgeted in solver steps (`budget`), so the same file gets the same bound on
any machine load:

1. a *lasso* (a loop after which the state repeats shifted in time, with `S` held in one pause
   throughout) keeps `S` paused forever: `never locked forever` is violated, and so is every
   `paused at most D`, whatever `D` (the loop is unrolled until the pause is longer);
2. the longest pause a shallow BMC run *witnesses* (exactly, at that depth; replayed on the
   concrete semantics) rules out every smaller bound;
3. Spacer proves a bound close to the true one quickly but struggles far above or below it, so
   the proofs start at the witnessed length — proved there, the bound is the tightest (the
   witness refutes every smaller one) — then gallop up through the candidate bounds (sums of the
   durations that can pause `S`) and bisect down;
4. a bound that is proved but not witnessed is reported as an upper bound only.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from interlock.ir.nodes import Invariant, NeverLockedProp, PausedAtMostProp, Program
from interlock.semantics.trace import Step
from interlock.verifier.bmc import BmcResult, longest_pause
from interlock.verifier.budget import Clock
from interlock.verifier.chc import chc_check
from interlock.verifier.coarse import coarse_model, coarse_proof
from interlock.verifier.describe import fmt_duration
from interlock.verifier.induction import pause_invariant
from interlock.verifier.replay import replay
from interlock.verifier.result import Counterexample, PropertyResult
from interlock.verifier.symbolic import Model
from interlock.verifier.temporal_common import result, valid_lasso
from interlock.verifier.temporal_props import bad_paused, seed_paused
from interlock.verifier.timeline import timeline
from interlock.verifier.z3ops import Z3

# budgets in nominal seconds (`budget.RLIMIT_PER_S`); a search that gives up here only makes a
# bound less tight or defers a lasso, never changes a verdict
LASSO_S = 0.5  # per depth
LASSO_DEPTH = 4
DEEP_LASSO_S = 2.0
DEEP_LASSO_DEPTH = 12
WITNESS_S = 0.3  # per check
WITNESS_DEPTH = 3
DEEP_WITNESS_DEPTH = 6
PROBE_S = 1.0  # per candidate bound
FINAL_S = 6.0  # the largest candidate, when no smaller one was proved
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


def never_ending(
    program: Program,
    model: Model,
    s: str,
    clock: Clock,
    max_depth: int = LASSO_DEPTH,
    seconds: float = LASSO_S,
) -> BmcResult:
    """A lasso keeping `s` paused forever, preferring one whose rounds take long (a breaker
    re-firing as its pause ends) over one that creeps by a second: same verdict, a timeline
    people can read."""
    found = valid_lasso(program, model, s, clock, seconds, 1, max_depth)
    if found.steps is None:
        return found
    longest = max(candidate_items(program, s), default=1)
    for shift in (longest, longest // 2):
        if shift > 2:
            nicer = valid_lasso(program, model, s, clock, seconds, shift, found.depth)
            if nicer.steps is not None:
                return nicer
    return found


@dataclass(frozen=True)
class Witness:
    """The longest pause of a scope found by BMC within `depth` steps, replayed: `steps`
    reach a pause of `length`, and no longer pause exists within `depth` steps."""

    length: int
    steps: tuple[Step, ...]
    depth: int


def witness(
    program: Program, model: Model, s: str, cands: list[int], clock: Clock, depth: int
) -> Witness:
    length, _top, steps = longest_pause(model, s, cands, depth, clock, WITNESS_S, tol=0.0)
    if not (length and steps):
        return Witness(0, (), depth)
    st = replay(program, steps)
    if st.paused_until[s] - st.paused_since[s] != length:
        return Witness(0, (), depth)
    return Witness(length, steps, depth)


SPACER = "chc (spacer)"
INDUCTION = "induction (invariant template)"


@dataclass(frozen=True)
class Proof:
    method: str
    certificate: str


Prover = Callable[[int, float], "Proof | None"]


Models = tuple["Model | None", Model]  # (the coarse model if any, the precise one)


def _prover(models: Models, s: str, clock: Clock, open_gap: int | None = None) -> Prover:
    """Spacer on the coarse model (`coarse`), then with the given budget on the precise one,
    then the invariant template (`induction`)."""
    coarse, model = models
    refuted = [-1]  # the largest bound the coarse model did not prove: nor does it any smaller

    def proved(bound: int, seconds: float = PROBE_S) -> Proof | None:
        bad = bad_paused(Z3, s, bound, open_gap)
        if bound > refuted[0]:
            quick = coarse_proof(coarse, bad, clock)
            if quick is not None and quick.invariant is not None:
                return Proof(SPACER, quick.invariant)
            refuted[0] = bound
        res = chc_check(model, bad, clock, seconds)
        if res.status == "safe" and res.invariant is not None:
            return Proof(SPACER, res.invariant)
        inductive = pause_invariant(model, s, clock) if open_gap is None else None
        cert = inductive.excludes(bad, clock) if inductive is not None else None
        if cert is not None:
            return Proof(INDUCTION, cert)
        return None

    return proved


def _gallop(cands: list[int], lo: int, proved: Prover) -> tuple[int, int, Proof] | None:
    """Probe `cands[lo]`, `cands[lo+1]`, `cands[lo+3]`, … until one is proved: (the first
    index not known to fail, the proved index, its certificate), or None."""
    step, hi = 1, len(cands) - 1
    while lo <= hi:
        probe = min(lo + step - 1, hi)
        cert = proved(cands[probe], PROBE_S)
        if cert is not None:
            return lo, probe, cert
        lo, step = probe + 1, step * 2
    return None


def _bisect(
    cands: list[int], lo: int, hi: int, cert: Proof, proved: Prover
) -> tuple[int, Proof]:
    """The smallest proved index in `[lo, hi]` (`cands[hi]` is proved, with `cert`)."""
    while lo < hi:
        mid = (lo + hi) // 2
        c = proved(cands[mid], PROBE_S)
        if c is not None:
            hi, cert = mid, c
        else:
            lo = mid + 1
    return hi, cert


def smallest_bound(cands: list[int], seen: int, proved: Prover) -> tuple[int, Proof] | None:
    """The smallest bound proved: the witnessed length `seen` itself, else the smallest
    candidate above it (gallop up, bisect down), else the largest candidate with a longer
    budget. None when nothing is proved."""
    if seen:
        cert = proved(seen, PROBE_S)
        if cert is not None:
            return seen, cert
    lo = bisect.bisect_right(cands, seen)
    hit = _gallop(cands, lo, proved)
    if hit is None and cands and cands[-1] > seen:
        cert = proved(cands[-1], FINAL_S)
        hit = None if cert is None else (lo, len(cands) - 1, cert)
    if hit is None:
        return None
    index, cert = _bisect(cands, *hit, proved)
    return cands[index], cert


def check_never_locked(
    program: Program, invariant: Invariant, prop: NeverLockedProp, start: float, clock: Clock
) -> PropertyResult:
    s = prop.scope
    seed = seed_paused(PausedAtMostProp(scope=s, limit=0, open_gap=None, assuming=prop.assuming))
    model = Model.build(program, seed, prop.assuming)
    coarse = coarse_model(program, seed, prop.assuming)
    cands = candidate_bounds(program, s)
    if not cands:  # nothing can pause the scope
        note = f"nothing can pause {s}; tightest"
        return result(invariant, start, status="proved", method=SPACER, bound=0,
                      bound_tight=True, certificate=note)
    found = never_ending(program, model, s, clock)
    if found.steps is None:
        seen = witness(program, model, s, cands, clock, WITNESS_DEPTH)
        hit = smallest_bound(cands, seen.length, _prover((coarse, model), s, clock))
        if hit is not None:
            return _bounded(program, model, s, invariant, start, clock, seen, *hit)
        found = never_ending(program, model, s, clock, DEEP_LASSO_DEPTH, DEEP_LASSO_S)
    if found.steps is not None:
        return _locked_forever(program, invariant, start, found)
    return result(
        invariant, start, status="unknown", method="bmc (lasso)", depth=found.depth,
        reason=(f"no bound up to {fmt_duration(cands[-1])} proved within the solver budget and "
                "no repeating counterexample found"),
    )


def _bounded(
    program: Program,
    model: Model,
    scope: str,
    invariant: Invariant,
    start: float,
    clock: Clock,
    seen: Witness,
    bound: int,
    proof: Proof,
) -> PropertyResult:
    """The proved `bound`, tightest when a pause of exactly that length is witnessed (so
    `bound - 1s` is refuted), else an upper bound (with the longest pause found)."""
    if seen.length != bound:
        deeper = witness(program, model, scope, [bound], clock, DEEP_WITNESS_DEPTH)
        seen = deeper if deeper.length > seen.length else seen
    tight = seen.length == bound
    cert = proof.certificate
    if tight:
        note = (f"tightest: a pause of exactly {fmt_duration(bound)} is reachable "
                f"({len(seen.steps)} steps), so no smaller bound holds; invariant: {cert}")
    else:
        found = fmt_duration(seen.length) if seen.length else "none"
        note = (f"an upper bound: the longest pause found within {seen.depth} steps is {found}; "
                f"invariant: {cert}")
    return result(invariant, start, status="proved", method=proof.method, bound=bound,
                  bound_tight=tight, certificate=note)


def _locked_forever(
    program: Program, invariant: Invariant, start: float, found: BmcResult
) -> PropertyResult:
    steps = found.steps
    assert steps is not None
    cex = Counterexample(timeline=timeline(program, steps), steps=steps,
                         loop_start=found.loop_start)
    return result(invariant, start, status="violated", method="bmc (lasso)", depth=found.depth,
                  counterexample=cex)


def prove_tighter(
    program: Program, models: Models, prop: PausedAtMostProp, seen: Witness, clock: Clock
) -> tuple[int, Proof] | None:
    """`paused at most D` by proving `paused at most D'` for some `D' ≤ D` (same `then open`).

    Spacer proves a limit close to the longest possible pause quickly but may not converge on
    a generous one; a proof for a smaller limit implies the property. The limits tried are the
    witnessed longest pause and the candidates above it up to D. Returns `(D', certificate)`.
    """
    s = prop.scope
    cands = [c for c in candidate_bounds(program, s) if seen.length < c <= prop.limit]
    tries = ([seen.length] if seen.length else []) + cands
    proved = _prover(models, s, clock, prop.open_gap)
    for limit in tries[:TIGHTER_TRIES]:
        proof = proved(limit, PROBE_S)
        if proof is not None:
            return limit, proof
    return None
