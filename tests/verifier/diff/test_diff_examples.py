"""The shipped examples: each diffed with itself is empty; the SPEC example against its broken
variant (`max 72h gap 24h` and `drain`'s cooldown dropped) weakens withdrawals."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.diff import run_diff

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.guard")), ids=lambda p: p.name)
def test_an_example_against_itself_has_no_change(path: Path) -> None:
    report = run_diff([str(path), str(path)])
    assert report.files[0].changes == () and report.exit_code() == 0


def test_the_broken_variant_weakens_withdrawals() -> None:
    report = run_diff([str(EXAMPLES / "perp_venue.guard"),
                       str(EXAMPLES / "broken" / "perp_venue_unbounded.guard")])
    rows = {(c.name, c.aspect, c.verdict, c.code, c.before, c.after)
            for c in report.files[0].changes}
    assert rows == {
        ("withdrawals", "max", "weakens", "W1008", "3d", "unbounded"),
        ("withdrawals", "gap", "weakens", "W1008", "1d", "none"),
        ("withdrawals", "pause bound", "weakens", "W1007", "at most 6h",
         "locked forever possible"),
        ("drain", "cooldown", "strengthens", None, "1d", "none"),
    }
    assert report.exit_code() == 1
