"""The replay: the guard's flow checks, the monitor's one-block latency, the figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock.backtest.run import BacktestOptions, backtest, load_rules, replay
from interlock.backtest.trace import Block, Round
from interlock.cli import main
from tests.backtest.tracekit import (
    ATTACKER,
    PRICE,
    T0,
    USDC,
    USER,
    drain_blocks,
    header,
    outflow,
    write,
)

RULES = str(Path(__file__).parent / "data" / "backtest.guard")


def test_a_drain_is_refused_by_the_flow_that_trips_the_guard(tmp_path: Path) -> None:
    program = load_rules(RULES)
    r = replay(program, str(write(tmp_path / "t.jsonl", drain_blocks([9_000, 16_000, 12_600,
                                                                         18_600]))))
    # 25k of 300k pass; the 12.6k withdrawal makes 37.6k > 10% of the 275k left: refused
    assert [(f.breaker, f.block, f.by) for f in r.firings] == [("drain", 103, "flow")]
    assert r.firings[0].effects == ("pause withdrawals until 2023-03-13 10:43:56 UTC (2h)",)
    assert [(s.block, s.status, s.amount) for s in r.stopped] == [
        (103, "refused", 12_600 * USDC), (104, "paused", 18_600 * USDC)]
    assert r.attacker.out_with == {"USDC": 25_000 * USDC}
    assert r.attacker.out_without == {"USDC": 56_200 * USDC}
    contained = r.containment()
    assert contained is not None and contained.block == 103
    assert r.paused_seconds("withdrawals") == r.end - (T0 + 36)


def test_an_agent_rule_fires_one_block_after_the_monitor_sees_it(tmp_path: Path) -> None:
    up = Round(answer=PRICE * 110 // 100, updated_at=T0 + 3612)
    blocks = [Block(block=100 + i, time=T0 + 12 * i) for i in range(305)]
    blocks[301] = Block(block=401, time=T0 + 3612, feeds={"ETH_USD": up})
    path = write(tmp_path / "t.jsonl", blocks, header(kind="benign"))
    r = replay(load_rules(RULES), str(path))
    assert [(f.breaker, f.block, f.by) for f in r.firings] == [("fast_move", 402, "trip")]
    assert [(c.method, c.decided, c.block, c.accepted) for c in r.agent] == [
        ("trip", 401, 402, True)]
    assert [(a.breaker, a.block) for a in r.alerts] == [("fast_move", 401)]
    assert r.paused_seconds("trading") == r.end - (T0 + 3624)


def test_a_spamming_sender_is_blocked_and_only_its_flows_stop(tmp_path: Path) -> None:
    blocks = [Block(block=100 + i, time=T0 + 12 * i,
                    flows=[outflow(ATTACKER, 10 * USDC), outflow(USER, 10 * USDC)])
              for i in range(10)]
    r = replay(load_rules(RULES), str(write(tmp_path / "t.jsonl", blocks)))
    # the 6th call (block 105) makes calls > 5 for both senders: both blocked from block 106
    assert [(f.breaker, f.block, f.by, f.sender) for f in r.firings] == [
        ("spam", 106, "tripSender", USER), ("spam", 106, "tripSender", ATTACKER)]  # sorted
    assert {s.block for s in r.stopped} == set(range(106, 110))
    assert {s.status for s in r.stopped} == {"blocked"}
    assert r.ordinary.stopped == 4 and r.ordinary.count == 10


def test_benign_report_counts_pauses_and_refused_share(tmp_path: Path) -> None:
    blocks = drain_blocks([20_000, 20_000], gap=1)
    path = write(tmp_path / "b.jsonl", [
        b.model_copy(update={"flows": [f.model_copy(update={"sender": USER}) for f in b.flows]})
        for b in blocks], header(kind="benign"))
    report = backtest(RULES, [str(path)], BacktestOptions(format="json")).report
    t = report["traces"][0]
    assert "incident" not in t
    assert t["ordinary_flows"]["count"] == 2 and t["ordinary_flows"]["stopped"] == 1
    assert t["ordinary_flows"]["stopped_share"] == 0.5
    assert t["breakers"]["drain"]["firings"][0]["by"] == "flow"
    assert t["paused_seconds"]["withdrawals"] == 12


def test_sweep_prints_the_trade_off(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inc = write(tmp_path / "i.jsonl", drain_blocks([9_000, 16_000, 12_600, 18_600]))
    code = main(["backtest", RULES, str(inc), "--sweep", "drain.threshold=5%..20%/5%"])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.strip().endswith("%")
            and line.strip()[0].isdigit()]
    assert [r[0] for r in rows] == ["5%", "10%", "15%", "20%"]
    assert [r[2] for r in rows] == ["84.0%", "55.5%", "33.1%", "33.1%"]


def test_bad_sweeps_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inc = str(write(tmp_path / "i.jsonl", drain_blocks([1])))
    assert main(["backtest", RULES, inc, "--sweep", "nope.threshold=1%..2%/1%"]) == 2
    assert "no breaker `nope`" in capsys.readouterr().err
    assert main(["backtest", RULES, inc, "--sweep", "drain.threshold=1..2"]) == 2
    assert "cannot read the sweep" in capsys.readouterr().err


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inc = write(tmp_path / "i.jsonl", drain_blocks([9_000, 16_000, 12_600]))
    assert main(["backtest", RULES, str(inc), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    t = data["traces"][0]
    assert t["incident"]["containment"]["blocks_after_first_malicious"] == 2
    assert t["incident"]["saved"] == {"USDC": 12_600 * USDC}


def test_custom_metrics_count_the_trace_logs(tmp_path: Path) -> None:
    from interlock.backtest.trace import Log, Round, StartState
    from interlock.runtime.abi import event_topic

    bridge = str(Path(__file__).resolve().parents[2] / "examples" / "bridge.guard")
    program = load_rules(bridge)
    escrow = program.vaults[0].address
    topic = event_topic("Released(address,address,uint256)")
    log = Log(address=escrow, topics=[topic, "0x" + "0" * 64, "0x" + "0" * 64],
              data="0x" + "00" * 32)
    hdr = header(kind="benign").model_copy(update={"start": StartState(
        balances={"escrow": {"USDC": 10**12, "USDT": 10**12, "WETH": 10**24}},
        feeds={f.name: Round(answer=10**8, updated_at=T0) for f in program.feeds})})
    blocks = [Block(block=1, time=T0), Block(block=2, time=T0 + 12, logs=[log] * 401),
              Block(block=3, time=T0 + 24)]
    r = replay(program, str(write(tmp_path / "logs.jsonl", blocks, hdr)))
    assert [(f.breaker, f.block, f.by) for f in r.firings] == [("release_burst", 3, "trip")]
    assert r.paused_seconds("messages") == 0 and r.pauses["messages"]  # paused at the very end


def test_a_large_flow_is_held_and_a_refusal_wins_over_the_hold(tmp_path: Path) -> None:
    """`hold flow`: the flow is accepted, stays counted, and the firing says it holds it; when
    a refusing rule fires on the same flow, the flow is refused (docs/language.md)."""
    rules = Path(RULES).read_text() + (
        "\nbreaker large {\n  when flow(USDC) > 20_000 USDC\n  then hold flow for 24h\n}\n")
    path = tmp_path / "held.guard"
    path.write_text(rules)
    program = load_rules(str(path))
    # 25k held (under 10% of the pool); then 12.6k more makes the hour's outflow too large
    r = replay(program, str(write(tmp_path / "t.jsonl", drain_blocks([25_000, 12_600]))))
    assert [(f.breaker, f.block, f.effects[:1]) for f in r.firings] == [
        ("large", 101, ("hold the flow for 1d",)),
        ("drain", 102, ("pause withdrawals until 2023-03-13 10:43:44 UTC (2h)",))]
    assert [(s.block, s.status, s.amount) for s in r.stopped] == [
        (101, "held", 25_000 * USDC), (102, "refused", 12_600 * USDC)]
    both = replay(program, str(write(tmp_path / "u.jsonl", drain_blocks([40_000]))))
    assert sorted(f.breaker for f in both.firings) == ["drain", "large"]
    assert [(s.block, s.status) for s in both.stopped] == [(101, "refused")]
