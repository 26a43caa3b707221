"""The monitor's memory: restoring from the checkpoint, checkpointing each block, rewinding.

A mixin of `monitor.Monitor`. The checkpoint (`checkpoint.CheckpointStore`) holds, per block,
its hash and the state after it: windows, which breakers held, the block's timestamp, the
chain (id and genesis) and the watched contracts' code hashes. A monitor resumes from the last
one; after a reorganisation deeper than `--confirmations` it rewinds to the newest one still on
the chain, and after one deeper than every checkpoint it rebuilds the windows from the chain
(`rebuild`; the rebuild under way is part of the state). A checkpoint that cannot be
written does not stop the monitor (docs/monitor.md).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from interlock.runtime.checkpoint import Checkpoint, CheckpointError, CheckpointStore
from interlock.runtime.ingest import Node
from interlock.runtime.metrics import MetricPlan, MetricState
from interlock.runtime.monitor_stats import Stats
from interlock.runtime.observe import BlockObservation
from interlock.runtime.ops import Health, MonitorMetrics, log
from interlock.runtime.rebuild import Rebuild

Key = tuple[str, str | None]


class Persisting:
    plan: MetricPlan
    store: CheckpointStore
    checkpoint_path: str
    state: MetricState
    _committed: dict[str, Any]
    holding: frozenset[Key]
    next_block: int | None
    last_hash: str | None
    last_timestamp: int
    chain: tuple[int, str] | None
    code_hashes: dict[str, str]
    health: Health
    logger: logging.Logger
    metrics: MonitorMetrics
    stats: Stats
    rebuild: Rebuild | None

    async def _check_code(self, node: Node) -> None: ...

    def _restore(self) -> None:
        cp = self.store.load()
        if cp is None:
            return
        missing = [k for k in ("metrics", "holding", "timestamp") if k not in cp.state]
        if missing:
            raise CheckpointError(self.store.path,
                                  f"block {cp.block}'s state lacks {', '.join(missing)}")
        try:
            self._apply_checkpoint(cp)
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(self.store.path, f"block {cp.block}'s windows: {exc!r}") from exc
        chain = cp.state.get("chain")  # absent in checkpoints of older monitors
        self.code_hashes = {str(a): str(h) for a, h in cp.state.get("code", {}).items()}
        self.chain = (int(chain[0]), str(chain[1])) if chain else None
        log(self.logger, logging.INFO, "resumed", block=cp.block, hash=cp.block_hash)

    def _apply_checkpoint(self, cp: Checkpoint) -> None:
        self.state = MetricState.from_json(self.plan, cp.state.get("metrics", {}))
        self._committed = cp.state.get("metrics", {})
        self.holding = frozenset((b, s) for b, s in cp.state.get("holding", []))
        self.next_block = cp.block + 1
        self.last_hash = cp.block_hash
        self.last_timestamp = int(cp.state.get("timestamp", 0))
        self.rebuild = Rebuild.from_json(cp.state.get("rebuild"))
        self.health.problems.pop("rebuild", None)
        if self.rebuild is not None:
            self.health.problems["rebuild"] = self.rebuild.problem

    def _commit(self, obs: BlockObservation) -> None:
        """Block `obs` is processed: remember it, and checkpoint it if the disk lets us. A
        checkpoint that cannot be written (disk full) does not stop the monitor: it keeps
        deciding from memory, reports `checkpoint_failed` and a degraded `/health` until a
        write succeeds (a restart meanwhile resumes from the last checkpoint written)."""
        snap = self.snapshot()
        self._committed = snap["metrics"]
        self.last_hash, self.last_timestamp = obs.block_hash, obs.timestamp
        try:
            self.store.save(obs.number, obs.block_hash, snap)
        except (sqlite3.Error, OSError) as exc:
            self.metrics.errors.labels("checkpoint").inc()
            if "checkpoint" not in self.health.problems:
                log(self.logger, logging.ERROR, "checkpoint_failed", block=obs.number,
                    error=str(exc), path=self.checkpoint_path)
            self.health.problems["checkpoint"] = f"checkpoint not written: {exc}"
        else:
            if self.health.problems.pop("checkpoint", None):
                log(self.logger, logging.INFO, "checkpoint_recovered", block=obs.number)
        self.metrics.blocks_processed.inc()
        self.metrics.last_block.set(obs.number)
        self.health.progress(obs.number)
        self.health.problems.pop("retrying", None)
        self.stats.blocks += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "metrics": self.state.to_json(),
            "holding": sorted([b, s] for b, s in self.holding),
            "timestamp": self.last_timestamp,
            "chain": list(self.chain) if self.chain else None,
            "code": dict(sorted(self.code_hashes.items())),
            "rebuild": self.rebuild.to_json() if self.rebuild else None,
        }

    async def _rewind(self, node: Node, number: int) -> bool:
        """Block `number` does not extend the last processed block: find the newest processed
        block still on the chain, restore its checkpoint and re-process from there. False when
        no kept checkpoint is on the chain any more."""
        self.metrics.errors.labels("reorg").inc()
        await self._check_code(node)  # the new branch may have other code at an address
        hashes = self.store.recent_hashes()
        for b in sorted((b for b in hashes if b < number), reverse=True):
            block = await node.request("eth_getBlockByNumber", [hex(b), False])
            if block and str(block["hash"]).lower() == hashes[b].lower():
                cp = self.store.load_at(b)
                if cp is not None:
                    self._apply_checkpoint(cp)
                    self.store.rewind(b)
                    self.next_block = b + 1
                    log(self.logger, logging.WARNING, "reorg_below_confirmations",
                        block=number, rewound_to=b, depth=number - 1 - b,
                        hint="raise --confirmations")
                    return True
        return False
