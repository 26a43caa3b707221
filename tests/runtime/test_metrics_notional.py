"""The monitor's value metrics, off chain: `Transfer` logs out of the vaults priced by the feed
answers read at each block (`ir.notional`, the guard's arithmetic), unavailable when a price
or balance read failed, kept across a checkpoint; and the rule decision that reads them."""

from __future__ import annotations

from eth_abi.abi import encode

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Atom
from interlock.runtime.abi import TRANSFER_TOPIC
from interlock.runtime.evaluate import RulePlan
from interlock.runtime.metrics import MetricPlan, MetricState
from interlock.runtime.observe import BlockObservation, FeedRound, LogEntry
from interlock.semantics import initial_state, metric_lookup

RULES = """protocol Bridge
scope releases
asset WETH 0x00000000000000000000000000000000000000c1 decimals 18 priced by ETH_USD
asset USDC 0x00000000000000000000000000000000000000c5 decimals 6 priced by USDC_USD
vault pool 0x00000000000000000000000000000000000000c2 holds WETH, USDC
feed ETH_USD 0x00000000000000000000000000000000000000c3 decimals 8 quote USD
feed USDC_USD 0x00000000000000000000000000000000000000c4 decimals 8 quote USD
breaker notional {
  when value(outflow(*, 24h)) > 10_000 USD or value(tvl(WETH)) < 1 USD
  then pause releases for 6h
}
invariant short: releases paused at most 6h
"""
result = compile_text(RULES, "bridge.guard")
assert result.program is not None
PROGRAM = result.program
WETH, USDC, POOL = "0x" + "00" * 19 + "c1", "0x" + "00" * 19 + "c5", "0x" + "00" * 19 + "c2"
ETH_USD, USDC_USD = "0x" + "00" * 19 + "c3", "0x" + "00" * 19 + "c4"
USER = "0x" + "a1" * 20
STAR = Atom(kind="value_outflow", target="*", window=86_400)
WETH_TVL = Atom(kind="value_tvl", target="WETH")
USD = 10**18
T0 = 1_800_000_000


def _topic(addr: str) -> str:
    return "0x" + "00" * 12 + addr[2:]


def _out(token: str, amount: int, idx: int) -> LogEntry:
    return LogEntry(token, (TRANSFER_TOPIC, _topic(POOL), _topic(USER)),
                    encode(["uint256"], [amount]), f"0x{idx:064x}", 0)


def _block(n: int, ts: int, logs: tuple[LogEntry, ...] = (), eth: int | None = 2_000 * 10**8,
           weth_tvl: int = 10**18) -> BlockObservation:
    rounds = {USDC_USD: FeedRound(10**8, ts)}
    if eth is not None:
        rounds[ETH_USD] = FeedRound(eth, ts)
    return BlockObservation(n, f"0x{n:064x}", f"0x{n - 1:064x}", ts, logs=logs,
                            balances={(WETH, POOL): weth_tvl}, rounds=rounds)


def test_watches_every_part_of_the_values() -> None:
    plan = MetricPlan.from_program(PROGRAM)
    assert {f["address"] for f in plan.log_filters()} == {WETH, USDC}
    assert set(plan.feed_reads()) == {ETH_USD, USDC_USD}
    assert plan.balance_reads() == ((WETH, POOL),)


def test_transfers_are_priced_at_the_block_they_are_read() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    first = _block(1, T0, (_out(WETH, 3 * 10**18, 1), _out(USDC, 5_000_001, 2)))
    state.apply(first)
    values = state.values(first)
    assert values[STAR] == 6_000 * USD + 5_000_001 * 10**12  # 3 WETH at 2,000 + 5.000001 USDC
    assert values[WETH_TVL] == 2_000 * USD
    # an hour later ETH is at 1,000.5: the whole window is re-valued (priced when read)
    later = _block(2, T0 + 3_600, eth=1_000_50_000_000)
    state.apply(later)
    assert state.values(later)[STAR] == 3_001_500 * 10**15 + 5_000_001 * 10**12
    # a day later the flows have left the window
    gone = _block(3, T0 + 86_400 + 7_200)
    state.apply(gone)
    assert state.values(gone)[STAR] == 0


def test_a_failed_price_read_makes_the_value_unavailable_and_the_rule_decide_by_state() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    broken = _block(1, T0, (_out(WETH, 10**18, 1),), eth=None)
    state.apply(broken)
    values = state.values(broken)
    assert STAR not in values and WETH_TVL not in values
    [rule] = RulePlan.for_program(PROGRAM)
    st = initial_state(PROGRAM, T0)
    assert rule.feeds == ("ETH_USD", "USDC_USD")  # a suspension of either stops it
    assert rule.holds(st, values, metric_lookup(values))  # failed read: the condition holds


def test_decision_on_values() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    [rule] = RulePlan.for_program(PROGRAM)
    st = initial_state(PROGRAM, T0)
    quiet = _block(1, T0, (_out(WETH, 5 * 10**18, 1),))  # 10,000 USD: not above
    state.apply(quiet)
    values = state.values(quiet)
    assert not rule.holds(st, values, metric_lookup(values))
    more = _block(2, T0 + 12, (_out(USDC, 1, 2),))  # one more base unit of USDC: above
    state.apply(more)
    values = state.values(more)
    assert values[STAR] == 10_000 * USD + 10**12
    assert rule.holds(st, values, metric_lookup(values))


def test_checkpoint_keeps_the_windows_behind_a_value() -> None:
    plan = MetricPlan.from_program(PROGRAM)
    state = MetricState(plan)
    block = _block(1, T0, (_out(WETH, 10**18, 1),))
    state.apply(block)
    restored = MetricState.from_json(plan, state.to_json())
    assert restored.values(block)[STAR] == state.values(block)[STAR] == 2_000 * USD
