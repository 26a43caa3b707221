"""The deployed guard (Anvil) evaluates value metrics to the unit: a priced outflow fires the
notional breaker at exactly its threshold and not one base unit below, with assets and feeds of
6, 8 and 18 decimals mixed; the threshold is computed here with `ir.notional`, the arithmetic
the monitor and the verifier use. A failed price read follows the guard's failed-read rule."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from interlock.ir.nodes import Atom, Program
from interlock.ir.notional import value_from
from interlock.runtime.anvil import Anvil
from interlock.testing.chain import TestChain
from interlock.testing.deploy import Deployed, deploy_rules
from interlock.testing.metrics_chain import BREAKER_FIRED

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Notional
scope releases
asset USDC 0x00000000000000000000000000000000000000c1 decimals 6 priced by USDC_USD
asset WETH 0x00000000000000000000000000000000000000c2 decimals 18 priced by ETH_USD
asset WBTC 0x00000000000000000000000000000000000000c3 decimals 8 priced by BTC_USD
vault escrow 0x00000000000000000000000000000000000000c4 holds USDC, WETH, WBTC
feed USDC_USD 0x00000000000000000000000000000000000000d1 decimals 8 quote USD
feed ETH_USD 0x00000000000000000000000000000000000000d2 decimals 8 quote USD
feed BTC_USD 0x00000000000000000000000000000000000000d3 decimals 18 quote USD
breaker notional {
  when value(outflow(*, 1h)) >= 1_000_000 USD
  then pause releases for 1h
}
invariant short: releases paused at most 1h
"""
THRESHOLD = 1_000_000 * 10**18
PRICES = {"USDC_USD": 99_987_654, "ETH_USD": 200_050_000_000,  # 0.99987654, 2,000.5
          "BTC_USD": 60_000_123_456_789_012_345_678}  # 60,000.123456789012345678 (18 dec.)
H = 3600


@dataclass
class Env:
    chain: TestChain
    d: Deployed
    now: int

    def send(self, fn: Any) -> Any:
        out = self.chain.call_fn(fn, self.chain.accounts[0], timestamp=self.now)
        assert out.ok
        return out

    def report(self, asset: str, amount: int) -> bool:
        """A vault report of an outflow; whether the guard accepted it (no rule fired)."""
        h = self.d.harness
        vault = h.vaults["escrow"]
        fn = vault.functions.reportOutflow(h.tokens[asset].address, amount)
        self.now += 1
        out = self.send(fn)
        guard = self.d.guard.address.lower()
        return not any(str(log["address"]).lower() == guard and log["topics"]
                       and bytes(log["topics"][0]) == BREAKER_FIRED for log in out.logs)

    def paused(self) -> bool:
        return int(self.d.guard.functions.pausedUntil(0).call()) > self.now


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with Anvil(timestamp=1_900_000_000) as anvil:
        yield anvil


@pytest.fixture
def env(node: Anvil) -> Iterator[Env]:
    chain = TestChain(node)
    snap = chain.snapshot()
    d = deploy_rules(chain, RULES, "notional.guard")
    e = Env(chain, d, chain.latest_timestamp() + 100)
    for feed, answer in PRICES.items():
        e.send(d.harness.feeds[feed].functions.set(answer, e.now))
    yield e
    chain.revert(snap)


def _value(p: Program, amounts: dict[str, int]) -> int:
    atom = Atom(kind="value_outflow", target="*", window=H)
    read: dict[Atom, int] = {Atom(kind="price", target=f): a for f, a in PRICES.items()}
    read |= {Atom(kind="outflow", target=a, window=H): n for a, n in amounts.items()}
    return value_from(p, atom, read)


def _least_usdc(p: Program, weth: int, wbtc: int) -> int:
    """The least USDC outflow (base units) that brings the 1h value to the threshold."""
    lo, hi = 0, 10**13
    while lo < hi:
        mid = (lo + hi) // 2
        if _value(p, {"USDC": mid, "WETH": weth, "WBTC": wbtc}) >= THRESHOLD:
            hi = mid
        else:
            lo = mid + 1
    return lo


def test_fires_at_the_threshold_and_not_one_unit_below(env: Env) -> None:
    p = env.d.program
    weth, wbtc = 123_456_789_012_345_678_901, 5_00000001  # 123.45... WETH, 5.00000001 WBTC
    need = _least_usdc(p, weth, wbtc)
    below = _value(p, {"USDC": need - 1, "WETH": weth, "WBTC": wbtc})
    assert below < THRESHOLD <= _value(p, {"USDC": need, "WETH": weth, "WBTC": wbtc})
    assert env.report("WETH", weth) and env.report("WBTC", wbtc)
    assert env.report("USDC", need - 1) and not env.paused()  # one unit below: open
    assert not env.report("USDC", 1)  # the unit that reaches the threshold fires
    assert env.paused()


def test_one_asset_exactly_at_the_threshold(env: Env) -> None:
    """USDC alone: 10**6 USDC at 0.99987654 is just below 1M USD; the least amount above is
    what `ir.notional` says, to the base unit."""
    p = env.d.program
    need = _least_usdc(p, 0, 0)
    assert need == -(-THRESHOLD // (PRICES["USDC_USD"] * 10**4))
    assert env.report("USDC", need - 1) and not env.paused()
    assert not env.report("USDC", 1) and env.paused()


def test_a_failed_price_read_fires_the_breaker(env: Env) -> None:
    """docs/guard.md, "Security properties": a failed feed read counts as the condition
    holding; the report that saw it is refused (undone), the window keeps what it held."""
    env.send(env.d.harness.feeds["BTC_USD"].functions.setBroken(True))
    assert not env.report("USDC", 1)
    assert env.paused()
    token = env.d.harness.tokens["USDC"].address
    assert int(env.d.guard.functions.outflow(token, H).call()) == 0
