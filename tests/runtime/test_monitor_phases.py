"""On Anvil: a breaker that reads no logs is decided before the block's logs arrive; one that
reads them, after (`runtime/phases.py`). The node's answers to `eth_getLogs` are held for a
second by a proxy, as a node filtering a block of many logs would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monitor_chain import PRICE, USDC, deploy_venue, wait_for
from monitor_faults import proxied_monitor

from interlock.runtime.anvil import Anvil

pytestmark = [pytest.mark.anvil, pytest.mark.evm]


def test_feed_rules_are_sent_before_the_logs_and_flow_rules_after(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        with proxied_monitor(venue, tmp_path, "phases") as (proxy, m):
            m.caught_up(venue.head())
            proxy.delay_logs_s = 1.0
            venue.set_price(PRICE * 104 // 100)  # oracle_divergence: a deviation of 4%
            wait_for(lambda: venue.guard.functions.isSuspended(0).call(), 20,
                     m.log.getvalue()[-3000:])
            venue.withdraw(venue.users[1], 60_000 * USDC)  # drain: an outflow of 60k
            venue.lose(500_000 * USDC)  # against a tvl of 440k
            wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
            m.caught_up(venue.head())
            m.stop()
    sent = {e["rule"]: e for e in map(json.loads, m.events("decision"))
            if e["status"] == "sent"}
    feed, flow = sent["oracle_divergence"], sent["drain"]
    assert feed["ts"] < proxy.logs_answered[feed["block"]]  # not waiting for the logs
    assert flow["ts"] > proxy.logs_answered[flow["block"]]  # its outflow is in the logs
