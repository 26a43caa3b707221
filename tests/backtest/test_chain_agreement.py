"""Differential: the backtest of a trace equals, event for event, what the generated guard and
the running monitor do on Anvil when the trace is replayed as real transactions — the blocks
and times of the firings, the stopped flows, and the guard's pauses and cooldown marks after
the last block."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.backtest.engine import Engine
from interlock.backtest.reader import TraceReader
from interlock.backtest.results import TraceResult
from interlock.backtest.run import load_rules
from interlock.runtime.anvil import Anvil
from interlock.testing.trace_chain import ANVIL_ARGS, deploy_trace_venue, replay_trace
from tests.backtest.random_traces import random_trace
from tests.backtest.tracekit import drain_blocks, write

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
ROOT = Path(__file__).resolve().parents[2]
RULES = str(ROOT / "examples" / "perp_venue.guard")
BRIDGE = str(ROOT / "examples" / "bridge.guard")
BRIDGE_SCOPES = {"in": "deposits", "out": "releases"}  # the escrow's gates
TRACES = ROOT / "examples" / "traces"


def _events(r: TraceResult) -> tuple[list[tuple[int, str, str]], list[tuple[int, int, str]]]:
    firings = [(f.block, f.breaker, "flow" if f.by == "flow" else "agent") for f in r.firings]
    stopped = sorted((s.block, s.index, s.status) for s in r.stopped)
    return firings, stopped


def _backtest(rules: str, trace: Path) -> Engine:
    """The backtest's engine after the trace's last block (its guard state is the prediction)."""
    reader = TraceReader.open(trace)
    engine = Engine(load_rules(rules), reader.header, str(trace))
    for line, block in reader.blocks():
        engine.block(block, line)
    return engine


def _agree(trace: Path, tmp_path: Path, rules: str = RULES,
           scopes: dict[str, str] | None = None) -> TraceResult:
    engine = _backtest(rules, trace)
    result, state = engine.result, engine.state
    with Anvil(extra_args=ANVIL_ARGS) as node:
        venue = deploy_trace_venue(node, rules, scopes)
        run = replay_trace(venue, trace, tmp_path)
    firings, stopped = _events(result)
    assert run.firings == firings, run.monitor_log[-3000:]
    assert run.fired_at == [f.time for f in result.firings]
    assert run.stopped == stopped
    assert state is not None
    assert run.paused_until == state.paused_until
    assert run.fired_until == state.fired_until
    return result


def test_a_drain_agrees_with_the_chain(tmp_path: Path) -> None:
    trace = write(tmp_path / "drain.jsonl", drain_blocks([9_000, 16_000, 12_600, 18_600]))
    result = _agree(trace, tmp_path)
    assert [f.by for f in result.firings] == ["flow"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["euler-2023-03", "mango-2022-10"])
def test_library_incidents_agree_with_the_chain(name: str, tmp_path: Path) -> None:
    result = _agree(TRACES / f"{name}.jsonl.gz", tmp_path)
    assert result.containment() is not None


@pytest.mark.slow
@pytest.mark.parametrize(("name", "breaker"), [("harmony-2022-06", "usdc_fast_drain"),
                                               ("ronin-2022-03", "weth_drain")])
def test_bridge_incidents_trip_on_chain_when_the_backtest_says(name: str, breaker: str,
                                                               tmp_path: Path) -> None:
    """A multi-asset escrow (`TestEscrow`: USDC, USDT, WETH) gated by `releases`: the guard
    refuses the first malicious release at the block and time the backtest predicts, and
    the pause it starts stops the rest."""
    result = _agree(TRACES / f"{name}.jsonl.gz", tmp_path, BRIDGE, BRIDGE_SCOPES)
    contained = result.containment()
    assert contained is not None and contained.breaker == breaker and contained.by == "flow"
    assert result.first_attack == (contained.block, contained.time)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_traces_agree_with_the_chain(seed: int, tmp_path: Path) -> None:
    result = _agree(random_trace(tmp_path / f"r{seed}.jsonl", seed), tmp_path)
    assert result.blocks == 40
