"""The reference semantics: the state machine of SPEC §4 (docs/semantics.md), written once.

The transition rules (`rules`, `cond`) are generic over an arithmetic back end (`ops.Ops`):
this package holds the concrete one (Python ints, `ops.CONCRETE`) and runs steps on it
(`machine`); the verifier gives the same rules Z3 terms (`interlock.verifier.z3ops`). Nothing
here imports z3, so the monitor, replay and tests of the concrete machine run without it.

    st = initial_state(program, t0=1_700_000_000)
    st = step(program, st, Fire(breaker="drain", metrics=(...)))   # raises StepRefused
"""

from __future__ import annotations

from interlock.semantics.machine import (
    StepRefused,
    compile_cond,
    effective_param,
    eval_cond,
    metric_lookup,
    role_satisfied,
    run,
    score_value,
    step,
)
from interlock.semantics.state import State, initial_state, override_value

__all__ = [
    "State",
    "StepRefused",
    "compile_cond",
    "effective_param",
    "eval_cond",
    "initial_state",
    "metric_lookup",
    "override_value",
    "role_satisfied",
    "run",
    "score_value",
    "step",
]
