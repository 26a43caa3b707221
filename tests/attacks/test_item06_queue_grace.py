"""Issue 16, item 6: queued operations never expired.

A timelocked role queued two `set`s; 400 days later anyone executed both, in the order of
their choice (the last one run wins). Now a queued operation runs only from its eta until the
grace period (`QUEUE_GRACE`, 14 days) after it; later `executeQueued` reverts `QueueExpired`,
and the reference semantics refuses the same step.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interlock.ir.nodes import QUEUE_GRACE
from interlock.runtime.anvil import Anvil
from interlock.semantics import StepRefused, initial_state, step
from interlock.semantics.trace import Advance, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import ChainDriver
from interlock.testing.deploy import deploy_rules
from tests.compiler.conftest import expect_view_revert

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Stale
signer s1 0x00000000000000000000000000000000000000a1
signer s2 0x00000000000000000000000000000000000000a2
role council = 2 of [s1, s2]
role governor = council after 2d
param fee_bps = 30 in [0, 100] safer lower
allow governor to set fee_bps
"""
DAY = 86_400


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


def _set(value: int) -> UsePower:
    return UsePower(power=0, targets=(), value=value, signers=("s1", "s2"))


def test_queued_operations_expire_after_the_grace_period(chain: TestChain) -> None:
    snap = chain.snapshot()
    d = deploy_rules(chain, RULES, "stale.guard")
    t0 = chain.latest_timestamp() + 1_000
    steps = [Advance(seconds=400 * DAY), _set(10), _set(90)]
    driver = ChainDriver(d.program, d.harness, d.guard, t0=t0)
    driver.prequeue(steps)  # both queued at t0
    outcomes = driver.run(steps)
    # before the fix both ran, in the order the caller chose (the last one wins)
    assert [o.ok for o in outcomes] == [True, False, False]
    driver.sync_clock()
    for i in (1, 2):
        queued = driver.queued(i)
        assert queued is not None
        expect_view_revert(d.guard, d.guard.functions.executeQueued(queued.op), "QueueExpired")
    assert d.guard.functions.paramBase(0).call() == 30
    state = step(d.program, initial_state(d.program, t0), outcomes[0].step)
    with pytest.raises(StepRefused, match="expired"):
        step(d.program, state, outcomes[1].step)
    chain.revert(snap)


def test_the_last_second_of_the_grace_period_still_runs(chain: TestChain) -> None:
    snap = chain.snapshot()
    d = deploy_rules(chain, RULES, "stale.guard")
    t0 = chain.latest_timestamp() + 1_000
    steps = [Advance(seconds=2 * DAY + QUEUE_GRACE), _set(10), Advance(seconds=1), _set(90)]
    driver = ChainDriver(d.program, d.harness, d.guard, t0=t0)
    driver.prequeue(steps)
    outcomes = driver.run(steps)
    assert [o.ok for o in outcomes] == [True, True, True, False]
    assert d.guard.functions.paramBase(0).call() == 10
    state = initial_state(d.program, t0)
    for o in outcomes[:3]:
        state = step(d.program, state, o.step)
    with pytest.raises(StepRefused, match="expired"):
        step(d.program, state, outcomes[3].step)
    chain.revert(snap)
