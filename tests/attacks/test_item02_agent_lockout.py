"""Issue 16, item 2: a compromised agent could lock a user out without bound.

`examples/bridge.guard`'s `release_spam` blocked a sender from `releases` for 24h with no
cooldown: the agent key re-blocked one victim as each block ended (120h in a row after five
trips), `unpause *` did not lift a block and no power could, and no property read
`blockedUntil`, so `releases_resume` was proved meanwhile. Now: W0811 flags a blocking rule
without a cooldown, `releases blocked at most D` is a property the verifier proves (or refutes
with a counterexample that replays on the guard: tests/verifier/test_replay_on_chain.py,
`data/violated/agent_lockout.guard`), the example has a cooldown, and `unblock` lifts a block.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Atom
from interlock.runtime.anvil import Anvil
from interlock.semantics.trace import Advance, Fire, MetricValue, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import ChainDriver
from interlock.testing.deploy import deploy_rules
from interlock.verifier.engine import verify
from interlock.verifier.findings import find
from tests.compiler.conftest import expect_view_revert

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

BRIDGE = Path(__file__).resolve().parents[2] / "examples" / "bridge.guard"
H = 3600
SPAM = Fire(breaker="release_spam", sender="victim", metrics=(MetricValue(
    atom=Atom(kind="calls", target="releases", window=H, per_sender=True), value=31),))
OLD = BRIDGE.read_text().replace("  cooldown 24h\n}\n\n# A burst", "}\n\n# A burst")


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


def _driver(chain: TestChain, text: str) -> tuple[ChainDriver, int]:
    d = deploy_rules(chain, text, str(BRIDGE))
    driver = ChainDriver(d.program, d.harness, d.guard, chain.latest_timestamp() + 1_000,
                         senders=("victim",))
    return driver, d.program.scope("releases").index


def test_the_old_rules_lock_a_user_out_and_the_verifier_now_says_so(chain: TestChain) -> None:
    assert BRIDGE.read_text() != OLD
    snap = chain.snapshot()
    driver, _ = _driver(chain, OLD)
    for _ in range(5):  # the agent re-blocks the victim as each block ends
        assert driver.apply(SPAM).ok
        driver.apply(Advance(seconds=24 * H))
    assert driver.read().blocked_until["victim/releases"] == driver.now  # 120h in a row
    chain.revert(snap)
    program = compile_text(OLD, str(BRIDGE)).program
    assert program is not None
    assert "W0811" in [d.code for d in find(program)]
    results = {r.name: r for r in verify(program, timeout_s=60)}
    assert results["releases_resume"].status == "proved"  # it speaks of pauses only
    assert results["releases_no_lockout"].status == "violated"


def test_a_cooldown_bounds_the_block_and_unblock_lifts_it(chain: TestChain) -> None:
    snap = chain.snapshot()
    driver, releases = _driver(chain, BRIDGE.read_text())
    g = driver.guard.functions
    victim = driver.address_of("victim")
    assert driver.apply(SPAM).ok
    end = driver.now + 24 * H
    driver.apply(Advance(seconds=24 * H))
    assert not driver.apply(SPAM).ok  # RuleCooldown: the victim gets a day free
    driver.apply(Advance(seconds=1))
    driver.sync_clock()
    g.requireActiveFor(releases, victim).call(block_identifier="pending")
    assert g.blockedUntil(victim, releases).call() == end
    driver.apply(Advance(seconds=24 * H))
    assert driver.apply(SPAM).ok
    driver.sync_clock()
    expect_view_revert(driver.guard, g.requireActiveFor(releases, victim), "SenderIsBlocked")
    unblock = next(w for w in driver.program.powers if w.kind == "unblock")
    # `unpause *` leaves the block; the council's `unblock` ends it now
    unpause = next(w for w in driver.program.powers if w.kind == "unpause")
    assert driver.apply(UsePower(power=unpause.id, targets=("releases",),
                                 signers=("sam", "tia"))).ok
    assert g.blockedUntil(victim, releases).call() > driver.now
    assert driver.apply(UsePower(power=unblock.id, targets=("releases",),
                                 signers=("sam", "tia"), sender="victim")).ok
    assert g.blockedUntil(victim, releases).call() == driver.now
    driver.sync_clock()
    g.requireActiveFor(releases, victim).call(block_identifier="pending")
    assert "W0811" not in [d.code for d in find(driver.program)]
    results = {r.name: r.status for r in verify(driver.program, timeout_s=60)}
    assert results["releases_no_lockout"] == "proved"
    chain.revert(snap)
