"""Differential: the backtest of a trace equals, event for event, what the generated guard and
the running monitor do on Anvil when the trace is replayed as real transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.backtest.results import TraceResult
from interlock.backtest.run import load_rules, replay
from interlock.runtime.anvil import Anvil
from interlock.testing.trace_chain import ANVIL_ARGS, deploy_trace_venue, replay_trace
from tests.backtest.random_traces import random_trace
from tests.backtest.tracekit import drain_blocks, write

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
ROOT = Path(__file__).resolve().parents[2]
RULES = str(ROOT / "examples" / "perp_venue.guard")


def _events(r: TraceResult) -> tuple[list[tuple[int, str, str]], list[tuple[int, int, str]]]:
    firings = [(f.block, f.breaker, "flow" if f.by == "flow" else "agent") for f in r.firings]
    stopped = sorted((s.block, s.index, s.status) for s in r.stopped)
    return firings, stopped


def _agree(trace: Path, tmp_path: Path) -> TraceResult:
    result = replay(load_rules(RULES), str(trace))
    with Anvil(extra_args=ANVIL_ARGS) as node:
        venue = deploy_trace_venue(node, RULES)
        run = replay_trace(venue, trace, tmp_path)
    firings, stopped = _events(result)
    assert run.firings == firings, run.monitor_log[-3000:]
    assert run.stopped == stopped
    return result


def test_a_drain_agrees_with_the_chain(tmp_path: Path) -> None:
    trace = write(tmp_path / "drain.jsonl", drain_blocks([9_000, 16_000, 12_600, 18_600]))
    result = _agree(trace, tmp_path)
    assert [f.by for f in result.firings] == ["flow"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["euler-2023-03", "mango-2022-10"])
def test_library_incidents_agree_with_the_chain(name: str, tmp_path: Path) -> None:
    result = _agree(ROOT / "examples" / "traces" / f"{name}.jsonl.gz", tmp_path)
    assert result.containment() is not None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_traces_agree_with_the_chain(seed: int, tmp_path: Path) -> None:
    result = _agree(random_trace(tmp_path / f"r{seed}.jsonl", seed), tmp_path)
    assert result.blocks == 40
