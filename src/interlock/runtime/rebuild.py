"""Rebuilding the windows from the chain after a reorganisation deeper than the checkpoints.

A mixin of `monitor.Monitor`. When no kept checkpoint is on the chain any more
(`reorg_too_deep`), the windows in memory hold the replaced branch's events and miss the new
branch's. They are dropped and rebuilt by re-reading the new branch from the block at or
before `longest window` seconds before the block the monitor was about to process (found by a
binary search over block headers' timestamps), at most `rebuild_max_blocks` back
(`MonitorConfig`: nothing is decided while a rebuild runs, so it is bounded). Re-read blocks
are read as every block is (`Node.fetch_state`, `Node.fetch_logs` with the metrics' filters,
logs of changed code left out) and counted, never decided: the monitor had already decided up
to the resume block, and a decision from an older block's state would act on history. From the
resume block on, blocks are processed as always. The rebuild is recorded in each checkpoint
meanwhile, so a restart (or a reorganisation within the re-read blocks) continues it instead
of deciding from the re-read blocks. `/health` has problem `rebuild` until it is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from interlock.runtime.ingest import ConnectionLost, Node, block_logs
from interlock.runtime.metrics import MetricPlan, MetricState
from interlock.runtime.observe import BlockObservation
from interlock.runtime.ops import Health, log


class Reorg(Exception):
    """The block to process does not extend the last processed one."""


@dataclass(frozen=True)
class Rebuild:
    start: int  # the first block re-read
    resume: int  # the first block decided: the monitor had decided the ones before it
    truncated: bool  # the longest window reaches further back than the bound

    @property
    def problem(self) -> str:
        """What `/health` says meanwhile."""
        return (f"windows rebuilt from block {self.start}: blocks before {self.resume} are "
                f"counted, not decided")

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "resume": self.resume, "truncated": self.truncated}

    @classmethod
    def from_json(cls, data: Any) -> Rebuild | None:
        if not data:
            return None
        return cls(int(data["start"]), int(data["resume"]), bool(data["truncated"]))


def longest_window(plan: MetricPlan) -> int:
    """Seconds of history the metrics read: the longest window (custom metrics' included)."""
    windows = [a.window or 0 for a in plan.atoms]
    windows += [d.window for d in plan.decoders.values()]
    return max(windows, default=0)


class Rebuilding:
    plan: MetricPlan
    state: MetricState
    _committed: dict[str, Any]
    next_block: int | None
    last_hash: str | None
    last_timestamp: int
    rebuild: Rebuild | None
    rebuild_max_blocks: int
    health: Health
    logger: logging.Logger
    # the other mixins' and the monitor's (annotations, not stubs: a stub would shadow them)
    _trusted: Callable[[BlockObservation], BlockObservation]
    _check_header: Callable[[BlockObservation], None]
    _commit: Callable[[BlockObservation], None]
    _report_malformed: Callable[[int], None]

    async def _rebuild(self, node: Node, number: int) -> None:
        """Block `number` replaced the processed blocks beyond every checkpoint: drop the
        windows and re-read the new branch from one longest window before `number`."""
        now = await _timestamp(node, number)
        start, truncated = await _window_start(
            node, max(number - self.rebuild_max_blocks, 0), number,
            now - longest_window(self.plan))
        # a reorganisation during a rebuild: the blocks before the earlier resume were decided
        resume = max(number, self.rebuild.resume if self.rebuild else number)
        self.state = MetricState(self.plan)
        self._committed = self.state.to_json()
        self.next_block, self.last_hash, self.last_timestamp = start, None, 0
        self.rebuild = Rebuild(start, resume, truncated)
        log(self.logger, logging.ERROR, "reorg_too_deep", block=number, rebuild_from=start,
            decide_from=resume, truncated=truncated,
            hint="the windows are rebuilt from the chain; raise --confirmations")
        if start >= resume:
            self._rebuilt()
        else:
            self.health.problems["rebuild"] = self.rebuild.problem

    async def _rebuild_block(self, node: Node, number: int) -> None:
        """Re-read block `number` of a rebuild: count it, decide nothing."""
        (obs, _), replies = await asyncio.gather(node.fetch_state(self.plan, number),
                                                 node.fetch_logs(self.plan, number))
        if self.last_hash and obs.parent_hash != self.last_hash:
            raise Reorg(number)
        self._check_header(obs)
        logs, _ = block_logs(replies, self.plan, number, obs.block_hash)
        obs = self._trusted(replace(obs, logs=logs))
        self.state.apply(obs)
        self._report_malformed(number)
        rebuild = self.rebuild
        if rebuild is not None and number + 1 >= rebuild.resume:
            self._rebuilt()  # before the checkpoint: it records the rebuild done
        self._commit(obs)

    def _rebuilt(self) -> None:
        rebuild, self.rebuild = self.rebuild, None
        self.health.problems.pop("rebuild", None)
        if rebuild is None:
            return
        log(self.logger, logging.WARNING if rebuild.truncated else logging.INFO,
            "windows_rebuilt", from_block=rebuild.start, to_block=rebuild.resume - 1,
            blocks=rebuild.resume - rebuild.start, truncated=rebuild.truncated,
            **({"hint": f"the longest window reaches back further than "
                        f"{self.rebuild_max_blocks} blocks: trailing metrics undercount "
                        f"until it has passed"} if rebuild.truncated else {}))


async def _timestamp(node: Node, number: int) -> int:
    header = await node.request("eth_getBlockByNumber", [hex(number), False])
    if not header:
        raise ConnectionLost(f"block {number} not available")
    return int(str(header["timestamp"]), 16)


async def _window_start(node: Node, lo: int, hi: int, t: int) -> tuple[int, bool]:
    """The last block in `lo..hi` whose timestamp is at most `t`, and False; `lo` and whether
    `t` is before it (the bound cut the window) when there is none. Block timestamps never
    decrease along a chain, so a binary search reads about log2(hi - lo) headers."""
    if await _timestamp(node, lo) > t:
        return lo, lo > 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if await _timestamp(node, mid) <= t:
            lo = mid
        else:
            hi = mid - 1
    return lo, False
