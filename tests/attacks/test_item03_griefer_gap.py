"""Issue 16, item 3: `gap` plus refused-pause accounting let a griefer disarm the guardian.

On the SPEC venue (`examples/perp_venue.guard`: `withdrawals max 72h gap 24h`, the guardian's
`pause * for at most 72h cooldown 24h`), a holder of 11% of the pool trips `drain` with its own
withdrawal (6h pause). Right after the pause ends the guardian's emergency pause is refused by
`gap` (a no-op). Before the fix that refused use set `usedUntil` to now + 72h, so when the gap
ended the guardian was still locked out by its cooldown (until ~96h after the pause). Now a
refused pause does not use the cooldown: the guardian pauses as soon as the gap allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.ir.nodes import Atom
from interlock.runtime.anvil import Anvil
from interlock.semantics.trace import Advance, Fire, MetricValue, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import ChainDriver
from interlock.testing.deploy import deploy_rules

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

ROOT = Path(__file__).resolve().parents[2]
VENUE = ROOT / "examples" / "perp_venue.guard"
H = 3600
USDC = 10**6


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


def test_a_refused_pause_does_not_lock_the_guardian_out(chain: TestChain) -> None:
    d = deploy_rules(chain, VENUE.read_text(), str(VENUE))
    p = d.program
    driver = ChainDriver(p, d.harness, d.guard, chain.latest_timestamp() + 1_000)
    pause = next(w for w in p.powers if w.role == "guardian" and w.kind == "pause")
    guardian_pause = UsePower(power=pause.id, targets=("withdrawals",), value=72 * H,
                              signers=("alice", "carol"))
    withdrawals = p.scope("withdrawals").index
    # the griefer's withdrawal: 11% of a 1M USDC pool in the hour
    out = driver.apply(Fire(breaker="drain", metrics=(
        MetricValue(atom=Atom(kind="outflow", target="USDC", window=H), value=110_000 * USDC),
        MetricValue(atom=Atom(kind="tvl", target="USDC"), value=1_000_000 * USDC))))
    assert out.ok
    end = d.guard.functions.pausedUntil(withdrawals).call()
    assert end == driver.now + 6 * H
    # one minute after the pause ends: the guardian's pause is refused by `gap` (no revert)
    driver.apply(Advance(seconds=end - driver.now + 60))
    assert driver.apply(guardian_pause).ok
    assert d.guard.functions.pausedUntil(withdrawals).call() == end  # refused: nothing paused
    assert d.guard.functions.usedUntil(pause.id, withdrawals).call() == 0
    # when the gap ends the guardian pauses at once (before the fix: PowerCooldown for ~72h)
    driver.apply(Advance(seconds=end + 24 * H - driver.now))
    assert driver.apply(guardian_pause).ok
    assert d.guard.functions.pausedUntil(withdrawals).call() == driver.now + 72 * H
