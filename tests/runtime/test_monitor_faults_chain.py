"""Fault tests on Anvil for what the node does to a monitor (issue 17; docs/monitor.md,
"Faults"): each asserts no missed and no duplicate trip, windows equal to the guard's, and a
truthful `/health`.

- 1: a monitor restarted further behind a pruned node than the state it keeps;
- 2: a node lying about one block's timestamp (earlier than its parent's), then a restart;
- 9: a WebSocket whose subscription falls silent (replaced, missed blocks read, nothing twice);
  forged `Transfer` logs (another contract's, or the token's after its code changed).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from monitor_chain import AGENT_KEY, USDC, MonitorThread, Venue, deploy_venue, wait_for
from monitor_faults import HealthLog, TcpProxy, degraded_until_poked, proxied_monitor
from monitor_kit import OUTFLOW

from interlock.compiler.solc import CompileResult, compile_sources
from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig
from interlock.runtime.ops import Health
from interlock.testing.contracts import deploy_compiled
from interlock.testing.contracts import testkit_sources as kit_sources

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
AGENT = Account.from_key(AGENT_KEY).address
H = 3600


def pokes(venue: Venue) -> list[str]:
    logs = venue.guard.events.BreakerFired.get_logs(from_block=0)
    return [e["args"]["caller"] for e in logs if e["args"]["ruleId"] == 0]


def drain(venue: Venue) -> None:
    """Rule 0 (`outflow(USDC, 1h) > 10% of tvl(USDC)`) becomes true for `poke`: a withdrawal
    the guard allows (60k of 1M), then an unreported loss (the tvl falls to 440k)."""
    venue.withdraw(venue.users[1], 60_000 * USDC)
    venue.lose(500_000 * USDC)


def guard_outflow(venue: Venue, block: int) -> int:
    return int(venue.guard.functions.outflow(venue.token.address, H).call(
        block_identifier=block))


def monitor(venue: Venue, rpc: str, db: Path, name: str, health: Health | None = None,
            **kw: float) -> MonitorThread:
    cfg = MonitorConfig(rpc=rpc, guard=venue.guard.address, checkpoint=str(db),
                        poll_interval_s=0.02, **kw)  # type: ignore[arg-type]
    return MonitorThread(venue.program, cfg, name=f"interlock.monitor.{name}",
                         health=health or Health()).start()


def test_restarted_behind_a_pruned_node_it_reads_logs_and_decides_at_kept_state(
        tmp_path: Path) -> None:
    kept = 16  # like a default full node's 128, smaller to keep the test short
    with Anvil(extra_args=("--prune-history", str(kept))) as node:
        venue = deploy_venue(node)
        db = tmp_path / "m.db"
        m = monitor(venue, node.ws_url, db, "pruned1")
        m.caught_up(venue.head())
        m.stop()
        drain(venue)  # while the monitor is down
        for _ in range(2 * kept):
            node.rpc("evm_mine")
        gap_end = venue.head() - kept  # the node keeps the state of the blocks after it
        health = HealthLog()
        restarted = monitor(venue, node.ws_url, db, "pruned2", health=health)
        wait_for(lambda: venue.fired_until(0) > 0, 30, restarted.log.getvalue()[-3000:])
        restarted.caught_up(venue.head())
        wait_for(lambda: restarted.health.snapshot()["status"] == "ok", 5,
                 str(restarted.health.snapshot()))
        restarted.stop()
        assert len(restarted.events("state_pruned")) == 1
        (pruned_from,) = (json.loads(x)["block"] for x in restarted.events("state_pruned"))
        assert pruned_from < gap_end
        for b in range(pruned_from, gap_end):  # what /health said while the gap was read
            assert health.seen[b]["status"] == "degraded" and "pruned" in health.seen[b][
                "problems"], (b, health.seen[b])
        assert health.seen[venue.head()]["status"] == "ok"
        assert restarted.events("state_available")
        assert not restarted.events("rpc_error")
        assert pokes(venue) == [AGENT]
        head = venue.head()
        assert guard_outflow(venue, head) == 60_000 * USDC  # what the vault reported
        # the gap's Transfers, all counted: the withdrawal and the unreported burn of the loss
        assert restarted.monitor.stats.values[head][OUTFLOW] == 560_000 * USDC


def test_a_header_whose_time_goes_back_is_read_again_never_counted(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        with proxied_monitor(venue, tmp_path, "lying", max_backoff_s=0.4) as (proxy, m):
            m.caught_up(venue.head())
            proxy.header_lies[venue.head() + 1] = 3  # the withdrawal's block, three reads
            drain(venue)
            degraded_until_poked(m, venue, "header")
            m.stop()
        assert proxy.lies == 3 and len(m.events("header_rejected")) == 3
        assert pokes(venue) == [AGENT]
        head = venue.head()
        # the withdrawal counted at its block's true time: the windows are the guard's
        assert m.monitor.stats.values[head][OUTFLOW] - 500_000 * USDC == guard_outflow(
            venue, head) == 60_000 * USDC
        restarted = monitor(venue, node.ws_url, tmp_path / "lying.db", "lying2")  # resumed
        venue.advance(1)
        restarted.caught_up(venue.head())
        assert restarted.health.snapshot()["status"] == "ok"
        restarted.stop()
        assert restarted.monitor.stats.values[venue.head()][OUTFLOW] == 560_000 * USDC
        assert not restarted.events("internal_error") and pokes(venue) == [AGENT]


def test_a_silent_websocket_is_replaced_and_its_missed_blocks_read_once(
        tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        proxy = TcpProxy(node.port)
        try:
            m = monitor(venue, proxy.ws_url, tmp_path / "m.db", "silent", idle_check_s=0.3)
            m.caught_up(venue.head())
            assert proxy.websockets_opened == 1 and m.health.mode == "websocket"
            proxy.mute_websockets()  # open, but no more heads
            drain(venue)
            wait_for(lambda: bool(m.events("subscription_silent")), 20,
                     m.log.getvalue()[-3000:])
            wait_for(lambda: proxy.websockets_opened == 2, 20, m.log.getvalue()[-3000:])
            wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
            venue.advance(1)  # heads arrive on the new subscription
            m.caught_up(venue.head())
            assert m.health.snapshot()["status"] == "ok", m.health.snapshot()
            m.stop()
        finally:
            proxy.close()
        assert pokes(venue) == [AGENT]
        head = venue.head()
        blocks = [int(x.split('"number": ')[1].split(",")[0]) for x in m.events("block")]
        assert len(blocks) == len(set(blocks))  # no block processed twice
        assert m.monitor.stats.values[head][OUTFLOW] == 560_000 * USDC


FORGERS = """// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;
import {TestToken} from "./TestToken.sol";

