"""Two monitor replicas on one guard (docs/monitor.md, "Running replicas").

Both watch the same chain with the same agent key. Each decision is checked against the chain
before it is sent and built deterministically, so the replicas either send byte-identical
transactions (the node keeps one) or the second finds the rule already fired: every breaker
fires once, and the guard ends where one monitor would have left it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from monitor_chain import PRICE, USDC, MonitorThread, deploy_venue, wait_for

from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig

pytestmark = [pytest.mark.anvil, pytest.mark.evm]


def test_two_replicas_send_no_conflicting_effects(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        replicas = [
            MonitorThread(venue.program, MonitorConfig(
                rpc=node.ws_url if i == 0 else node.http_url, guard=venue.guard.address,
                checkpoint=str(tmp_path / f"r{i}.db"), poll_interval_s=0.01),
                name=f"interlock.monitor.replica{i}").start()
            for i in range(2)
        ]
        venue.withdraw(venue.users[1], 90_000 * USDC)
        venue.lose(100_000 * USDC)  # drain (poke)
        venue.set_price(PRICE * 1025 // 1000)  # the risk tier (trip)
        wait_for(lambda: all(venue.fired_until(r) > 0 for r in (0, 2)), 30,
                 replicas[0].log.getvalue()[-2000:])
        # divergence (poke); its suspension would stop the tier reading the feed, hence second
        venue.set_price(PRICE * 104 // 100)
        wait_for(lambda: venue.fired_until(1) > 0, 30, replicas[0].log.getvalue()[-2000:])
        head = venue.head()
        for r in replicas:
            r.caught_up(head)
        for r in replicas:
            r.stop()
        fired = Counter(e["args"]["ruleId"]
                        for e in venue.guard.events.BreakerFired.get_logs(from_block=0))
        assert fired == {0: 1, 1: 1, 2: 1}
        sent = [x for r in replicas for x in r.monitor.stats.results if x.status == "sent"]
        by_rule = Counter(x.decision.breaker for x in sent)
        assert set(by_rule) == {"drain", "oracle_divergence", "tighten"}
        mined = [x for r in replicas for x in r.monitor.stats.mined]
        hashes = {x["tx"] for x in mined}
        assert all(x["ok"] for x in mined), mined  # nothing reverted on chain either
        assert len(hashes) == 3  # where both sent, they sent the same transaction
