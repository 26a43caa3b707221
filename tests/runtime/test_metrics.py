"""Metrics from observations: Transfer logs into windows, chain reads into tvl/price/deviation."""

from __future__ import annotations

from eth_abi.abi import encode
from monitor_kit import (
    CALLS,
    CHANGE,
    DEFAULTS,
    DEV,
    INFLOW,
    OUTFLOW,
    PRICE,
    STALENESS,
    TVL,
    WAD,
    H,
    venue_program,
)

from interlock.ir.metric_arith import SATURATION as SATURATED
from interlock.ir.nodes import Atom
from interlock.runtime.abi import TRANSFER_TOPIC
from interlock.runtime.metrics import MetricPlan, MetricState, program_atoms
from interlock.runtime.observe import BlockObservation, FeedRound, LogEntry, TxEntry

PROGRAM = venue_program()
USDC = DEFAULTS["USDC"].lower()
POOL = DEFAULTS["pool"].lower()
FEED = DEFAULTS["ETH_USD"].lower()
REF = DEFAULTS["ETH_REF"].lower()
ALICE = "0x" + "a1" * 20
T0 = 1_800_000_000


def topic(addr: str) -> str:
    return "0x" + "00" * 12 + addr[2:]


def transfer(src: str, dst: str, amount: int, token: str = USDC, idx: int = 0) -> LogEntry:
    return LogEntry(token, (TRANSFER_TOPIC, topic(src), topic(dst)),
                    encode(["uint256"], [amount]), f"0x{idx:064x}", idx)


def obs(n: int, ts: int, logs: tuple[LogEntry, ...] = (), txs: tuple[TxEntry, ...] = (),
        tvl: int | None = 1_000_000, price: int = 2_000 * 10**8,
        ref: int = 2_000 * 10**8) -> BlockObservation:
    balances = {(USDC, POOL): tvl} if tvl is not None else {}
    return BlockObservation(
        number=n, block_hash=f"0x{n:064x}", parent_hash=f"0x{n - 1:064x}", timestamp=ts,
        logs=logs, txs=txs, balances=balances,
        rounds={FEED: FeedRound(price, ts - 5), REF: FeedRound(ref, ts - 5)},
    )


def test_plan_lists_what_to_watch() -> None:
    plan = MetricPlan.from_program(PROGRAM)
    assert set(program_atoms(PROGRAM)) == {OUTFLOW, INFLOW, TVL, DEV, CHANGE, CALLS, PRICE,
                                           STALENESS}
    vault = "0x" + POOL[2:].rjust(64, "0")
    assert plan.log_filters() == (  # the vault's Transfers only, out and in
        {"address": USDC, "topics": [TRANSFER_TOPIC, [vault]]},
        {"address": USDC, "topics": [TRANSFER_TOPIC, None, [vault]]},
    )
    assert plan.balance_reads() == ((USDC, POOL),)
    assert plan.feed_reads() == tuple(sorted((FEED, REF)))
    assert plan.needs_transactions()


def test_outflows_count_transfers_out_of_the_vaults_only() -> None:
    plan = MetricPlan.from_program(PROGRAM)
    state = MetricState(plan)
    b1 = obs(1, T0, logs=(transfer(POOL, ALICE, 70, idx=0), transfer(ALICE, POOL, 5, idx=1),
                          transfer(ALICE, "0x" + "bb" * 20, 1000, idx=2),
                          transfer(POOL, ALICE, 999, token="0x" + "cc" * 20, idx=3)))
    assert state.apply(b1) == 2  # one out of the pool, one into it
    vals = state.values(b1)
    assert vals[OUTFLOW] == 70
    assert vals[TVL] == 1_000_000
    b2 = obs(2, T0 + H - 300, logs=(transfer(POOL, ALICE, 30),))
    state.apply(b2)
    assert state.values(b2)[OUTFLOW] == 100
    b3 = obs(3, T0 + H + 300)  # the first bucket has left the window
    state.apply(b3)
    assert state.values(b3)[OUTFLOW] == 30


def test_inflows_count_transfers_into_the_vaults() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    b = obs(1, T0, logs=(transfer(ALICE, POOL, 5),))
    state.apply(b)
    assert state.values(b)[INFLOW] == 5
    assert state.values(b)[OUTFLOW] == 0


def test_feed_metrics_follow_docs_semantics() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    b = obs(1, T0, price=2_070 * 10**8, ref=2_000 * 10**8)
    state.apply(b)
    assert state.values(b)[DEV] == 70 * WAD // 2_000
    b = obs(2, T0 + 1, ref=0)
    state.apply(b)
    assert state.values(b)[DEV] == SATURATED
    b = obs(3, T0 + 2, price=-5, ref=2_000 * 10**8)
    state.apply(b)
    assert state.values(b)[DEV] == WAD  # a negative answer is a price of 0


