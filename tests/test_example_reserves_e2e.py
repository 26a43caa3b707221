"""examples/reserves_market.guard end to end on Anvil: the example's own generated guard (its
`for each` instances, unit params and step bounds), its pool a `TestVault` reporting flows,
its debt tokens `TestToken`s deployed here at the addresses of its `read`s, and the generated
monitor reading them.

Hand-worked, with the pool holding 120M USDC:

- `drain_USDC`: a 20M USDC withdrawal is paid (the rule reads `tvl` after the flow: 20M is
  exactly 20% of the 100M left); one base unit more is refused and pauses `withdraw_USDC` for
  6h (and no other reserve's withdrawals);
- `near_cap_WBTC`: 90% of `supply_cap_WBTC` (5,000.5 WBTC) is 4,500.45 WBTC supplied within
  24h, which passes; one satoshi more pauses `supply_WBTC` for 12h and holds the cap at 0 for
  24h (its base value unchanged);
- the risk stewards (2 of 3) move `supply_cap_USDC` by +100% (500M to 1B USDC) at once; a
  second move an hour later is `SetStepTooSoon`, and on WETH +100% and one wei is
  `SetStepTooLarge`, +100% exactly is allowed;
- `utilisation_USDC`: USDC debt tokens minted to 9 times the pool's 120M USDC (exactly 90% lent
  out) trip nothing; one base unit more makes the generated monitor trip it (agent `keeper`),
  pausing `borrow_USDC`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from interlock.compiler.monitor_gen import emit_monitor
from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import revert_reason
from interlock.testing.contracts import compile_testkit
from interlock.testing.deploy import Deployed, deploy_rules
from interlock.testing.monitor_thread import MonitorThread, wait_for
from interlock.testing.rewrite import rewrite_addresses
from interlock.testing.signing import Operation, domain, sign_operation

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reserves_market.guard"
USDC, WETH, WBTC = 10**6, 10**18, 10**8
DAY, H = 86_400, 3_600


@dataclass
class Market:
    chain: TestChain
    d: Deployed
    debt: dict[str, Any]  # reserve -> its debt token (the `read debt_R` target)
    node: Anvil
    now: int
    nonce: int = 1

    def tick(self, seconds: int = 1) -> int:
        self.now += seconds
        return self.now

    def supply(self, asset: str, amount: int) -> None:
        """The pool's report of a supply (no tokens move: only the inflow window is read)."""
        token = self.d.harness.tokens[asset]
        fn = self.d.harness.vaults["pool"].functions.reportInflow(token.address, amount)
        assert self.chain.call_fn(fn, self.chain.accounts[0], timestamp=self.tick()).ok

    def withdraw_usdc(self, user: str, amount: int) -> bool:
        """A USDC withdrawal from the pool (the `TestVault`'s own token); whether it was paid."""
        fn = self.d.harness.vaults["pool"].functions.withdraw(amount)
        assert self.chain.call_fn(fn, user, timestamp=self.tick()).ok
        return int(self.d.harness.tokens["USDC"].functions.balanceOf(user).call()) > 0

    def paused(self, scope: str) -> bool:
        index = self.d.program.scope(scope).index
        return int(self.d.guard.functions.pausedUntil(index).call()) > self.now

    def cap(self, reserve: str) -> tuple[int, int]:
        """(base, effective) value of `supply_cap_R`, in the reserve's base units."""
        index = self.d.program.param(f"supply_cap_{reserve}").index
        g = self.d.guard.functions
        return int(g.paramBase(index).call()), int(g.paramValue(index).call())

    def steward_set(self, reserve: str, value: int) -> str:
        """chen and eve use `risk_steward`'s `set supply_cap_R`: "" if it ran, else the
        guard's error."""
        p = self.d.program
        power = next(w.id for w in p.powers if w.kind == "set" and w.role == "risk_steward"
                     and w.targets == (f"supply_cap_{reserve}",))
        op = Operation(power=power, targets=0, value=value, nonce=self.nonce, deadline=2**64 - 1)
        self.nonce += 1
        keys = [self.d.harness.signer_keys[s] for s in ("chen", "eve")]
        dom = domain(p, self.chain.w3.eth.chain_id, self.d.guard.address)
        fn = self.d.guard.functions.execute(op.as_tuple(), sign_operation(op, keys, dom))
        self.chain.at(self.tick())
        reason = revert_reason(fn, self.chain.accounts[0])
        if not reason:
            assert self.chain.call_fn(fn, self.chain.accounts[0], timestamp=self.now).ok
        return reason


def _reserves(program: Program) -> list[str]:
    return [a.name for a in program.assets]


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with Anvil(timestamp=1_900_000_000) as n:
        yield n


@pytest.fixture(scope="module")
def deployed(node: Anvil) -> tuple[Deployed, dict[str, Any]]:
    """The example with its `read`s pointed at debt tokens deployed first, then `deploy_rules`
    (stand-ins for its assets, pool and feeds; its keeper is the monitor's account)."""
    chain = TestChain(node)
    text = EXAMPLE.read_text(encoding="utf-8")
    original = compile_text(text, str(EXAMPLE)).program
    assert original is not None
    kit = compile_testkit().contract("TestToken")
    debt = {a.name: chain.deploy(kit.abi, kit.bytecode, f"debt {a.name}", f"d{a.name}",
                                 a.decimals) for a in original.assets}
    moved = {r.address: debt[r.unit].address for r in original.reads if r.unit is not None}
    assert len(moved) == len(original.assets)
    d = deploy_rules(chain, rewrite_addresses(text, moved), "examples/reserves_market.guard")
    return d, debt


