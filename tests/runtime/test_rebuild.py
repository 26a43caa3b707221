"""Rebuilding the windows after a reorganisation deeper than the checkpoints, without a node:
where the rebuild starts (a binary search over headers, bounded), and a rebuild under way
surviving a restart. The rebuild on a real chain: `test_monitor_reorg.py`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

from monitor_kit import H, venue_program

from interlock.runtime.checkpoint import CheckpointStore
from interlock.runtime.ingest import Node
from interlock.runtime.metrics import MetricPlan
from interlock.runtime.monitor import Monitor, MonitorConfig
from interlock.runtime.rebuild import Rebuild, _window_start, longest_window

GUARD = "0x9999999999999999999999999999999999999999"


class Headers:
    """A node that answers `eth_getBlockByNumber` from a list of timestamps, counting reads."""

    def __init__(self, timestamps: list[int]) -> None:
        self.timestamps, self.reads = timestamps, 0

    async def request(self, method: str, params: list[Any]) -> Any:
        assert method == "eth_getBlockByNumber"
        self.reads += 1
        return {"timestamp": hex(self.timestamps[int(params[0], 16)])}


def start(timestamps: list[int], lo: int, hi: int, t: int) -> tuple[tuple[int, bool], int]:
    node = Headers(timestamps)
    found = asyncio.run(_window_start(cast(Node, node), lo, hi, t))
    return found, node.reads


def test_the_rebuild_starts_at_the_last_block_at_or_before_the_window() -> None:
    times = [1000 + 12 * n for n in range(5000)]  # 12-second blocks
    (block, truncated), reads = start(times, 0, 4999, times[4999] - H)
    assert (block, truncated) == (4999 - 300, False)
    assert reads <= 14  # log2 of the range, plus the first header
    equal = [0, 5, 5, 5, 9, 20]  # equal timestamps: the last of them
    assert start(equal, 0, 5, 5)[0] == (3, False)


def test_a_window_beyond_the_bound_is_cut_and_says_so() -> None:
    times = [1000 + n for n in range(100)]
    assert start(times, 40, 99, 500)[0] == (40, True)  # the bound cut the window
    assert start(times, 0, 99, 500)[0] == (0, False)  # the chain starts after it: all of it


def test_the_longest_window_is_the_rebuilds_depth() -> None:
    assert longest_window(MetricPlan.from_program(venue_program())) == H


def test_a_rebuild_under_way_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    config = MonitorConfig(rpc="http://127.0.0.1:1", guard=GUARD, checkpoint=str(db))
    first = Monitor(venue_program(), config, None)
    first.rebuild = Rebuild(start=10, resume=20, truncated=False)
    with CheckpointStore(db, GUARD) as store:
        store.save(14, "0x14", first.snapshot())
    again = Monitor(venue_program(), config, None)
    assert again.rebuild == Rebuild(10, 20, False) and again.next_block == 15
    assert "rebuild" in again.health.problems  # and blocks 15..19 are counted, not decided
    again.store.close()
    first.store.close()
