"""Agreement on Anvil for value metrics: the monitor values the escrow's `Transfer` logs with the
feed answers it reads at each block, and that value equals the one computed from the guard's
own windows (`outflow(asset, window)` views) and the feeds at that block with `ir.notional`;
for every block, the guard's verdict on the notional breaker (a static `poke`) equals the
monitor's. One random stream of withdrawals and deposits of three assets (6, 18 and 8
decimals, priced by feeds of 8 and 18 decimals) and price moves."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from interlock.ir.nodes import Atom
from interlock.ir.notional import value_from
from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig
from interlock.testing.chain import TestChain
from interlock.testing.contracts import compile_testkit
from interlock.testing.deploy import deploy_rules
from interlock.testing.harness import Harness
from interlock.testing.monitor_thread import MonitorThread

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

RULES = """protocol Escrowed
scope deposits
scope releases
asset USDC 0x00000000000000000000000000000000000000c1 decimals 6 priced by USDC_USD
asset WETH 0x00000000000000000000000000000000000000c2 decimals 18 priced by ETH_USD
asset WBTC 0x00000000000000000000000000000000000000c3 decimals 8 priced by BTC_USD
vault escrow 0x00000000000000000000000000000000000000c4 holds USDC, WETH, WBTC
feed USDC_USD 0x00000000000000000000000000000000000000d1 decimals 8 quote USD
feed ETH_USD 0x00000000000000000000000000000000000000d2 decimals 8 quote USD
feed BTC_USD 0x00000000000000000000000000000000000000d3 decimals 18 quote USD
breaker notional {
  when value(outflow(*, 1h)) > 250_000 USD and value(inflow(*, 1h)) < 100_000 USD
  then alert "notional", pause releases for 1m
}
invariant short: releases paused at most 1m
"""
H = 3600
STAR_OUT = Atom(kind="value_outflow", target="*", window=H)
STAR_IN = Atom(kind="value_inflow", target="*", window=H)
UNIT = {"USDC": 10**6, "WETH": 10**18, "WBTC": 10**8}
PRICE = {"USDC_USD": 10**8, "ETH_USD": 2_000 * 10**8, "BTC_USD": 60_000 * 10**18}
FEED_OF = {"USDC": "USDC_USD", "WETH": "ETH_USD", "WBTC": "BTC_USD"}


def _escrow(h: Harness, name: str) -> Any:
    c = compile_testkit().contract("TestEscrow")
    return h.chain.deploy(c.abi, c.bytecode, 0, 1)  # deposits, releases


def _guard_value(d: Any, atom: Atom, block: int) -> int:
    """The value from the guard's windows and the feeds' answers at `block`."""
    p, h = d.program, d.harness
    fn = d.guard.functions.outflow if atom.kind == "value_outflow" else d.guard.functions.inflow
    kind = "outflow" if atom.kind == "value_outflow" else "inflow"
    read: dict[Atom, int] = {}
    for a in p.assets:
        read[Atom(kind=kind, target=a.name, window=H)] = int(
            fn(h.tokens[a.name].address, H).call(block_identifier=block))
        feed = h.feeds[FEED_OF[a.name]]
        answer = int(feed.functions.latestRoundData().call(block_identifier=block)[1])
        read[Atom(kind="price", target=FEED_OF[a.name])] = max(answer, 0)
    return value_from(p, atom, read)


def test_monitor_values_equal_the_guards(tmp_path: Path) -> None:
    rng = random.Random(15)
    with Anvil() as node:
        chain = TestChain(node)
        d = deploy_rules(chain, RULES, "escrowed.guard", vault_factory=_escrow)
        h, owner, users = d.harness, chain.accounts[0], chain.accounts[1:4]
        escrow = h.vaults["escrow"]
        for name, token in h.tokens.items():
            chain.call_fn(token.functions.mint(escrow.address, 10**6 * UNIT[name]), owner)
            for u in users:
                chain.call_fn(token.functions.mint(u, 10**4 * UNIT[name]), owner)
                chain.call_fn(token.functions.approve(escrow.address, 2**255), u)
        now = chain.latest_timestamp()
        for feed, answer in PRICE.items():
            chain.call_fn(h.feeds[feed].functions.set(answer, now), owner)
        cfg = MonitorConfig(rpc=node.ws_url, guard=d.guard.address,
                            checkpoint=str(tmp_path / "m.db"), dry_run=True)
        m = MonitorThread(d.program, cfg, key=None, name="interlock.monitor.notional").start()
        first = int(chain.w3.eth.block_number) + 1
        for _ in range(45):
            user, asset = rng.choice(users), rng.choice(sorted(UNIT))
            token = h.tokens[asset].address
            action = rng.random()
            if action < 0.55:
                amount = rng.randint(1, 60) * UNIT[asset] * (1 if asset != "USDC" else 1_000)
                chain.call_fn(escrow.functions.withdraw(token, amount), user)
            elif action < 0.75:
                amount = rng.randint(1, 20) * UNIT[asset]
                chain.call_fn(escrow.functions.deposit(token, amount), user)
            elif action < 0.9:
                feed = FEED_OF[asset]
                answer = PRICE[feed] * rng.choice([50, 90, 100, 110, 300]) // 100
                chain.call_fn(h.feeds[feed].functions.set(answer, chain.latest_timestamp()),
                              owner)
            else:
                chain.call_fn(escrow.functions.deposit(token, 0), user,
                              timestamp=chain.latest_timestamp() + rng.choice([600, 1800, H]))
        last = int(chain.w3.eth.block_number)
        m.caught_up(last)
        m.stop()

        breaker = d.program.breaker("notional")
        held = fired = 0
        for n in range(first, last + 1):
            values = m.monitor.stats.values[n]
            for atom in (STAR_OUT, STAR_IN):
                assert values[atom] == _guard_value(d, atom, n), (n, atom.kind)
            try:
                d.guard.functions.poke(breaker.id).call({"from": owner}, block_identifier=n)
                guard_says = True
            except Exception:
                guard_says = False
            ts = chain.w3.eth.get_block(n)["timestamp"]
            until = d.guard.functions.firedUntil(breaker.id).call(block_identifier=n)
            monitor_says = (breaker.name, None) in m.monitor.stats.holding[n]
            # no cooldown: the guard's poke holds exactly when the condition does
            assert guard_says == monitor_says, (n, ts, until)
            held += monitor_says
            fired += 1
        assert 0 < held < fired  # the stream made the condition true and false
