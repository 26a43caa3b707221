"""Trailing metric windows, bucketed exactly as the guard buckets them (docs/semantics.md).

A window of `W` seconds is 12 buckets of `b = W / 12` seconds. An amount observed at block
timestamp `t` lands in bucket `t // b`; the window's sum at `now` adds the buckets `k` with
`now // b - 12 < k <= now // b`; a flow bucket saturates at `metric_arith.BUCKET_CAP`. The
guard computes `outflow`/`inflow` this way from the vaults' reports, the monitor from `Transfer`
logs: the same amounts at the same timestamps give the same sums. `PriceHistory` keeps what
`change(FEED, W)` needs: the last price observed at a block with timestamp `<= now - W`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from interlock.ir import metric_arith

BUCKETS = 12


def bucket_size(window: int) -> int:
    """Seconds per bucket; the front end guarantees `window` is a positive multiple of 12."""
    if window <= 0 or window % BUCKETS:
        raise ValueError(f"window of {window}s is not a positive multiple of {BUCKETS}s")
    return window // BUCKETS


@dataclass
class WindowSum:
    """A trailing sum over `window` seconds, kept as at most 12 live buckets; a bucket holds at
    most `cap` when one is given (flows: the guard's `BUCKET_CAP`).

    The sum is kept, not recomputed per block: `total` adds the buckets again only after an
    `add`, a pruned bucket or a move to another bucket (every `window / 12` seconds), so a block
    that changes nothing costs one comparison (docs/performance.md, "Backtest")."""

    window: int
    buckets: dict[int, int] = field(default_factory=dict)
    cap: int | None = None
    _size: int = field(default=0, init=False, repr=False, compare=False)
    _top: int | None = field(default=None, init=False, repr=False, compare=False)
    _sum: int = field(default=0, init=False, repr=False, compare=False)
    _low: int | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def size(self) -> int:
        if not self._size:
            self._size = bucket_size(self.window)
        return self._size

    def add(self, timestamp: int, amount: int) -> None:
        key = timestamp // self.size
        held = self.buckets.get(key, 0) + amount
        self.buckets[key] = held if self.cap is None else min(held, self.cap)
        self._top = None
        if self._low is not None and key <= self._low:
            self._low = None  # an amount at or before the pruned edge: the next prune drops it

    def total(self, now: int) -> int:
        top = now // self.size
        if top != self._top:
            self._sum = sum(v for k, v in self.buckets.items() if top - BUCKETS < k <= top)
            self._top = top
        return self._sum

    def prune(self, now: int) -> None:
        """Forget buckets that can no longer count at `now` or later."""
        low = now // self.size - BUCKETS
        if low == self._low:
            return  # nothing to forget since the last prune
        self._low = low
        old = [k for k in self.buckets if k <= low]
        for key in old:
            del self.buckets[key]
        if old:
            self._top = None

    def to_json(self) -> dict[str, int]:
        return {str(k): v for k, v in sorted(self.buckets.items())}

    @classmethod
    def from_json(cls, window: int, data: dict[str, int], cap: int | None = None) -> WindowSum:
        return cls(window, {int(k): int(v) for k, v in data.items()}, cap)


@dataclass
class KeyedWindowSum:
    """One `WindowSum` per key (a sender, for `per sender` metrics)."""

    window: int
    sums: dict[str, WindowSum] = field(default_factory=dict)

    def add(self, key: str, timestamp: int, amount: int) -> None:
        if key not in self.sums:
            self.sums[key] = WindowSum(self.window)
        self.sums[key].add(timestamp, amount)

    def totals(self, now: int) -> dict[str, int]:
        out = {k: s.total(now) for k, s in self.sums.items()}
        return {k: v for k, v in out.items() if v}

    def prune(self, now: int) -> None:
        for key in list(self.sums):
            self.sums[key].prune(now)
            if not self.sums[key].buckets:
                del self.sums[key]

    def to_json(self) -> dict[str, dict[str, int]]:
        return {k: s.to_json() for k, s in sorted(self.sums.items())}

    @classmethod
    def from_json(cls, window: int, data: dict[str, dict[str, int]]) -> KeyedWindowSum:
        return cls(window, {k: WindowSum.from_json(window, v) for k, v in data.items()})


@dataclass
class PriceHistory:
    """Prices observed at block timestamps, oldest first, for `change(FEED, W)`."""

    longest_window: int
    points: list[tuple[int, int]] = field(default_factory=list)

    def observe(self, timestamp: int, price: int) -> None:
        """A block's price. A timestamp earlier than the last one (a reorg deeper than the kept
        checkpoints, or a node lying about one header) drops the later points: they belong to
        a history that is no longer the chain's. Raising instead would wedge every later block,
        and the checkpoint would keep it wedged after a restart."""
        while self.points and self.points[-1][0] > timestamp:
            self.points.pop()
        if self.points and self.points[-1][0] == timestamp:
            self.points[-1] = (timestamp, price)
        else:
            self.points.append((timestamp, price))

    def price_at_or_before(self, timestamp: int) -> int | None:
        idx = bisect.bisect_right(self.points, (timestamp, 2**256))
        return self.points[idx - 1][1] if idx else None

    def change(self, now: int, window: int, price_now: int) -> int:
        """`change` over `window` (`metric_arith.change`): from the last price at or before
        `now - window`; 0 without one."""
        return metric_arith.change(self.price_at_or_before(now - window), price_now)

    def prune(self, now: int) -> None:
        """Keep the newest point at or before `now - longest_window` and everything after."""
        idx = bisect.bisect_right(self.points, (now - self.longest_window, 2**256))
        if idx > 1:
            del self.points[: idx - 1]

    def to_json(self) -> list[list[int]]:
        return [[t, p] for t, p in self.points]

    @classmethod
    def from_json(cls, longest_window: int, data: Iterable[Iterable[int]]) -> PriceHistory:
        return cls(longest_window, [(int(t), int(p)) for t, p in (tuple(x) for x in data)])