def test_change_over_a_window_of_observed_prices() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    state.apply(obs(1, T0, price=2_000))
    b = obs(2, T0 + 600, price=2_400)
    state.apply(b)
    assert state.values(b)[CHANGE] == 0  # no price at or before now - 1h yet
    b = obs(3, T0 + H, price=2_200)
    state.apply(b)
    assert state.values(b)[CHANGE] == WAD // 10


def test_failed_reads_make_their_metrics_unavailable_not_zero() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    b = BlockObservation(1, "0x1", "0x0", T0, balances={}, rounds={},
                         errors=("balanceOf failed",))
    state.apply(b)
    vals = state.values(b)
    assert TVL not in vals and DEV not in vals and CHANGE not in vals and PRICE not in vals
    assert vals[OUTFLOW] == 0


def test_calls_per_sender_and_pending_counted_once() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    other = "0x" + "b2" * 20
    pending = TxEntry("0xp1", ALICE, POOL)
    assert state.apply_pending(pending, T0) == 1
    b = obs(1, T0 + 1, txs=(TxEntry("0xp1", ALICE, POOL), TxEntry("0xp2", ALICE, POOL),
                            TxEntry("0xp3", other, POOL), TxEntry("0xp4", other, ALICE)))
    state.apply(b)
    assert state.per_sender_values(b) == {ALICE: {CALLS: 2}, other: {CALLS: 1}}
    # a pending notice that arrives after its block was processed is not counted again
    assert state.apply_pending(TxEntry("0xp3", other, POOL), T0 + 1) == 0
    assert state.per_sender_values(b) == {ALICE: {CALLS: 2}, other: {CALLS: 1}}


def test_malformed_logs_are_reported_and_skipped() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    bad = LogEntry(USDC, (TRANSFER_TOPIC, topic(POOL)), b"\x01", "0xbad", 0)
    b = obs(1, T0, logs=(bad, transfer(POOL, ALICE, 9, idx=1)))
    state.apply(b)
    assert state.values(b)[OUTFLOW] == 9
    assert len(state.malformed) == 1 and "0xbad#0" in state.malformed[0]


def test_state_round_trips_through_json() -> None:
    plan = MetricPlan.from_program(PROGRAM)
    state = MetricState(plan)
    b = obs(1, T0, logs=(transfer(POOL, ALICE, 70),), txs=(TxEntry("0x1", ALICE, POOL),))
    state.apply(b)
    state.apply_pending(TxEntry("0x2", ALICE, POOL), T0)
    again = MetricState.from_json(plan, state.to_json())
    b2 = obs(2, T0 + 10)
    for s in (state, again):
        s.apply(b2)
    assert again.values(b2) == state.values(b2)
    assert again.per_sender_values(b2) == state.per_sender_values(b2)
    assert again.to_json() == state.to_json()


def test_values_cover_every_non_sender_atom() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    b = obs(1, T0)
    state.apply(b)
    assert set(state.values(b)) == {OUTFLOW, INFLOW, TVL, DEV, CHANGE, PRICE, STALENESS}
    assert all(isinstance(a, Atom) for a in state.values(b))


def test_price_and_staleness() -> None:
    price, stale = PRICE, STALENESS
    state = MetricState(MetricPlan.from_program(PROGRAM))
    b = BlockObservation(1, "0x1", "0x0", T0, balances={(USDC, POOL): 1},
                         rounds={FEED: FeedRound(2_000 * 10**8, T0 - 90), REF: FeedRound(1, T0)})
    state.apply(b)
    assert state.values(b)[price] == 2_000 * 10**8
    assert state.values(b)[stale] == 90
    future = BlockObservation(2, "0x2", "0x1", T0 + 1, balances={(USDC, POOL): 1},
                              rounds={FEED: FeedRound(-1, T0 + 50), REF: FeedRound(1, T0)})
    state.apply(future)
    assert state.values(future)[stale] == SATURATED  # updatedAt in the future: stale
    assert state.values(future)[price] == 0  # a negative answer is a price of 0


def test_onchain_metrics_saturate_at_2_128_as_the_guard_does() -> None:
    state = MetricState(MetricPlan.from_program(PROGRAM))
    b = BlockObservation(1, "0x1", "0x0", T0, balances={(USDC, POOL): 2**200},
                         rounds={FEED: FeedRound(2**130, T0), REF: FeedRound(2**129, T0)})
    state.apply(b)
    vals = state.values(b)
    assert vals[TVL] == SATURATED and vals[PRICE] == SATURATED
    assert vals[DEV] == WAD  # exact on the raw answers (100%), then clamped: unchanged
    tiny = BlockObservation(2, "0x2", "0x1", T0 + 1, balances={(USDC, POOL): 1},
                            rounds={FEED: FeedRound(2**200, T0), REF: FeedRound(1, T0)})
    state.apply(tiny)
    assert state.values(tiny)[DEV] == SATURATED
