"""Reorganisations, on Anvil (`anvil_reorg`).

A monitor waiting `confirmations=3` never processes the replaced block: it reports nothing. A
monitor at the head (`confirmations=0`) processed the block that was replaced: it reports it
(`reorg_below_confirmations`), rewinds to its checkpoint of the last block still on the chain and
re-processes. Both end with windows equal to the guard's on the chain that stayed. A
reorganisation deeper than the kept checkpoints, to a branch at earlier times (fault 2), is
followed without wedging: the drain on the new branch is poked once, a restart resumes. Its
windows are rebuilt from the new branch: the replaced branch's outflow is gone, the new branch's
below the resume point is counted, nothing before the resume point is decided, and `/health`
says `rebuild` while the blocks are re-read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from monitor_chain import AGENT_KEY, USDC, MonitorThread, deploy_venue, wait_for
from monitor_faults import HealthLog
from monitor_kit import OUTFLOW, H

from interlock.runtime.anvil import Anvil
from interlock.runtime.checkpoint import KEEP, CheckpointStore
from interlock.runtime.monitor import MonitorConfig

pytestmark = [pytest.mark.anvil, pytest.mark.evm]


def test_confirmations_keep_reorged_blocks_out(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        monitors = [
            MonitorThread(venue.program, MonitorConfig(
                rpc=node.http_url, guard=venue.guard.address, checkpoint=str(tmp_path / f"{c}.db"),
                confirmations=c, poll_interval_s=0.01, dry_run=True),
                key=None, name=f"interlock.monitor.reorg{c}").start()
            for c in (0, 3)
        ]
        fast, safe = monitors
        venue.withdraw(venue.users[1], 10_000 * USDC)
        replaced = venue.head()
        fast.caught_up(replaced)
        assert fast.monitor.stats.values[replaced][OUTFLOW] == 10_000 * USDC
        node.rpc("anvil_reorg", [1, []])  # the withdrawal's block is replaced by an empty one
        for _ in range(4):
            node.rpc("evm_mine")
        head = venue.head()
        fast.caught_up(head)
        safe.caught_up(head - 3)
        for m in monitors:
            m.stop()
        assert fast.events("reorg_below_confirmations")
        assert not safe.events("reorg_below_confirmations")
        last = head - 3
        outflow = venue.guard.functions.outflow(venue.token.address, 3600)
        assert safe.monitor.stats.values[last][OUTFLOW] == outflow.call(block_identifier=last)
        assert fast.monitor.stats.values[head][OUTFLOW] == outflow.call(block_identifier=head)
        assert fast.monitor.stats.values[replaced][OUTFLOW] == outflow.call(
            block_identifier=replaced)  # re-processed on the new branch
        now_hash = node.rpc("eth_getBlockByNumber", [hex(replaced), False])["hash"]  # type: ignore[index]
        with CheckpointStore(tmp_path / "3.db", venue.guard.address) as store:
            assert store.recent_hashes()[replaced] == now_hash  # only the block that stayed
        with CheckpointStore(tmp_path / "0.db", venue.guard.address) as store:
            assert store.recent_hashes()[replaced] == now_hash  # rewound and re-processed


def test_a_reorg_deeper_than_the_checkpoints_to_earlier_times_does_not_wedge(
        tmp_path: Path) -> None:
    """Fault 2: the chain goes back further than the kept checkpoints and grows another branch
    whose blocks are earlier than the ones processed (prices observed out of order)."""
    with Anvil() as node:
        venue = deploy_venue(node)
        db = tmp_path / "deep.db"
        cfg = MonitorConfig(rpc=node.http_url, guard=venue.guard.address, checkpoint=str(db),
                            poll_interval_s=0.01)
        m = MonitorThread(venue.program, cfg, name="interlock.monitor.deep").start()
        m.caught_up(venue.head())
        forked = node.rpc("eth_getBlockByNumber", ["latest", False])
        snapshot = node.rpc("evm_snapshot", [])
        venue.withdraw(venue.users[2], 10_000 * USDC)
        for _ in range(KEEP + 6):  # an hour and more of blocks, processed
            node.rpc("evm_increaseTime", [60])
            node.rpc("evm_mine")
        m.caught_up(venue.head())
        old_head = venue.head()
        old_time = venue.w3.eth.get_block(old_head)["timestamp"]
        assert node.rpc("evm_revert", [snapshot]) is True
        node.rpc("evm_setNextBlockTimestamp", [int(forked["timestamp"], 16) + 1])  # type: ignore[index]
        node.rpc("evm_mine")
        wait_for(lambda: "behind" in m.health.snapshot()["problems"], 10,
                 str(m.health.snapshot()))  # nothing to process yet, and /health says why
        for _ in range(KEEP + 7):  # another branch, longer, at earlier times
            node.rpc("evm_mine")
        assert venue.w3.eth.get_block(old_head + 1)["timestamp"] < old_time
        venue.withdraw(venue.users[1], 60_000 * USDC)
        venue.lose(500_000 * USDC)  # the drain, for the monitor's poke
        wait_for(lambda: venue.fired_until(0) > 0, 30, m.log.getvalue()[-3000:])
        m.caught_up(venue.head())
        assert m.health.snapshot()["status"] == "ok", m.health.snapshot()
        m.stop()
        assert m.events("reorg_too_deep") and not m.events("internal_error")
        callers = [e["args"]["caller"] for e in venue.guard.events.BreakerFired.get_logs(
            from_block=0) if e["args"]["ruleId"] == 0]
        assert callers == [Account.from_key(AGENT_KEY).address]
        restarted = MonitorThread(venue.program, cfg, name="interlock.monitor.deep2").start()
        venue.advance(1)
        restarted.caught_up(venue.head())
        assert restarted.health.snapshot()["status"] == "ok"
        restarted.stop()
        assert not restarted.events("internal_error")


def test_a_reorg_deeper_than_the_checkpoints_rebuilds_the_windows_from_the_new_branch(
        tmp_path: Path) -> None:
    """The replaced branch withdrew 10,000 just before the monitor's head, the new branch 60,000
    just after the fork, below the block where the monitor resumes deciding: the rebuilt window
    is the new branch's 60,000 (the guard's), so the drain that needs it is poked, once."""
    with Anvil() as node:
        venue = deploy_venue(node)
        venue.advance(2 * H)  # the deployment's mint to the vault (no reported flow) rolls out
        cfg = MonitorConfig(rpc=node.http_url, guard=venue.guard.address,
                            checkpoint=str(tmp_path / "rebuild.db"), poll_interval_s=0.01)
        health = HealthLog()
        m = MonitorThread(venue.program, cfg, name="interlock.monitor.rebuild",
                          health=health).start()
        m.caught_up(venue.head())
        snapshot = node.rpc("evm_snapshot", [])
        for _ in range(KEEP + 6):
            node.rpc("evm_mine")
        venue.withdraw(venue.users[2], 10_000 * USDC)  # the replaced branch's outflow
        old_head = venue.head()
        m.caught_up(old_head)
        assert m.monitor.stats.values[old_head][OUTFLOW] == 10_000 * USDC
        assert node.rpc("evm_revert", [snapshot]) is True
        venue.withdraw(venue.users[1], 60_000 * USDC)  # the new branch's, before the resume point
        drawn = venue.head()
        for _ in range(old_head + 3 - drawn):
            node.rpc("evm_mine")
        wait_for(lambda: bool(m.events("windows_rebuilt")), 30, "no windows_rebuilt")
        m.caught_up(venue.head())
        resume, head = old_head + 1, venue.head()
        outflow = venue.guard.functions.outflow(venue.token.address, H)
        for b in range(resume, head + 1):
            assert m.monitor.stats.values[b][OUTFLOW] == outflow.call(block_identifier=b)
        assert m.monitor.stats.values[head][OUTFLOW] == 60_000 * USDC
        (rebuilt,) = (json.loads(line) for line in m.events("windows_rebuilt"))
        assert rebuilt["from_block"] < drawn and rebuilt["to_block"] == old_head
        assert not rebuilt["truncated"]
        for b in range(rebuilt["from_block"], rebuilt["to_block"]):  # while re-read
            assert health.seen[b]["status"] == "degraded" and "rebuild" in health.seen[b][
                "problems"], (b, health.seen[b])
        assert "rebuild" not in health.seen[head]["problems"]
        assert venue.fired_until(0) == 0  # 10 x 60,000 is not above the 940,000 left
        venue.lose(500_000 * USDC)  # the drain: 440,000 left
        wait_for(lambda: venue.fired_until(0) > 0, 30, m.log.getvalue()[-3000:])
        venue.advance(1)
        m.caught_up(venue.head())
        assert m.health.snapshot()["status"] == "ok", m.health.snapshot()
        m.stop()
        assert not m.events("internal_error")
        callers = [e["args"]["caller"] for e in venue.guard.events.BreakerFired.get_logs(
            from_block=0) if e["args"]["ruleId"] == 0]
        assert callers == [Account.from_key(AGENT_KEY).address]
        # `watch` (20 x outflow above the TVL) holds on the new branch from the withdrawal on,
        # but the re-read blocks decide nothing: it is alerted from the resume point
        alerts = [json.loads(line)["alert"] for line in m.alerts.getvalue().splitlines()]
        watched = [a["block"] for a in alerts if a["kind"] == "rule_alert"]
        assert watched and min(watched) == resume
