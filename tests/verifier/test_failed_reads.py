"""Issue 16, item 1, in the verifier: a failed feed read is part of the model.

`data/violated/broken_feed.guard` was `proved` before failed reads were modelled (its rule's
metric part is false while trading is paused); now it is `violated`, and the counterexample's
second firing is a failed read. `test_replay_on_chain.py` replays it on the deployed guard with
the feed broken (every file of `data/violated/` is replayed there); this test replays it here
too, so the evidence sits in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.verifier.test_replay_on_chain import replay_all

from interlock.runtime.anvil import Anvil
from interlock.semantics.trace import Fire
from interlock.testing.chain import TestChain
from interlock.testing.deploy import check_text
from interlock.verifier.engine import verify
from interlock.verifier.result import PropertyResult

PATH = Path(__file__).parent / "data" / "violated" / "broken_feed.guard"


def _result() -> PropertyResult:
    program = check_text(PATH.read_text(), str(PATH))
    (r,) = verify(program, timeout_s=60, jobs=1)
    return r


def test_a_failed_read_breaks_a_pause_bound_healthy_metrics_keep() -> None:
    r = _result()
    assert r.status == "violated" and r.counterexample is not None
    assert any(isinstance(s, Fire) and s.failed_reads for s in r.counterexample.steps)
    assert "read failed" in " ".join(e.action for e in r.counterexample.timeline)


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


@pytest.mark.evm
@pytest.mark.anvil
def test_the_failed_read_counterexample_replays_on_the_guard(chain: TestChain) -> None:
    r = _result()
    assert all(replay_all(chain, PATH, [r]))
