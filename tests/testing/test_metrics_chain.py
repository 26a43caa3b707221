"""The guard's metric definitions as the chain driver computes them (docs/semantics.md)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from interlock.ir.metric_arith import SATURATION as SATURATED
from interlock.ir.metric_arith import WAD
from interlock.testing.deploy import check_text
from interlock.testing.metrics_chain import condition_atoms, deviation_of, solve_reference

ROOT = Path(__file__).resolve().parents[2]


def test_deviation_floor_saturation_and_non_positive_answers() -> None:
    assert deviation_of(103, 100) == 3 * 10**16
    assert deviation_of(97, 100) == 3 * 10**16
    assert deviation_of(1, 3) == (2 * WAD) // 3  # floor
    assert deviation_of(100, 0) == SATURATED  # no reference: infinitely deviated
    assert deviation_of(-5, 100) == WAD  # a negative answer is a price of 0


@given(answer=st.integers(1, 10**30), r=st.integers(0, 10 * WAD))
def test_solve_reference_reaches_or_exceeds_the_deviation(answer: int, r: int) -> None:
    ref = solve_reference(answer, r)
    assert ref > 0
    got = deviation_of(answer, ref)
    assert got >= r or ref == 1


def test_condition_atoms_expand_scores_and_skip_params() -> None:
    path = ROOT / "examples" / "perp_venue.guard"
    program = check_text(path.read_text(), str(path))
    halt = program.breaker("halt")  # `risk >= 90`: the score's three tiers
    kinds = sorted(a.kind for a in condition_atoms(program, halt.when))
    assert kinds == ["change", "deviation", "outflow", "tvl"]
