"""examples/bridge.guard end to end on Anvil: the example's own generated guard, its escrow a
`TestEscrow` that pays real test tokens, its feeds `TestFeed`s (`deploy_rules` rewrites the
file's addresses to them).

Hand-worked, at ETH = 2,000 USD and USDC = USDT = 1 USD, with the escrow holding 1B USDC, 1B
USDT and 1M WETH (so no per-token breaker is near: 1h USDC 8% is 80M, 24h 25% is 250M, 1h WETH
5% is 50,000 WETH):

- `notional_24h`: 10,000 WETH (20M USD) + 3 times 9M USDC (27M) + 1,500 WETH (3M) is exactly the
  50M USD `release_limit` and is paid; one more USDC base unit is refused and pauses releases
  for 12h (the 5,000 USDT of it included: the limit sums every token, each at its own feed);
- the council raises `release_limit` by its 20% (60M USD) at once: the same releases and 10M
  USD more pass, one unit beyond 60M trips; 20% and one base unit more is `SetStepTooLarge`;
- `usdc_large_release`: a 12M USDC release (above 10M USDC) is not paid but held for 24h; a
  claim before then reverts `HoldNotReleased`, one at it pays the user once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak

from interlock.ir.nodes import Atom
from interlock.ir.notional import value_from
from interlock.runtime.anvil import Anvil
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import revert_reason
from interlock.testing.deploy import Deployed, deploy_rules
from interlock.testing.harness import Harness
from interlock.testing.signing import Operation, domain, sign_operation

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

ROOT = Path(__file__).resolve().parents[1]
USDC, WETH, USD = 10**6, 10**18, 10**18  # base units; a value has 18 decimals
PRICES = {"USDC_USD": 10**8, "USDT_USD": 10**8, "ETH_USD": 2_000 * 10**8}
DAY, H = 86_400, 3_600
ESCROW_EVENTS = {keccak(text=sig): outcome for sig, outcome in (
    ("Moved(address,address,uint256,bool)", "paid"), ("Held(address,uint256,uint256)", "held"),
    ("FlowRefused(address,uint256,bool)", "refused"))}


@dataclass
class Bridge:
    chain: TestChain
    d: Deployed
    now: int
    user: str
    nonce: int = 1

    @property
    def escrow(self) -> Any:
        return self.d.harness.vaults["escrow"]

    def tick(self, seconds: int = 1) -> int:
        self.now += seconds
        return self.now

    def release(self, asset: str, amount: int) -> str:
        """The user's release of `amount` from the escrow: "paid", "held" or "refused" (the
        guard refused the flow: a breaker fired on it)."""
        token = self.d.harness.tokens[asset]
        out = self.chain.call_fn(self.escrow.functions.withdraw(token.address, amount),
                                 self.user, timestamp=self.tick())
        assert out.ok, f"release of {amount} {asset} reverted"
        (outcome,) = [ESCROW_EVENTS[bytes(lg["topics"][0])] for lg in out.logs
                      if lg["address"] == self.escrow.address]
        return outcome

    def paused(self, scope: str) -> bool:
        index = self.d.program.scope(scope).index
        return int(self.d.guard.functions.pausedUntil(index).call()) > self.now

    def set_limit(self, value: int) -> bool:
        """The council (sam and tia) uses its `set release_limit by at most 20% per 24h`."""
        p = self.d.program
        power = next(w.id for w in p.powers if w.kind == "set" and w.role == "council")
        op = Operation(power=power, targets=0, value=value, nonce=self.nonce, deadline=2**64 - 1)
        self.nonce += 1
        keys = [self.d.harness.signer_keys[s] for s in ("sam", "tia")]
        dom = domain(p, self.chain.w3.eth.chain_id, self.d.guard.address)
        fn = self.d.guard.functions.execute(op.as_tuple(), sign_operation(op, keys, dom))
        self.chain.at(self.tick())
        reason = revert_reason(fn, self.chain.accounts[0])
        if reason:
            return False if reason.startswith("SetStepTooLarge") else _fail(reason)
        return self.chain.call_fn(fn, self.chain.accounts[0], timestamp=self.now).ok

    def limit(self) -> int:
        return int(self.d.guard.functions.paramValue(self.d.program.param("release_limit").index)
                   .call())


def _fail(reason: str) -> bool:
    raise AssertionError(f"unexpected revert: {reason}")


def _escrow(h: Harness, _name: str) -> Any:
    # `releases` gates the escrow's withdrawals and `deposits` its deposits
    return h.deploy("TestEscrow", 1, 0)


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


@pytest.fixture(scope="module")
def deployed(chain: TestChain) -> Deployed:
    text = (ROOT / "examples" / "bridge.guard").read_text(encoding="utf-8")
    d = deploy_rules(chain, text, "examples/bridge.guard", vault_factory=_escrow)
    assert [d.program.scope(s).index for s in ("releases", "deposits")] == [0, 1]
    return d


@pytest.fixture
def bridge(chain: TestChain, deployed: Deployed) -> Iterator[Bridge]:
    snap = chain.snapshot()
    h, owner = deployed.harness, chain.accounts[0]
    b = Bridge(chain, deployed, chain.latest_timestamp() + 100, chain.accounts[5])
    escrow = h.vaults["escrow"].address
    for asset, amount in (("USDC", 10**9 * USDC), ("USDT", 10**9 * USDC), ("WETH", 10**6 * WETH)):
        assert chain.call_fn(h.tokens[asset].functions.setBalance(escrow, amount), owner).ok
    for feed, answer in PRICES.items():
        assert chain.call_fn(h.feeds[feed].functions.set(answer, b.now), owner).ok
    yield b
    chain.revert(snap)


def _usd(b: Bridge, amounts: dict[str, int]) -> int:
    """The 24h notional of `amounts` released, as `ir.notional` (monitor and verifier) says."""
    atom = Atom(kind="value_outflow", target="*", window=DAY)
    read: dict[Atom, int] = {Atom(kind="price", target=f): a for f, a in PRICES.items()}
    read |= {Atom(kind="outflow", target=a, window=DAY): n for a, n in amounts.items()}
    return value_from(b.d.program, atom, read)


def _up_to_the_limit(b: Bridge) -> None:
    """50M USD in mixed releases, paid (exactly the launch limit is not above it)."""
    for asset, amount in (("WETH", 10_000 * WETH), ("USDC", 9_000_000 * USDC),
                          ("USDC", 9_000_000 * USDC), ("USDC", 9_000_000 * USDC),
                          ("USDT", 5_000 * USDC), ("WETH", 1_500 * WETH - 5 * WETH // 2)):
        assert b.release(asset, amount) == "paid", (asset, amount)
    total = {"USDC": 27_000_000 * USDC, "USDT": 5_000 * USDC, "WETH": 11_497_500 * WETH // 1000}
    assert _usd(b, total) == 50_000_000 * USD


def test_mixed_releases_over_the_limit_trip_notional_24h(bridge: Bridge) -> None:
    assert bridge.limit() == 50_000_000 * USD
    _up_to_the_limit(bridge)
    assert not bridge.paused("releases")
    user_usdc = bridge.d.harness.tokens["USDC"].functions.balanceOf(bridge.user)
    before = int(user_usdc.call())
    assert bridge.release("USDC", 1) == "refused"  # one base unit above 50M USD
    assert int(user_usdc.call()) == before  # not paid
    rule = bridge.d.program.breaker("notional_24h").id
    assert int(bridge.d.guard.functions.firedUntil(rule).call()) == bridge.now + 12 * H
    assert bridge.paused("releases") and not bridge.paused("deposits")
    token = bridge.d.harness.tokens["WETH"].address
    fn = bridge.escrow.functions.withdraw(token, WETH)
    assert revert_reason(fn, bridge.user).startswith("ScopePaused")


def test_the_council_raises_the_limit_and_releases_pass(bridge: Bridge) -> None:
    assert not bridge.set_limit(60_000_000 * USD + 1)  # 20% and one base unit: too large
    assert bridge.set_limit(60_000_000 * USD)
    assert bridge.limit() == 60_000_000 * USD
    _up_to_the_limit(bridge)
    assert bridge.release("USDC", 1) == "paid"  # over the old limit, under the new one
    assert bridge.release("WETH", 5_000 * WETH - 5 * 10**8) == "paid"  # to exactly 60M USD
    assert not bridge.paused("releases")
    assert bridge.release("USDC", 1) == "refused"
    assert bridge.paused("releases")


def test_a_large_usdc_release_is_held_then_claimed(bridge: Bridge) -> None:
    usdc = bridge.d.harness.tokens["USDC"]
    assert bridge.release("USDC", 12_000_000 * USDC) == "held"
    assert int(usdc.functions.balanceOf(bridge.user).call()) == 0
    held_at = bridge.now
    escrow, asset, recipient, amount, release, status = bridge.d.guard.functions.heldFlow(1).call()
    assert (escrow, asset, recipient) == (bridge.escrow.address, usdc.address, bridge.user)
    assert (amount, release, status) == (12_000_000 * USDC, held_at + DAY, 1)
    anyone = bridge.chain.accounts[6]
    bridge.chain.mine(held_at + DAY - 1)
    assert revert_reason(bridge.escrow.functions.claim(1), anyone).startswith("HoldNotReleased")
    assert bridge.chain.call_fn(bridge.escrow.functions.claim(1), anyone,
                                timestamp=held_at + DAY).ok
    assert int(usdc.functions.balanceOf(bridge.user).call()) == 12_000_000 * USDC
    assert revert_reason(bridge.escrow.functions.claim(1), anyone).startswith("NotHeld")
