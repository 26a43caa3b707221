"""Issue 16, item 3, in the verifier: `ROLE can pause S within D` and finding W0806.

`data/violated/griefer_gap.guard` is the SPEC venue's withdrawals: `paused at most 72h then open
24h` is proved (as before), and the new property states the guardian's side of the `gap` trade-off:
within 24h it is proved, within 12h it is violated by a griefer's `drain` (the pause ends and the
gap refuses the guardian for a day). The counterexample replays on the deployed guard, where the
guardian's pause, tried 12h after the trace ends, is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.verifier.test_replay_on_chain import replay_all

from interlock.dsl.fmt import format_source
from interlock.runtime.anvil import Anvil
from interlock.testing.chain import TestChain
from interlock.testing.deploy import check_text
from interlock.verifier.engine import verify
from interlock.verifier.findings import find

PATH = Path(__file__).parent / "data" / "violated" / "griefer_gap.guard"


def test_the_guardian_can_pause_within_the_gap_but_not_sooner() -> None:
    program = check_text(PATH.read_text(), str(PATH))
    status = {r.name: r.status for r in verify(program, timeout_s=60, jobs=1)}
    assert status == {"escape": "proved", "day_ready": "proved", "half_ready": "violated"}


def test_the_no_pause_window_is_a_finding_with_its_length() -> None:
    program = check_text(PATH.read_text(), str(PATH))
    (w,) = [d for d in find(program) if d.code == "W0806"]
    assert "for 1d after every pause of `withdrawals`" in w.message and "`drain`" in w.message


def test_the_property_formats_back_to_itself() -> None:
    formatted = format_source(PATH.read_text(), str(PATH))
    assert "guardian can pause withdrawals within 12h assuming guardian" in formatted


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


@pytest.mark.evm
@pytest.mark.anvil
def test_the_counterexample_replays_on_the_guard(chain: TestChain) -> None:
    program = check_text(PATH.read_text(), str(PATH))
    violated = [r for r in verify(program, timeout_s=60, jobs=1) if r.status == "violated"]
    breaches = replay_all(chain, PATH, violated)
    assert breaches and all(b and "no power of `guardian`" in b for b in breaches)
