"""Issue 16, item 5: a feed timestamp in the future reads as stale, not as fresh.

Before: `staleness` was `max(now - updatedAt, 0)`, so a feed reporting `updatedAt` in
milliseconds read 0 seconds stale forever and `staleness(F) > 1h` never fired. Now an
`updatedAt > now` reads as the saturation bound in the guard and the monitor (one definition:
`interlock.ir.metric_arith.staleness`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interlock.ir.metric_arith import SATURATION, staleness
from interlock.runtime.anvil import Anvil
from interlock.testing.chain import TestChain
from interlock.testing.deploy import Deployed, deploy_rules

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Stale
signer s1 0x00000000000000000000000000000000000000a1
scope w
feed F 0x00000000000000000000000000000000000000c3 decimals 8
breaker stale { when staleness(F) > 1h then pause w for 1h }
"""
BASE = 1_900_800_000


@pytest.fixture(scope="module")
def deployed() -> Iterator[tuple[TestChain, Deployed]]:
    with Anvil(timestamp=BASE - 10_000) as node:
        chain = TestChain(node)
        yield chain, deploy_rules(chain, RULES, "stale.guard")


def test_updated_at_in_milliseconds_fires_the_staleness_rule(
    deployed: tuple[TestChain, Deployed],
) -> None:
    chain, d = deployed
    feed = d.harness.feeds["F"]
    me = chain.accounts[0]
    assert chain.call_fn(feed.functions.set(2000 * 10**8, BASE * 1000), me, timestamp=BASE).ok
    out = chain.call_fn(d.guard.functions.poke(0), me, timestamp=BASE + 10)
    assert out.ok, "a feed stamped in the future must read as stale"
    assert int(d.guard.functions.pausedUntil(0).call()) == BASE + 10 + 3600


def test_monitor_reads_a_future_update_as_saturated() -> None:
    assert staleness(BASE, BASE * 1000) == SATURATION
    assert staleness(BASE, BASE) == 0
    assert staleness(BASE + 5, BASE) == 5
