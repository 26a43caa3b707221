"""A coarser model to try a proof on first: only the steps that write what the property reads.

The precise cone of influence (`symbolic.slice_program`) closes over reads: a breaker that
pauses the property's scope brings in everything its condition reads, and the steps that write
that, and so on — with many breakers on few scopes it grows to hundreds of steps even when the
property follows from the scope's `max` and `gap` alone.

`coarse_model` keeps the property's own variables and the steps that write them, each
*weakened* so that it is allowed at least whenever the real step is:

- a breaker's condition keeps only its top-level conjuncts that read kept state and no metric
  (the rest, metrics and scores included, is forgotten: the breaker may fire whatever they
  say), and its cooldown and the suspended-feed check go;
- a power's `when` keeps only its conjuncts that read kept state.

Every real execution, restricted to the kept variables, is an execution of the coarse model, so
a safety property proved on it (by Spacer: for executions of any length) holds for the real
rules. Nothing else is concluded from it: a failed proof or a coarse counterexample only sends
the checker on to the precise model. Weakened breakers that do the same to the kept variables
(same kept condition, same effects on kept scopes and feeds) are one step, so a few hundred
breakers pausing a scope for a handful of different durations become a handful of steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from interlock.ir.conditions import reads, reads_state_only
from interlock.ir.nodes import And, BoolConst, Breaker, Cond, Power, Program
from interlock.verifier.budget import Clock
from interlock.verifier.chc import BadFn, ChcResult, chc_check
from interlock.verifier.symbolic import (
    Action,
    Model,
    Slice,
    adversary_powers,
    breaker_writes,
    power_writes,
)

COARSE_S = 0.5  # nominal seconds (`budget.RLIMIT_PER_S`) of Spacer on the coarse model


def _inside(program: Program, cond: Cond, sl: Slice) -> bool:
    r = reads(program, cond)
    return r.scopes <= sl.scopes and r.feeds <= sl.feeds and r.params <= sl.params


def weaken(program: Program, cond: Cond | None, sl: Slice) -> Cond | None:
    """`cond` without the top-level conjuncts that read a metric or state outside `sl`
    (None: nothing is left, the step is always allowed)."""
    if cond is None:
        return None
    conjuncts = list(cond.items) if isinstance(cond, And) else [cond]
    kept = [c for c in conjuncts if reads_state_only(c) and _inside(program, c, sl)]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else And(items=tuple(kept))


def _weak_breaker(program: Program, b: Breaker, sl: Slice) -> Breaker:
    when = weaken(program, b.when, sl) or BoolConst(value=True)
    return b.model_copy(update={"when": when, "cooldown": None})


def _signature(b: Breaker, sl: Slice) -> str:
    """What a weakened breaker does to the kept variables (equal: the same step)."""
    parts = [b.when.model_dump_json()]
    for e in b.effects:
        if e.kind == "pause":
            parts.append(f"pause {sorted(sl.scopes.intersection(e.scopes))} {e.duration}")
        elif e.kind == "suspend":
            parts.append(f"suspend {sorted(sl.feeds.intersection(e.feeds))} {e.duration}")
        elif e.kind == "set" and e.param in sl.params:
            parts.append(f"set {e.param} by {b.name}")  # an override is kept per breaker
    return "; ".join(parts)


def coarse_model(program: Program, seed: Slice, assuming: Iterable[str]) -> Model | None:
    """The coarse model of `seed`'s variables; None when nothing was weakened or merged (then
    it is the precise model: every kept condition reads kept state only)."""
    sl = Slice(set(seed.scopes), set(seed.feeds), set(seed.params), set(seed.history))
    by_sig: dict[str, Breaker] = {}
    changed = False
    for b in program.breakers:
        if breaker_writes(b, sl):
            weak = _weak_breaker(program, b, sl)
            changed = changed or weak != b or _signature(weak, sl) in by_sig
            by_sig.setdefault(_signature(weak, sl), weak)
    powers: list[Power] = []
    for w in adversary_powers(program, assuming):
        if power_writes(w, sl):
            powers.append(w.model_copy(update={"when": weaken(program, w.when, sl)}))
            changed = changed or powers[-1] != w
    if not changed:
        return None
    sl.breakers, sl.powers = list(by_sig.values()), powers
    actions = [Action("advance")]
    actions += [Action("fire", breaker=b) for b in sl.breakers]
    actions += [Action("power", power=w) for w in sl.powers]
    return Model(program, sl, actions)


def coarse_proof(
    coarse: Model | None, bad: BadFn, clock: Clock, seconds: float = COARSE_S
) -> ChcResult | None:
    """Spacer's proof that no state satisfying `bad` is reachable in the coarse model (a
    proof for the real rules, see above); None when there is no coarse model or no proof."""
    if coarse is None:
        return None
    found = chc_check(coarse, bad, clock, min(seconds, COARSE_S))
    return found if found.status == "safe" else None
