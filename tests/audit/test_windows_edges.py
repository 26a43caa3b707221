"""Audit: flow windows at bucket boundaries, guard (ring buffer, on Anvil) vs monitor.

docs/semantics.md ("Metric windows"): 12 buckets of `b = W / 12` s; a flow at `t` lands in
bucket `t // b`; the sum at `now` adds the buckets `k` with `now // b - 12 < k <= now // b`.
Flows and queries are placed on exact bucket edges (first and last second of a bucket, the
instant a bucket leaves the window, idle stretches shorter and longer than the window, a flow
after the window has emptied) and the guard's `outflow(asset, W)` must equal the monitor's
`WindowSum.total(now)` and the value worked out by hand.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interlock.ir.nodes import Atom
from interlock.runtime.anvil import Anvil
from interlock.runtime.evaluate import RulePlan, decide
from interlock.runtime.metrics import MetricPlan, MetricState
from interlock.runtime.observe import BlockObservation, FeedRound
from interlock.runtime.windows import WindowSum
from interlock.semantics import initial_state
from interlock.testing.chain import TestChain
from interlock.testing.deploy import Deployed, deploy_rules

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Windows
signer s1 0x00000000000000000000000000000000000000a1
agent  watcher 0x00000000000000000000000000000000000000b1
scope w
asset USDC 0x00000000000000000000000000000000000000c1 decimals 6
vault pool 0x00000000000000000000000000000000000000c2 holds USDC
breaker never_a { when outflow(USDC, 2m) > 1_000_000_000_000 USDC then pause w for 1h }
breaker never_b { when outflow(USDC, 1h) > 1_000_000_000_000 USDC then pause w for 1h }
feed F 0x00000000000000000000000000000000000000c3 decimals 8
  reference 0x00000000000000000000000000000000000000c4
breaker dev { when deviation(F) > 3% then pause w for 1h }
# 2**128 base units of F (8 decimals)
breaker hi { when price(F) >= 3_402_823_669_209_384_634_633_746_074_317.68211456 F
             then pause w for 1h }
"""
BASE = 1_900_800_000  # a multiple of 3600 (and so of both bucket sizes, 10 s and 300 s)

# (offset from BASE, amount) for a flow; (offset, None) for a query; expected sums by hand
# for the 2m window (b = 10 s) are given for the queries
SCRIPT: list[tuple[int, int | None, int | None]] = [
    (0, 1, None),        # bucket 0
    (9, 2, None),        # bucket 0, last second
    (10, 4, None),       # bucket 1, first second
    (119, None, 7),      # bucket 11: window (-1, 11] holds buckets 0, 1
    (120, None, 4),      # bucket 12: bucket 0 left the window
    (129, None, 4),
    (130, None, 0),      # bucket 13: bucket 1 left too
    (135, 8, None),      # a flow after the window emptied (ring slots reused)
    (135, None, 8),
    (250, None, 0),      # bucket 25: window (13, 25], bucket 13 has left
    (255, 16, None),     # bucket 25, after an idle stretch longer than the window
    (255, None, 16),
    (365, 32, None),     # bucket 36 = 25 + 11
    (369, None, 48),
    (370, None, 32),     # bucket 37: bucket 25 left
    (375, 64, None),
    (375, None, 96),
    (3600 + 365, None, 0),
]


@pytest.fixture(scope="module")
def deployed() -> Iterator[tuple[TestChain, Deployed]]:
    with Anvil(timestamp=BASE - 10_000) as node:
        chain = TestChain(node)
        yield chain, deploy_rules(chain, RULES, "windows.guard")


def test_script_sums_by_hand() -> None:
    w = WindowSum(120)
    for offset, amount, expected in SCRIPT:
        if amount is not None:
            w.add(BASE + offset, amount)
        else:
            assert w.total(BASE + offset) == expected, offset


