"""`interlock record` against Anvil: scripted traffic with the guard and monitor live, recorded,
then backtested — the backtest finds what the chain did; an interrupted recording resumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.backtest.reader import TraceReader
from interlock.backtest.record import RecordOptions, record
from interlock.backtest.run import replay
from interlock.runtime.anvil import Anvil
from interlock.testing.trace_chain import ANVIL_ARGS, ChainRun, deploy_trace_venue, replay_trace
from tests.backtest.random_traces import random_trace

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
ROOT = Path(__file__).resolve().parents[2]
RULES = str(ROOT / "examples" / "perp_venue.guard")


class Interrupt(Exception):
    pass


def _options(node: Anvil, run: ChainRun, out: Path, guard: str) -> RecordOptions:
    blocks = sorted(run.number_of)
    return RecordOptions(rpc=node.http_url, first=blocks[0], last=blocks[-1], out=out,
                         guard=guard, chunk=7, withdraw_scope="withdrawals",
                         deposit_scope="deposits")


def _record_with_the_cli(text: str, opts: RecordOptions, tmp_path: Path) -> Path:
    from interlock.build import BuildOptions, build
    from interlock.cli import main

    rules = tmp_path / "venue.guard"
    rules.write_text(text)
    assert build([str(rules)], BuildOptions(out_dir=tmp_path / "build", jobs=1)).exit_code == 0
    out = tmp_path / "cli.jsonl.gz"
    assert main(["record", str(tmp_path / "build"), "--rpc", opts.rpc, "--from", str(opts.first),
                 "--to", str(opts.last), "-o", str(out), "--guard", str(opts.guard),
                 "--chunk", "7"]) == 0
    return out


def test_record_rejects_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from interlock.cli import main

    assert main(["record", str(tmp_path), "--rpc", "http://127.0.0.1:1", "--from", "5",
                 "--to", "2", "-o", str(tmp_path / "t.jsonl")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_record_then_backtest_equals_the_live_run(tmp_path: Path) -> None:
    with Anvil(extra_args=ANVIL_ARGS) as node:
        venue = deploy_trace_venue(node, RULES)
        run = replay_trace(venue, random_trace(tmp_path / "traffic.jsonl", 1), tmp_path)
        opts = _options(node, run, tmp_path / "rec.jsonl.gz", venue.guard.address)
        whole = record(venue.program, opts)

        def stop_after_two(done: int, total: int) -> None:
            if done >= 14:
                raise Interrupt

        cut = _options(node, run, tmp_path / "cut.jsonl.gz", venue.guard.address)
        with pytest.raises(Interrupt):
            record(venue.program, cut, stop_after_two)
        assert not cut.out.exists() and cut.out.with_name("cut.jsonl.gz.partial").exists()
        resumed = record(venue.program, cut)
        cli_out = _record_with_the_cli(venue.rules_text, opts, tmp_path)
    assert cli_out.read_bytes() == whole.read_bytes()
    assert resumed.read_bytes() == whole.read_bytes()
    result = replay(venue.program, str(whole))
    firings = [(run.number_of[f.block], f.breaker, "flow" if f.by == "flow" else "agent")
               for f in result.firings]
    assert firings == run.firings and firings
    refused = sorted(run.number_of[s.block] for s in result.stopped)
    assert refused == sorted(b for b, _, status in run.stopped if status == "refused")


def test_ten_rules_with_calls_round_trip(tmp_path: Path) -> None:
    """The benchmark's ten breakers (staleness, change, calls, a score...): the live run, its
    recording (reverted withdrawals are recorded as calls) and the backtest agree."""
    rules = str(ROOT / "bench" / "backtest.guard")
    with Anvil(extra_args=ANVIL_ARGS) as node:
        venue = deploy_trace_venue(node, rules)
        run = replay_trace(venue, random_trace(tmp_path / "traffic.jsonl", 2), tmp_path)
        opts = _options(node, run, tmp_path / "rec.jsonl", venue.guard.address)
        out = record(venue.program, opts)
    reverted = [b for b, _, status in run.stopped if status == "paused"]
    calls = [b.block for _, b in TraceReader.open(out).blocks() for _ in b.calls]
    assert reverted and sorted(run.number_of[c] for c in calls) == sorted(reverted)
    result = replay(venue.program, str(out))
    firings = [(run.number_of[f.block], f.breaker, "flow" if f.by == "flow" else "agent")
               for f in result.firings]
    assert firings == run.firings and firings