@pytest.fixture
def market(node: Anvil, deployed: tuple[Deployed, dict[str, Any]]) -> Iterator[Market]:
    chain = TestChain(node)
    snap = chain.snapshot()
    d, debt = deployed
    m = Market(chain, d, debt, node, chain.latest_timestamp() + 100)
    h, owner = d.harness, chain.accounts[0]
    pool = h.vaults["pool"].address
    assert chain.call_fn(h.tokens["USDC"].functions.setBalance(pool, 120_000_000 * USDC), owner,
                         timestamp=m.tick()).ok
    for feed in h.feeds.values():  # fresh: the monitor does not trip `stale_F`
        assert chain.call_fn(feed.functions.setAnswer(2_000 * 10**8), owner).ok
    yield m
    chain.revert(snap)


def test_a_drain_report_pauses_that_reserves_withdrawals(market: Market) -> None:
    alice, bob = market.chain.accounts[5], market.chain.accounts[6]
    assert market.withdraw_usdc(alice, 20_000_000 * USDC)  # 20% of the 100M left: not above
    assert not market.paused("withdraw_USDC")
    assert not market.withdraw_usdc(bob, 1)  # refused: its report fired the rule
    assert market.paused("withdraw_USDC")
    until = market.d.guard.functions.pausedUntil(market.d.program.scope("withdraw_USDC").index)
    assert int(until.call()) == market.now + 6 * H
    others = [s for r in _reserves(market.d.program) for s in (f"withdraw_{r}", f"supply_{r}")
              if s != "withdraw_USDC"]
    assert not any(market.paused(s) for s in others)


def test_supplies_near_a_unit_cap_pause_supply_and_hold_the_cap_at_zero(market: Market) -> None:
    cap = 500_050_000_000  # 5,000.5 WBTC in satoshi: the declared unit, scaled
    assert market.cap("WBTC") == (cap, cap)
    market.supply("WBTC", cap * 9 // 10)  # 4,500.45 WBTC: exactly 90%
    assert not market.paused("supply_WBTC")
    market.supply("WBTC", 1)
    assert market.paused("supply_WBTC") and not market.paused("withdraw_WBTC")
    assert market.cap("WBTC") == (cap, 0)  # the override; governance's base is kept
    assert not market.paused("supply_USDC")


def test_stewards_move_a_cap_by_at_most_100_percent_per_3_days(market: Market) -> None:
    assert market.cap("USDC") == (500_000_000 * USDC,) * 2
    assert market.steward_set("USDC", 1_000_000_000 * USDC) == ""  # +100%
    assert market.cap("USDC") == (1_000_000_000 * USDC,) * 2
    market.tick(H)
    assert market.steward_set("USDC", 1_200_000_000 * USDC).startswith("SetStepTooSoon")
    assert market.cap("USDC")[0] == 1_000_000_000 * USDC
    weth = 200_000 * WETH
    assert market.steward_set("WETH", 2 * weth + 1).startswith("SetStepTooLarge")
    assert market.cap("WETH")[0] == weth
    assert market.steward_set("WETH", 2 * weth) == ""


def test_the_generated_monitor_trips_utilisation_from_the_debt_read(
        market: Market, tmp_path: Path) -> None:
    (name, source), = emit_monitor(market.d.program).items()
    namespace: dict[str, Any] = {}
    exec(compile(source, name, "exec"), namespace)  # the generated module, as imported
    program: Program = namespace["PROGRAM"]
    assert {r.name: r.address for r in program.reads} == {
        f"debt_{a}": t.address for a, t in market.debt.items()}
    chain = market.chain
    cfg = MonitorConfig(rpc=market.node.http_url, guard=market.d.guard.address,
                        checkpoint=str(tmp_path / "m.db"), poll_interval_s=0.05)
    borrower = chain.accounts[7]
    mint = market.debt["USDC"].functions.mint
    m = MonitorThread(program, cfg, name="interlock.monitor.reserves").start()
    try:
        assert chain.call_fn(mint(borrower, 9 * 120_000_000 * USDC), chain.accounts[0]).ok
        m.caught_up(int(chain.w3.eth.block_number))  # exactly 9 * tvl: 90% lent out, not above
        assert not market.paused("borrow_USDC")
        assert chain.call_fn(mint(borrower, 1), chain.accounts[0]).ok
        index = program.scope("borrow_USDC").index
        wait_for(lambda: int(market.d.guard.functions.pausedUntil(index).call()) > 0, 20,
                 m.log.getvalue()[-3000:])
    finally:
        m.stop()
    sent = [(r.decision.breaker, r.decision.method) for r in m.monitor.stats.results
            if r.status == "sent"]
    assert sent == [("utilisation_USDC", "trip")]
