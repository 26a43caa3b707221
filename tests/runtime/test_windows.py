"""Window arithmetic: 12 buckets of W/12 seconds, the sum over `now/b - 12 < k <= now/b`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interlock.runtime.windows import KeyedWindowSum, PriceHistory, WindowSum, bucket_size

H = 3600


def reference_sum(window: int, flows: list[tuple[int, int]], now: int) -> int:
    """docs/semantics.md, literally."""
    b = window // 12
    return sum(amount for t, amount in flows if now // b - 12 < t // b <= now // b)


def test_bucket_size_requires_a_multiple_of_12() -> None:
    assert bucket_size(H) == 300
    with pytest.raises(ValueError):
        bucket_size(100)
    with pytest.raises(ValueError):
        bucket_size(0)


def test_window_covers_between_w_minus_b_and_w() -> None:
    w = WindowSum(H)
    w.add(1_000_000, 7)  # bucket 3333 (300 s buckets)
    assert w.total(1_000_000) == 7
    # the bucket stays in the window while now // 300 < 3333 + 12
    assert w.total(300 * (3333 + 11) + 299) == 7
    assert w.total(300 * (3333 + 12)) == 0
    # a flow in the future of `now` does not count
    assert w.total(999_000) == 0


@given(
    flows=st.lists(st.tuples(st.integers(10**6, 10**6 + 20_000), st.integers(0, 10**12)),
                   max_size=40),
    probes=st.lists(st.integers(10**6, 10**6 + 30_000), min_size=1, max_size=10),
    window=st.sampled_from([12, 60, 600, H, 24 * H]),
)
def test_window_sum_matches_the_definition(
    flows: list[tuple[int, int]], probes: list[int], window: int
) -> None:
    flows = sorted(flows)
    w = WindowSum(window)
    for t, amount in flows:
        w.add(t, amount)
    for now in sorted(p for p in probes if not flows or p >= flows[-1][0]):
        assert w.total(now) == reference_sum(window, flows, now)
        w.prune(now)  # pruning never changes a later answer
        assert w.total(now) == reference_sum(window, flows, now)


def test_window_round_trips_through_json() -> None:
    w = WindowSum(H)
    w.add(10_000, 5)
    w.add(10_400, 6)
    again = WindowSum.from_json(H, w.to_json())
    assert again.total(10_500) == w.total(10_500) == 11


def test_keyed_window_counts_per_key_and_forgets_old_keys() -> None:
    k = KeyedWindowSum(H)
    k.add("0xa", 10_000, 1)
    k.add("0xa", 10_001, 1)
    k.add("0xb", 10_002, 1)
    assert k.totals(10_010) == {"0xa": 2, "0xb": 1}
    k.prune(10_000 + 2 * H)
    assert k.totals(10_000 + 2 * H) == {}
    assert k.sums == {}


def test_price_history_change_uses_the_last_price_at_or_before_the_window_start() -> None:
    h = PriceHistory(H)
    assert h.change(10_000, H, 100) == 0  # no start price yet
    h.observe(10_000, 2_000)
    h.observe(10_600, 2_100)
    h.observe(11_000, 1_000)
    # now - W = 10_600 + 1: the start price is the one at 10_600
    assert h.change(10_601 + H, H, 2_310) == (2_310 - 2_100) * 10**18 // 2_100
    assert h.change(10_000 + H, H, 1_800) == 200 * 10**18 // 2_000
    h.prune(11_000 + H)
    assert h.points[0] == (11_000, 1_000)
    assert h.change(11_000 + H, H, 1_500) == 5 * 10**17


def test_price_history_survives_a_timestamp_going_back() -> None:
    h = PriceHistory(H)
    h.observe(10, 1)
    h.observe(10, 2)  # same block timestamp: the later read wins
    assert h.points == [(10, 2)]
    h.observe(20, 3)
    h.observe(30, 4)
    h.observe(15, 5)  # fault 2: a header from the past: the later points are dropped
    assert h.points == [(10, 2), (15, 5)]
    h.observe(40, 6)  # and the next blocks go on from there
    assert h.points == [(10, 2), (15, 5), (40, 6)]
