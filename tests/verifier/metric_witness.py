"""Metric values that make a condition hold: how random executions fire breakers."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import z3

from interlock.ir.nodes import Atom, Cond, Program
from interlock.semantics.cond import cond_g
from interlock.semantics.state import State
from interlock.semantics.trace import MetricValue
from interlock.verifier.z3ops import Z3, to_z3_bool

Upper = Callable[[Atom, State], int]  # the largest value an atom may take in a state


def witness(p: Program, st: State, cond: Cond, rng: random.Random, *, upper: Upper | None = None,
            prefer_below: int = 10**24) -> tuple[MetricValue, ...] | None:
    """Non-negative metric values that make `cond` hold in `st` (Z3), each at most
    `upper(atom, st)` when given, and half the time all at most `prefer_below` (sometimes large
    values, sometimes small ones); None when there are none."""
    made: dict[Atom, Any] = {}

    def metric(atom: Atom) -> Any:
        if atom not in made:
            made[atom] = z3.Int(f"m{len(made)}")
        return made[atom]

    solver = z3.Solver()
    solver.add(to_z3_bool(cond_g(Z3, p, cond, st, metric)))
    for atom, v in made.items():
        solver.add(v >= 0)
        if upper is not None:
            solver.add(v <= upper(atom, st))
    if rng.random() < 0.5:
        solver.add(*[v <= prefer_below for v in made.values()])
    if solver.check() != z3.sat:
        return None
    m = solver.model()
    return tuple(
        MetricValue(atom=a, value=m.eval(v, model_completion=True).as_long())
        for a, v in made.items()
    )


def metrics_for(p: Program, st: State, cond: Cond, rng: random.Random) -> tuple[MetricValue, ...]:
    """`witness` without bounds, or () when there is none (the step fires without values)."""
    return witness(p, st, cond, rng) or ()
