"""On Anvil: the monitor compares the code at the guard address with the build's guard
(runtime code, immutables masked: compiler/codehash.py), at start and at every reconnection
(docs/monitor.md, "Faults"). No trip is missed or doubled, and `/health` says why it waits."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from alert_receiver import SCHEMA
from eth_account import Account
from monitor_chain import AGENT_KEY, USDC, MonitorThread, Venue, deploy_venue, wait_for
from monitor_faults import tcp_monitor

from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig
from interlock.runtime.node_checks import GuardCodeMismatch

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
AGENT = Account.from_key(AGENT_KEY).address


def pokes(venue: Venue) -> list[str]:
    logs = venue.guard.events.BreakerFired.get_logs(from_block=0)
    return [e["args"]["caller"] for e in logs if e["args"]["ruleId"] == 0]


def code_alerts(m: MonitorThread) -> list[dict[str, object]]:
    alerts = [json.loads(x)["alert"] for x in m.alerts.getvalue().splitlines()]
    for a in alerts:
        jsonschema.validate(a, SCHEMA)
    return [a for a in alerts if a["event"] == "CodeChanged"]


def test_the_builds_guard_is_watched_and_other_code_refused_at_start(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        assert venue.guard_code.immutables  # EIP712's domain: filled in by the constructor
        cfg = MonitorConfig(rpc=node.ws_url, guard=venue.guard.address,
                            checkpoint=str(tmp_path / "ok.db"), guard_code=venue.guard_code)
        m = MonitorThread(venue.program, cfg, name="interlock.monitor.code_ok").start()
        m.caught_up(venue.head())
        assert m.health.snapshot()["status"] == "ok"
        m.stop()
        wrong = MonitorThread(venue.program, MonitorConfig(
            rpc=node.ws_url, guard=venue.vault.address, checkpoint=str(tmp_path / "bad.db"),
            guard_code=venue.guard_code), name="interlock.monitor.code_bad")
        wrong.start()
        with pytest.raises(GuardCodeMismatch, match=r"is not this build's guard: .* bytes of"):
            wrong.stop()
        assert wrong.events("guard_code_mismatch")


def test_guard_code_replaced_between_reconnections_is_alerted_and_waited_out(
        tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        guard = venue.guard.address
        original = "0x" + venue.w3.eth.get_code(guard).hex()
        with tcp_monitor(venue, node.port, tmp_path, "setcode",
                         guard_code=venue.guard_code) as (proxy, m):
            m.caught_up(venue.head())
            other = "0x" + venue.w3.eth.get_code(venue.vault.address).hex()
            node.rpc("anvil_setCode", [guard, other])  # not the guard any more
            proxy.redirect(node.port)  # checked again at the reconnection
            wait_for(lambda: bool(m.events("guard_code_mismatch")), 20, m.log.getvalue()[-3000:])
            snap = m.health.snapshot()
            assert snap["status"] == "degraded" and "guard_code" in snap["problems"], snap
            waiting_at = m.monitor.next_block
            node.rpc("evm_mine")
            wait_for(lambda: len(m.events("guard_code_mismatch")) >= 3, 20)
            assert m.monitor.next_block == waiting_at  # nothing processed against that code
            node.rpc("anvil_setCode", [guard, original])  # the guard is back
            wait_for(lambda: m.health.snapshot()["status"] == "ok", 20, str(m.health.snapshot()))
            venue.withdraw(venue.users[1], 60_000 * USDC)  # allowed; then an unreported
            venue.lose(500_000 * USDC)  # loss makes `drain` true for the monitor's poke
            wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
            m.caught_up(venue.head())
            m.stop()
        assert m.error is None
        assert pokes(venue) == [AGENT]
        (alert,) = code_alerts(m)  # once, though refused at several reconnections
        assert alert["args"]["contract"] == "guard" and alert["severity"] == "critical"
        assert "not this build's guard" in str(alert["reason"])


def test_guard_code_replaced_while_connected_is_seen_at_the_next_code_check(
        tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        guard, vault = venue.guard.address, venue.vault.address
        codes = ["0x" + venue.w3.eth.get_code(a).hex() for a in (vault, guard)]
        with tcp_monitor(venue, node.port, tmp_path, "live", code_check_s=0.5,
                         guard_code=venue.guard_code) as (_, m):
            m.caught_up(venue.head())
            node.rpc("anvil_setCode", [guard, codes[0]])  # no reconnection, no new block
            wait_for(lambda: "guard_code" in m.health.snapshot()["problems"], 10,
                     m.log.getvalue()[-3000:])
            node.rpc("anvil_setCode", [guard, codes[1]])
            wait_for(lambda: m.health.snapshot()["status"] == "ok", 20,
                     str(m.health.snapshot()))
            m.stop()
        assert m.error is None and len(code_alerts(m)) == 1
