"""Custom metrics of the example rule files: signatures as the front end writes them, decoded
from real ABI-encoded logs; and every example's monitor plan and module build."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_abi.abi import encode

from interlock.compiler.monitor_gen import emit_monitor
from interlock.dsl.frontend import compile_file, compile_text
from interlock.ir.nodes import EventSignature
from interlock.runtime.abi import event_topic
from interlock.runtime.customlogs import CustomDecoder
from interlock.runtime.evaluate import RulePlan
from interlock.runtime.metrics import MetricPlan, MetricState
from interlock.runtime.observe import BlockObservation, LogEntry

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.guard"))


def _event(signature: str) -> EventSignature:
    """The front end's typed signature of `signature` (declared in a one-metric rule file)."""
    text = f"protocol P\nmetric m = count({signature} at 0x{'ab' * 20}, 12s)\n"
    program = compile_text(text, "t.guard").program
    assert program is not None
    return program.metrics[0].event


def test_signatures_with_names_and_indexed_flags() -> None:
    event = _event("MessageRelayed(bytes32 indexed id, uint256 value)")
    assert event.name == "MessageRelayed"
    assert [(p.type, p.name, p.indexed) for p in event.params] == [
        ("bytes32", "id", True), ("uint256", "value", False)]
    assert _event("Released(address indexed token, address indexed to, uint256 amount)"
                  ).canonical() == "Released(address,address,uint256)"
    assert _event("Borrow(address,uint256)").params[0].indexed is None


def test_bridge_metrics_decode_real_logs() -> None:
    program = compile_file(str(next(p for p in EXAMPLES if p.name == "bridge.guard"))).program
    assert program is not None
    relayed = next(m for m in program.metrics if m.name == "relayed_wei_1h")
    dec = CustomDecoder.from_metric(relayed)
    topic = event_topic("MessageRelayed(bytes32,uint256)")
    log = LogEntry(relayed.address.lower(), (topic, "0x" + "ab" * 32),
                   encode(["uint256"], [7 * 10**18]), "0x1", 0)
    assert dec.matches(log) and dec.amount(log) == 7 * 10**18
    bad = LogEntry(relayed.address.lower(), (topic,), b"", "0x2", 1)
    with pytest.raises(ValueError):
        dec.amount(bad)
    # the monitor's windows count them, and skip the malformed one
    plan = MetricPlan.from_program(program)
    state = MetricState(plan)
    obs = BlockObservation(1, "0x1", "0x0", 1_800_000_000, logs=(log, bad, log))
    state.apply(obs)
    atom = next(a for a in plan.atoms if a.kind == "metric" and a.target == "relayed_wei_1h")
    assert state.values(obs)[atom] == 14 * 10**18
    assert len(state.malformed) == 1


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_has_a_monitor(path: Path) -> None:
    program = compile_file(str(path)).program
    assert program is not None
    plan = MetricPlan.from_program(program)
    assert plan.atoms  # every example watches something
    rules = RulePlan.for_program(program)
    assert [r.breaker.id for r in rules] == list(range(len(program.breakers)))
    for r in rules:
        assert r.method == ("alert" if all(e.kind == "alert" for e in r.breaker.effects)
                            else "tripSender" if r.per_sender
                            else "poke" if r.breaker.onchain else "trip")
    (_, source), = emit_monitor(program).items()
    ns: dict[str, object] = {}
    exec(compile(source, "m.py", "exec"), ns)
    assert ns["PROGRAM"] == program
