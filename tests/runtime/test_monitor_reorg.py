"""Reorganisations, on Anvil (`anvil_reorg`).

A monitor waiting `confirmations=3` never processes the replaced block: it reports nothing. A
monitor at the head (`confirmations=0`) processed the block that was replaced: it reports it
(`reorg_below_confirmations`), rewinds to its checkpoint of the last block still on the chain and
re-processes. Both end with windows equal to the guard's on the chain that stayed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from monitor_chain import USDC, MonitorThread, deploy_venue
from monitor_kit import OUTFLOW

from interlock.runtime.anvil import Anvil
from interlock.runtime.checkpoint import CheckpointStore
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