def test_guard_windows_equal_the_monitors(deployed: tuple[TestChain, Deployed]) -> None:
    chain, d = deployed
    token = d.harness.tokens["USDC"].address
    vault = d.harness.vaults["pool"]
    monitor = {120: WindowSum(120), 3600: WindowSum(3600)}
    last = -1
    for offset, amount, _expected in SCRIPT:
        ts = BASE + offset
        if amount is not None:
            out = chain.call_fn(vault.functions.reportOutflow(token, amount), chain.accounts[0],
                                timestamp=ts)
            assert out.ok and out.block_timestamp == ts
            for w in monitor.values():
                w.add(ts, amount)
        else:
            if ts != last:
                chain.mine(ts)
            assert chain.latest_timestamp() == ts
            for window, w in monitor.items():
                on_chain = int(d.guard.functions.outflow(token, window).call())
                assert on_chain == w.total(ts), (offset, window)
        last = ts


def _feeds_on_both_sides(chain: TestChain, d: Deployed, answer: int,
                         ref: int) -> tuple[int, dict[Atom, int], list[tuple[str, str]]]:
    """Feed `F` answers `answer` and its reference `ref` on chain, from a fresh timestamp on:
    (that timestamp, the monitor's metric values for the block, its (breaker, method)
    decisions)."""
    p = d.program
    ts = chain.latest_timestamp() + 100
    feed, reference = d.harness.feeds["F"], d.harness.references["F"]
    acct = chain.accounts[0]
    assert chain.call_fn(reference.functions.set(ref, ts), acct, timestamp=ts).ok
    assert chain.call_fn(feed.functions.set(answer, ts), acct, timestamp=ts).ok
    metrics = MetricState(MetricPlan.from_program(p))
    obs = BlockObservation(
        number=1, block_hash="0x" + "01" * 32, parent_hash="0x" + "00" * 32, timestamp=ts,
        rounds={feed.address.lower(): FeedRound(answer, ts),
                reference.address.lower(): FeedRound(ref, ts)})
    metrics.apply(obs)
    values = metrics.values(obs)
    outcome = decide(p, RulePlan.for_program(p), initial_state(p, ts), values, {}, block=1)
    return ts, values, [(x.breaker, x.method) for x in outcome.decisions]


def test_huge_feed_answers_guard_and_monitor_agree(deployed: tuple[TestChain, Deployed]) -> None:
    """Feed answers above 2**128 (a broken or hostile feed): `deviation` is
    `floor(|a - r| * 1e18 / r)` on the answers, saturated only as a result, so 2**130 against
    2**129 deviates by 100% on both sides: the monitor pokes `dev` and the guard accepts.
    (B2 in docs/audit.md: the guard clamped both answers to 2**128 first, saw 0% and reverted
    `ConditionNotMet`; fixed in e20cf35.)"""
    chain, d = deployed
    ts, values, decided = _feeds_on_both_sides(chain, d, 2**130, 2**129)
    assert values[Atom(kind="deviation", target="F")] == 10**18
    assert ("dev", "poke") in decided
    # the guard's own verdict
    poke = chain.call_fn(d.guard.functions.poke(d.program.breaker("dev").id), chain.accounts[0],
                         timestamp=ts + 1)
    assert poke.ok, "the guard refused a poke the monitor (and docs/semantics.md) fire"


def test_price_above_2_128_guard_and_monitor_agree(deployed: tuple[TestChain, Deployed]) -> None:
    """`price(F) >= 2**128` (in F's base units) with an answer of 2**129: both sides saturate
    `price` at 2**128 (docs/semantics.md), so both fire `hi`. (Was the B2 residual: the
    monitor measured 2**129 and poked, the guard refused; fixed in 984484c. `price(F) > 2**128`
    never holds and is now error E0413.)"""
    chain, d = deployed
    ts, values, decided = _feeds_on_both_sides(chain, d, 2**129, 2**129)
    assert values[Atom(kind="price", target="F")] == 2**128
    poke = chain.call_fn(d.guard.functions.poke(d.program.breaker("hi").id), chain.accounts[0],
                         timestamp=ts + 1)
    assert ("hi", "poke") in decided and poke.ok is True
