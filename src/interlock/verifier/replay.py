"""Replaying candidate counterexamples on the concrete semantics.

A `violated` result is reported only when its steps run on `interlock.semantics`
without a refusal and end in a state that breaks the property, so a bug in an encoding can
cost a proof but never produce a false counterexample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from interlock.ir.nodes import Program
from interlock.semantics import StepRefused, initial_state, step
from interlock.semantics.state import State
from interlock.semantics.trace import Step

T0 = 1_000_000


def replay(program: Program, steps: Sequence[Step], t0: int = T0) -> State:
    """The state after `steps` from the initial state (raises `StepRefused`)."""
    st = initial_state(program, t0)
    for s in steps:
        st = step(program, st, s)
    return st


def replay_breaks(
    program: Program, steps: Sequence[Step], bad: Callable[[State], object], t0: int = T0
) -> bool:
    """Whether `steps` replay and end in a state where `bad` holds."""
    try:
        return bool(bad(replay(program, steps, t0)))
    except StepRefused:
        return False


def replay_lasso(
    program: Program,
    steps: Sequence[Step],
    loop_start: int,
    scope: str,
    same_up_to_shift: Callable[[State, State], object],
    rounds: int = 3,
    t0: int = T0,
) -> bool:
    """Whether the loop `steps[loop_start:]` repeats forever keeping `scope` in one pause.

    The loop is replayed `rounds` times; `scope` must be held in every state (paused, or at the
    very instant its pause ends, where a new pause continues it) in the same continuous pause
    (`paused_since` unchanged), time must advance, and each round must end in a state that
    `same_up_to_shift` the state it started from (so the next round is allowed too, forever).
    """
    loop = steps[loop_start:]
    try:
        st = replay(program, steps[:loop_start], t0)
        if not loop or not _held(st, scope):
            return False
        since = st.paused_since[scope]
        for _ in range(rounds):
            begin = st
            for s in loop:
                st = step(program, st, s)
                if not _held(st, scope) or st.paused_since[scope] != since:
                    return False
            if st.now <= begin.now or not same_up_to_shift(begin, st):
                return False
        return True
    except StepRefused:
        return False


def _held(st: State, scope: str) -> bool:
    pu = st.paused_until[scope]
    return bool(pu != 0 and st.now <= pu)
