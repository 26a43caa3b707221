"""Issue 16, item 9: the ring's bucket index does not wrap in 2106.

Before: the series head kept its bucket index as `uint32`; with a 12 s window (1 s buckets)
the index is the timestamp, which passes 2**32 on 2106-02-07, so the window read 0 right after
a flow. Now it is a `uint40` (front-end limits: tests/attacks/test_item15_meaningless_inputs.py).
"""

from __future__ import annotations

import pytest

from interlock.runtime.anvil import Anvil
from interlock.runtime.windows import WindowSum
from interlock.testing.chain import TestChain
from interlock.testing.deploy import deploy_rules

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Late
signer s1 0x00000000000000000000000000000000000000a1
scope w
asset USDC 0x00000000000000000000000000000000000000c1 decimals 6
vault pool 0x00000000000000000000000000000000000000c2 holds USDC
breaker quiet { when outflow(USDC, 12s) > 1_000_000_000_000 USDC then pause w for 1h }
"""
BASE = 2**32 + 100  # 2106


def test_window_sums_survive_2106() -> None:
    with Anvil(timestamp=BASE - 1000) as node:
        chain = TestChain(node)
        d = deploy_rules(chain, RULES, "late.guard")
        token = d.harness.tokens["USDC"].address
        vault = d.harness.vaults["pool"]
        monitor = WindowSum(12)
        for offset, amount in ((0, 5), (3, 7)):
            out = chain.call_fn(vault.functions.reportOutflow(token, amount), chain.accounts[0],
                                timestamp=BASE + offset)
            assert out.ok
            monitor.add(BASE + offset, amount)
        chain.mine(BASE + 4)
        assert int(d.guard.functions.outflow(token, 12).call()) == monitor.total(BASE + 4) == 12
