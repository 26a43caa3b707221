"""What the temporal checks share: results, time slices, lassos that replay.

A *lasso* is a prefix and a loop of steps after which the state repeats shifted in time, with a
scope paused throughout in one continuous pause (`bmc.find_lasso`); `valid_lasso` keeps only
one that replays concretely round after round, and `unroll_lasso` repeats its loop until a
`paused at most` limit is passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from interlock.ir.nodes import Invariant, Program
from interlock.semantics import step
from interlock.semantics.ops import CONCRETE
from interlock.semantics.state import State
from interlock.semantics.trace import Step
from interlock.verifier import lasso_plan
from interlock.verifier.bmc import BmcResult, find_lasso, planned_lasso
from interlock.verifier.budget import Clock
from interlock.verifier.replay import replay, replay_lasso
from interlock.verifier.result import PropertyResult
from interlock.verifier.symbolic import Model

MAX_BMC_DEPTH = 40


def result(invariant: Invariant, start: float, **kw: object) -> PropertyResult:
    return PropertyResult(
        name=invariant.name, seconds=round(time.monotonic() - start, 3), span=invariant.span, **kw
    )


def valid_lasso(
    program: Program,
    model: Model,
    s: str,
    clock: Clock,
    seconds: float,
    min_shift: int = 1,
    max_depth: int = MAX_BMC_DEPTH,
) -> BmcResult:
    """A lasso keeping `s` paused forever that replays concretely, round after round; each
    round advances time by at least `min_shift` (`seconds` per depth searched). A lasso
    planned by simulating the pausers (`lasso_plan`) is tried first."""
    planned = lasso_plan.plan(model, s)
    if planned is not None and min_shift == 1:
        guess = planned_lasso(model, s, *planned, clock, seconds)
        if replays(program, model, s, guess):
            return guess
    found = find_lasso(model, s, model.horizon(), max_depth, clock, seconds, min_shift)
    return found if replays(program, model, s, found) else BmcResult(None, found.depth)


def replays(program: Program, model: Model, s: str, found: BmcResult) -> bool:
    """Whether `found` is a lasso that replays concretely, round after round."""
    if found.steps is None or found.loop_start is None:
        return False
    horizon = model.horizon()

    def shifted(a: State, b: State) -> object:
        return model.same_up_to_shift(a, b, s, horizon, CONCRETE)

    return replay_lasso(program, found.steps, found.loop_start, s, shifted)


def unroll_lasso(
    program: Program, lasso: BmcResult, bad: Callable[[State], object], max_steps: int = 50_000
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