/// The TestToken with a way to log transfers that move nothing.
contract ForgingToken is TestToken {
    constructor() TestToken("USD Coin", "USDC", 6) {}
    function forge(address from, address to, uint256 amount) external {
        emit Transfer(from, to, amount);
    }
}

/// Anyone's contract can log an ERC-20 `Transfer` with any arguments.
contract Forger {
    event Transfer(address indexed from, address indexed to, uint256 value);
    function forge(address from, address to, uint256 amount) external {
        emit Transfer(from, to, amount);
    }
}
"""


def forgers() -> CompileResult:
    return compile_sources({"TestToken.sol": kit_sources()["TestToken.sol"],
                            "Forgers.sol": FORGERS}, allow_warnings=False)


def test_forged_transfers_count_neither_from_another_contract_nor_from_changed_code(
        tmp_path: Path) -> None:
    kit = forgers()
    with Anvil() as node:
        venue = deploy_venue(node)
        vault, user = venue.vault.address, venue.users[1]
        proxy = TcpProxy(node.port)
        try:
            m = monitor(venue, proxy.ws_url, tmp_path / "m.db", "forged", idle_check_s=0.3,
                        max_backoff_s=0.3)
            m.caught_up(venue.head())
            forger = deploy_compiled(venue.w3, kit, "Forger", sender=venue.deployer)
            venue.tx(forger.functions.forge(vault, user, 300_000 * USDC))
            m.caught_up(venue.head())
            assert m.monitor.stats.values[venue.head()][OUTFLOW] == 0  # not the token's log
            # the token's code is replaced (same storage): its Transfers are no longer trusted
            node.rpc("anvil_setCode", [venue.token.address,
                                       kit.contract("ForgingToken").deployed_bytecode])
            proxy.cut()  # checked again at the reconnection
            proxy.restore()
            wait_for(lambda: bool(m.events("code_changed")), 20, m.log.getvalue()[-3000:])
            token = venue.w3.eth.contract(address=venue.token.address,
                                          abi=kit.contract("ForgingToken").abi)
            venue.tx(token.functions.forge(vault, user, 300_000 * USDC))
            m.caught_up(venue.head())
            snap = m.health.snapshot()
            m.stop()
        finally:
            proxy.close()
        assert m.monitor.stats.values[venue.head()][OUTFLOW] == 0
        assert snap["status"] == "degraded" and "asset USDC" in snap["problems"]["code"]
        assert len(m.events("code_changed")) == 1
        changed = [a for a in map(json.loads, m.alerts.getvalue().splitlines())
                   if a["alert"]["event"] == "CodeChanged"]
        assert [a["alert"]["args"]["contract"] for a in changed] == ["asset USDC"]
        assert not [r for r in m.monitor.stats.results if r.decision.breaker == "drain"]
