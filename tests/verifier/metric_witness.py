"""Metric values that make a condition hold: how random executions fire breakers."""

from __future__ import annotations

import random
from typing import Any

import z3

from interlock.ir.nodes import Atom, Cond, Program
from interlock.semantics.cond import cond_g
from interlock.semantics.state import State
from interlock.semantics.trace import MetricValue
from interlock.verifier.z3ops import Z3, to_z3_bool


def metrics_for(p: Program, st: State, cond: Cond, rng: random.Random) -> tuple[MetricValue, ...]:
    """Non-negative metric values that make `cond` hold in `st` (Z3), or () if none exist."""
    made: dict[Atom, Any] = {}

    def metric(atom: Atom) -> Any:
        if atom not in made:
            made[atom] = z3.Int(f"m{len(made)}")
        return made[atom]

    solver = z3.Solver()
    solver.add(to_z3_bool(cond_g(Z3, p, cond, st, metric)))
    solver.add(*[v >= 0 for v in made.values()])
    if rng.random() < 0.5:  # sometimes prefer large values, sometimes small ones
        solver.add(*[v <= 10**24 for v in made.values()])
    if solver.check() != z3.sat:
        return ()
    m = solver.model()
    return tuple(
        MetricValue(atom=a, value=m.eval(v, model_completion=True).as_long())
        for a, v in made.items()
    )
