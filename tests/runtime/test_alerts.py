"""Alert building blocks without a chain: severities, revert decoding, metric keys, dedup."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from monitor_kit import CALLS, OUTFLOW, venue_program

from interlock.ir.nodes import Atom
from interlock.runtime.abi import event_topic, selector
from interlock.runtime.alerts import Deduper
from interlock.runtime.guard_events import decode_revert, guard_events, parse_severities
from interlock.runtime.metrics import metric_key
from interlock.runtime.observe import LogEntry
from interlock.runtime.sinks import sign


def test_severities_by_rule_power_or_event() -> None:
    sev = parse_severities(venue_program(), ["drain=info", "guardian pause=error",
                                             "Unpaused=critical"])
    assert sev.of("BreakerFired", "drain") == "info"
    assert sev.of("Paused", "guardian pause") == "error"
    assert sev.of("Unpaused", "guardian unpause") == "critical"
    assert sev.of("BreakerFired", "inrush") == "critical"  # the default
    for bad in ("nosuch=info", "drain=loud", "drain"):
        with pytest.raises(ValueError, match="--severity"):
            parse_severities(venue_program(), [bad])


def test_revert_reasons_are_decoded_from_the_guard_errors() -> None:
    data = selector("RuleCooldown(uint256,uint64)") + encode(["uint256", "uint64"], [3, 99])
    assert decode_revert(data) == "RuleCooldown(ruleId=3, readyAt=99)"
    reentered = "ReentrancyGuardReentrantCall()"
    assert decode_revert(selector(reentered)) == reentered
    assert decode_revert(b"\x01\x02\x03\x04") == "0x01020304"
    assert decode_revert(b"") == "reverted without data"


def test_metric_keys_name_the_window() -> None:
    assert metric_key(OUTFLOW) == "outflow(USDC, 1h)"
    assert metric_key(Atom(kind="outflow", target="USDC", window=86400)) == "outflow(USDC, 1d)"
    assert metric_key(CALLS) == "calls(deposits, 1h, per sender)"
    assert metric_key(Atom(kind="tvl", target="USDC")) == "tvl(USDC)"
    assert metric_key(Atom(kind="outflow", target="USDC", window=90)) == "outflow(USDC, 90s)"


def test_each_alert_id_once() -> None:
    d = Deduper(keep=2)
    assert d.first("a") and not d.first("a") and d.first("b") and d.first("c")
    assert d.first("a")  # forgotten after `keep` newer ids


def test_webhook_signature_covers_timestamp_and_body() -> None:
    assert sign(b"k", "1", b"{}") != sign(b"k", "2", b"{}") != sign(b"k", "1", b"{ }")
    assert sign(b"k", "1", b"{}").startswith("sha256=")


def test_options_carry_sinks_severities_and_health_threshold() -> None:
    from interlock.runtime.entry import parse_options

    guard = "0x" + "11" * 20
    opts = parse_options(venue_program(), [
        "--rpc", "ws://127.0.0.1:1", "--guard", guard, "--webhook", "http://127.0.0.1:2/h",
        "--webhook-secret-env", "HOOK_SECRET", "--slack-webhook", "http://127.0.0.1:3/s",
        "--pagerduty-key-env", "PD_KEY", "--severity", "drain=info", "--max-silence", "6",
        "--code-check", "5"])
    assert opts.sinks.webhook == "http://127.0.0.1:2/h" and opts.sinks.pagerduty_key_env == "PD_KEY"
    assert opts.severities.of("BreakerFired", "drain") == "info"
    assert opts.max_silence_s == 6.0 and opts.config.code_check_s == 5.0
    with pytest.raises(SystemExit):
        parse_options(venue_program(), ["--rpc", "ws://x", "--guard", guard, "--code-check", "0"])
    with pytest.raises(SystemExit):
        parse_options(venue_program(), ["--rpc", "ws://x", "--guard", guard,
                                        "--severity", "drain=loud"])


def _log(index: int, signature: str, topics: list[int], data: bytes = b"") -> LogEntry:
    return LogEntry(address="0x" + "99" * 20, tx_hash="0x" + "ab" * 32, log_index=index,
                    topics=(event_topic(signature), *(f"0x{t:064x}" for t in topics)), data=data)


def test_effects_name_their_own_firing_when_two_fire_in_one_transaction() -> None:
    # one flow report fires `drain` (id 0) then `inrush` (id 5): the guard emits each firing's
    # effects before its `BreakerFired`, and the refusal after both
    paused = "Paused(uint8,uint64,uint64)"
    fired = "BreakerFired(uint256,address,uint64)"
    until = encode(["uint64", "uint64"], [9, 1])
    logs = [_log(0, paused, [1], until), _log(1, fired, [0, 0], encode(["uint64"], [9])),
            _log(2, paused, [0], until), _log(3, fired, [5, 0], encode(["uint64"], [9])),
            _log(4, "FlowRefused(address,address,uint256,bool)", [0, 0],
                 encode(["uint256", "bool"], [1, False]))]
    events = guard_events(venue_program(), 7, logs)
    assert [(e.name, e.args.get("scope"), e.subject) for e in events] == [
        ("Paused", "withdrawals", "drain"), ("BreakerFired", None, "drain"),
        ("Paused", "deposits", "inrush"), ("BreakerFired", None, "inrush"),
        ("FlowRefused", None, "inrush")]
