"""The verifier's model of `set` step bounds, against verdicts worked out by hand.

`p` halves at most per use (`by at most 50%`): from `b >= 1` a use reaches `v >= b - b/2 > 0`,
so `v >= 1` (integers) and `always p >= 1` is inductive: proved for executions of any length.
With `100%` one use may set 0: violated in one step. From 0 a relative step cannot move at all.
`cap` doubles at most once per 3 days: `cap <= 200` breaks on the second use, 3 days after the
first, and `cap <= 400` on the third, 6 days in: the counterexamples need the period to pass,
which the model enforces. An absolute step adds up the same way. Every counterexample is replayed
on the reference semantics by the engine (`violated` is reported only for a replayed trace).
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.semantics import initial_state, run
from interlock.semantics.trace import UsePower
from interlock.verifier.engine import verify
from interlock.verifier.result import PropertyResult

HEAD = """protocol Steps
signer alice 0x1111111111111111111111111111111111111111
role stewards = alice
param half = 10 in [0, 1000] safer higher
param full = 10 in [0, 1000] safer higher
param zero = 0 in [0, 1000] safer lower
param cap = 100 in [0, 1000] safer lower
param floor = 0 in [-100, 100] safer higher
allow stewards to set half by at most 50% per 1d
allow stewards to set full by at most 100% per 1d
allow stewards to set zero by at most 100% per 1d
allow stewards to set cap by at most 100% per 3d
allow stewards to set floor by at most 50 per 1d
"""
D = 86_400


def _program(invariants: str) -> Program:
    result = compile_text(HEAD + invariants, "steps.guard")
    assert result.program is not None, result.diagnostics
    return result.program


def _check(pred: str) -> PropertyResult:
    program = _program(f"invariant i: always {pred}\n")
    (result,) = verify(program, timeout_s=30, isolate=False)
    if result.counterexample is not None:  # the engine replayed it; so do we, end to end
        run(program, initial_state(program, 1), result.counterexample.steps)
    return result


def _uses(r: PropertyResult) -> list[tuple[int, int | None]]:
    """(time offset, value) of each power use of the counterexample."""
    assert r.counterexample is not None
    out, now = [], 0
    for s in r.counterexample.steps:
        if isinstance(s, UsePower):
            out.append((now, s.value))
        else:
            now += getattr(s, "seconds", 0)
    return out


@pytest.mark.parametrize("pred", ["half >= 1", "zero == 0", "floor >= -100 and floor <= 100"])
def test_proved_for_executions_of_any_length(pred: str) -> None:
    r = _check(pred)
    assert r.status == "proved", r
    assert r.depth is None


def test_a_full_step_down_reaches_zero_at_once() -> None:
    r = _check("full >= 1")
    assert r.status == "violated"
    assert len(_uses(r)) == 1


@pytest.mark.parametrize(("limit", "uses"), [(200, 2), (400, 3)])
def test_doubling_needs_one_period_per_use(limit: int, uses: int) -> None:
    r = _check(f"cap <= {limit}")
    assert r.status == "violated"
    times = [t for t, _ in _uses(r)]
    assert len(times) == uses
    assert all(b - a >= 3 * D for a, b in pairwise(times))


def test_an_absolute_step_adds_up_per_period() -> None:
    r = _check("floor >= -50")
    assert r.status == "violated"  # -50 at once; below -50 only a day later
    times = [t for t, _ in _uses(r)]
    assert len(times) == 2 and times[1] - times[0] >= D


def test_without_the_step_one_use_is_enough() -> None:
    program = _program("invariant i: always cap <= 200\n")
    unbounded = program.model_copy(update={"powers": tuple(
        w.model_copy(update={"step": None}) for w in program.powers)})
    (r,) = verify(unbounded, timeout_s=30, isolate=False)
    assert r.status == "violated"
    assert r.counterexample is not None
    assert sum(isinstance(s, UsePower) for s in r.counterexample.steps) == 1
