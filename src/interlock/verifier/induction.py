"""Pause bounds proved by induction over a template invariant (Houdini), without Spacer.

Spacer needs a case split per breaker to bound a pause that several breakers extend in turn
(four breakers `pause s for 1h cooldown 4h` keep `s` paused at most 4h), and gives up beyond
three. The invariant is easy to write down, though: during a pause that started at
`paused_since`, each breaker that fired since then added at most its own pause, so

    paused_until - paused_since <= sum of d_b over the breakers b fired since paused_since
                                   (+ each cooldown power's maximum, if used since)

This module offers that and a few simple facts as candidate lemmas, drops every lemma that is
not preserved by every action given the others (Houdini: the survivors form an inductive
invariant), and checks that the survivors hold initially and exclude the bad state. Each check
is an ordinary budgeted SMT query over the same transition relation as the other engines, so a
proof here is a proof for executions of any length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import z3

from interlock.ir.nodes import Program
from interlock.semantics.rules import breaker_duration
from interlock.semantics.state import State
from interlock.verifier.budget import Clock
from interlock.verifier.chc import render
from interlock.verifier.symbolic import Model, var_name
from interlock.verifier.z3ops import to_z3_bool

Lemma = Callable[[State], Any]
CHECK_S = 0.2  # nominal seconds per consecution check
MAX_ROUNDS = 8


def _pause_of(program: Program, breaker: str, scope: str) -> int:
    b = program.breaker(breaker)
    return max((e.duration for e in b.effects if e.kind == "pause" and scope in e.scopes),
               default=0)


def pause_lemmas(model: Model, scope: str) -> list[Lemma]:
    """Candidate lemmas about the current pause of `scope` (each guarded by `paused_until ≠ 0`)."""
    p = model.program

    def since_sum(st: State) -> Any:
        ps = st.paused_since[scope]
        terms: list[Any] = []
        for b in model.slice.breakers:
            d = _pause_of(p, b.name, scope)
            if d and b.name in st.fired_until:
                fu = st.fired_until[b.name]
                fired = z3.And(fu != 0, fu - breaker_duration(b) >= ps)
                terms.append(z3.If(fired, d, 0))
            elif d:
                return None  # a breaker without cooldown: no bound of this form
        for w in model.slice.powers:
            if scope not in w.targets or w.kind not in ("pause", "extend"):
                continue
            key = (w.id, scope)
            if key not in st.used_until or w.max_duration is None:
                return None
            terms.append(z3.If(st.used_until[key] > ps, w.max_duration, 0))
        return z3.Sum(terms) if terms else z3.IntVal(0)

    def held(f: Callable[[State], Any]) -> Lemma:
        return lambda st: z3.Implies(st.paused_until[scope] != 0, f(st))

    lemmas: list[Lemma] = [
        held(lambda st: st.paused_since[scope] <= st.now),
        held(lambda st: st.paused_since[scope] > 0),
    ]
    if since_sum(model.fresh_state("probe")) is not None:
        lemmas.append(held(lambda st: st.paused_until[scope] - st.paused_since[scope]
                           <= since_sum(st)))
    cap = p.scope(scope).max_pause
    if cap is not None:
        lemmas.append(held(lambda st: st.paused_until[scope] - st.paused_since[scope] <= cap))
    for b in model.slice.breakers:
        if b.cooldown is not None:
            lemmas += _mark_lemmas(b.name, breaker_duration(b), scope)
    return lemmas


def _mark_lemmas(name: str, duration: int, scope: str) -> list[Lemma]:
    """A breaker's `fired_until` is at most its duration ahead, and within the pause."""

    def ahead(st: State) -> Any:
        return st.fired_until[name] <= st.now + duration

    def within(st: State) -> Any:
        fu = st.fired_until[name]
        return z3.Implies(fu != 0, fu <= st.paused_until[scope])

    return [ahead, within]


@dataclass(frozen=True)
class Inductive:
    """An inductive invariant over the symbolic state `x` (its conjuncts), found once."""

    x: State
    conjuncts: list[Any]
    subst: list[tuple[Any, Any]]  # the state's variables -> their names in certificates

    def excludes(self, bad: Callable[[State], Any], clock: Clock) -> str | None:
        """The invariant, rendered, if no state satisfying it is `bad`."""
        if not _valid(clock, self.conjuncts, to_z3_bool(bad(self.x))):
            return None
        return render(z3.simplify(z3.substitute(z3.And(*self.conjuncts), *self.subst)))


def pause_invariant(model: Model, scope: str, clock: Clock) -> Inductive | None:
    """The inductive subset of `pause_lemmas` (cached on the model), or None if empty."""
    key = f"houdini:{scope}"
    if key not in model.cache:
        model.cache[key] = houdini(model, pause_lemmas(model, scope), clock)
    found = model.cache[key]
    return found if isinstance(found, Inductive) else None


def houdini(model: Model, lemmas: list[Lemma], clock: Clock) -> Inductive | None:
    """The largest subset of `lemmas` that holds initially and is preserved by every action
    given the others (the conjunction is then an inductive invariant)."""
    x = model.fresh_state("h")
    t0 = z3.Int("t0@h")
    init = model.initial(t0)
    alive = [i for i, lem in enumerate(lemmas)
             if _valid(clock, [t0 > 0], z3.Not(lem(init)))]
    steps = []
    for j, action in enumerate(model.actions):
        ap = model.apply(action, x, f"h{j}")
        steps.append(([to_z3_bool(g) for _, g in ap.guards] + ap.domain, ap.next))
    for _ in range(MAX_ROUNDS):
        hyp = [lemmas[i](x) for i in alive]
        keep = [i for i in alive
                if all(_valid(clock, hyp + pre, z3.Not(lemmas[i](nxt))) for pre, nxt in steps)]
        if keep == alive:
            break
        alive = keep
    else:
        return None
    if not alive:
        return None
    names = [z3.Int(var_name(n, k)) for n, k in model.keys()]  # noqa: SIM118 (a method)
    subst = list(zip(model.vector(x), names, strict=True))
    return Inductive(x, [lemmas[i](x) for i in alive], subst)


def _valid(clock: Clock, hyp: list[Any], refutation: Any) -> bool:
    """Whether `hyp ∧ refutation` is unsatisfiable (within the budget; unknown: no)."""
    solver = z3.Solver()
    clock.arm(solver, CHECK_S)
    solver.add(*hyp, refutation)
    res = solver.check()
    if res == z3.unknown:
        clock.gave_up(solver.reason_unknown())
    return bool(res == z3.unsat)
