"""Agreement on Anvil: the monitor's metric values equal the guard's, block by block.

One random event stream (deposits, withdrawals, price moves, time jumps across bucket
boundaries) runs against the generated guard while the monitor watches. For every block the
monitor processed: its `outflow`/`inflow` equal the guard's `outflow(asset, window)` /
`inflow(asset, window)` views at that block; and for every on-chain evaluable breaker, the
guard's own verdict (a static `poke` at that block succeeds) equals the monitor's (condition
holds and the cooldown allows it). That covers `tvl`, `price`, `deviation` and `staleness` too,
which the guard reads only inside its conditions.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from monitor_chain import PRICE, USDC, MonitorThread, deploy_venue
from monitor_kit import INFLOW, OUTFLOW

from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

LOSS = 100_000 * USDC


def test_monitor_metrics_equal_the_guards_on_one_event_stream(tmp_path: Path) -> None:
    rng = random.Random(5)
    with Anvil() as node:
        venue = deploy_venue(node)
        cfg = MonitorConfig(rpc=node.ws_url, guard=venue.guard.address,
                            checkpoint=str(tmp_path / "m.db"), dry_run=True)
        m = MonitorThread(venue.program, cfg, key=None, name="interlock.monitor.agree").start()
        first = venue.head() + 1
        # a few steps that make each kind of on-chain condition true, then a random stream
        venue.withdraw(venue.users[0], 90_000 * USDC)  # allowed: 10% of the 910k left
        venue.lose(LOSS)  # an unreported loss: drain holds, only a poke notices
        lost = range(venue.head(), venue.head() + 1)  # the monitor counts it, the guard not
        venue.advance(3 * 3600 + 60)  # the window empties; the feed is over 3h stale
        venue.set_price(PRICE * 99 // 100, PRICE * 99 // 100)  # price below 1,990
        for _ in range(40):
            user = rng.choice(venue.users)
            action = rng.random()
            if action < 0.35:
                venue.deposit(user, rng.randint(1, 400) * USDC)
            elif action < 0.7:
                venue.withdraw(user, rng.randint(1, 12_000) * USDC)
            elif action < 0.85:
                move = rng.choice([0, 10, 25, 35, -35])  # per mille off the reference
                venue.set_price(PRICE * (1000 + move) // 1000)
            else:
                venue.advance(rng.choice([1, 299, 300, 1800, 3599]))
        last = venue.head()
        m.caught_up(last)
        m.stop()

        g = venue.guard.functions
        usdc = venue.token.address
        onchain = [b for b in venue.program.breakers if b.onchain]
        checked = 0
        verdicts_true = 0
        true_by_rule: dict[str, int] = {}
        for n in range(first, last + 1):
            values = m.monitor.stats.values[n]
            extra = LOSS if n in lost else 0
            assert values[OUTFLOW] == g.outflow(usdc, 3600).call(block_identifier=n) + extra, n
            assert values[INFLOW] == g.inflow(usdc, 3600).call(block_identifier=n), n
            holding = m.monitor.stats.holding[n]
            for b in onchain:
                fired = g.firedUntil(b.id).call(block_identifier=n)
                ts = venue.w3.eth.get_block(n)["timestamp"]
                ready = fired == 0 or (ts >= fired + b.cooldown if b.cooldown else True)
                try:
                    g.poke(b.id).call({"from": venue.deployer}, block_identifier=n)
                    guard_says = True
                except Exception:
                    guard_says = False
                assert guard_says == ((b.name, None) in holding and ready), (n, b.name)
                verdicts_true += guard_says
                true_by_rule[b.name] = true_by_rule.get(b.name, 0) + guard_says
                checked += 1
        assert checked >= 40 * len(onchain)
        # the stream made the conditions true somewhere (and false elsewhere)
        assert all(true_by_rule[r] > 0 for r in ("drain", "oracle_divergence", "feed_health"))
        assert verdicts_true < checked
