"""The monitor's acting half: sending decisions, watching them mined, alerting.

A mixin of `monitor.Monitor` (it uses the monitor's executor, alerter, statistics and
in-flight set). Nothing here raises into the block loop: a decision that cannot be sent is a
`failed` result with an alert (one per episode, `failing`), and is decided again at the next
block.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from interlock.ir.nodes import Program
from interlock.runtime.alerts import (
    AlertContext,
    Alerter,
    decision_alert,
    event_alert,
    rule_alert,
)
from interlock.runtime.evaluate import Decision
from interlock.runtime.executor import Executor, SendResult
from interlock.runtime.guard_events import guard_events
from interlock.runtime.monitor_stats import Stats
from interlock.runtime.observe import BlockObservation, LogEntry
from interlock.runtime.ops import Health, MonitorMetrics, log
from interlock.runtime.rpc_errors import is_unfunded

Key = tuple[str, str | None]


class Acting:
    program: Program
    alerter: Alerter
    ctx: AlertContext | None
    logger: logging.Logger
    metrics: MonitorMetrics
    health: Health
    stats: Stats
    in_flight: set[Key]
    failing: dict[Key, int]  # decisions whose sends fail: the episode's first block
    receipt_timeout_s: float
    _settling: dict[Key, int]
    _tasks: set[asyncio.Future[Any]]

    def _alert_events(self, number: int, logs: Sequence[LogEntry]) -> None:
        for ev in guard_events(self.program, number, logs):
            log(self.logger, logging.INFO, "guard_event", name=ev.name, rule=ev.subject,
                source=ev.source, block=number, tx=ev.tx_hash, args=ev.args)
            self._spawn(self.alerter.send(event_alert(self._ctx, ev)))

    @property
    def _ctx(self) -> AlertContext:
        if self.ctx is None:
            raise RuntimeError("alert context used before connecting")
        return self.ctx


    async def _act(self, executor: Executor, d: Decision, obs: BlockObservation,
                   received: float, precheck: tuple[Any, Any] | None = None) -> None:
        if d.method == "alert":
            self._spawn(self.alerter.send(rule_alert(self._ctx, d)))
            return
        self.in_flight.add(d.key)
        try:
            result = await executor.submit(d, obs.base_fee, precheck)
        except Exception as exc:  # a reply we did not expect (`null` estimate): never counted
            # twice, never left in flight; the next block decides again
            result = SendResult(d, "failed", f"unexpected reply: {exc!r}")
        latency = time.perf_counter() - received
        self.stats.results.append(result)
        log(self.logger, logging.INFO if result.status in ("sent", "dry-run") else
            logging.WARNING, "decision", rule=d.breaker, method=d.method, sender=d.sender,
            block=d.block, status=result.status, reason=result.reason, tx=result.tx_hash,
            latency_ms=round(latency * 1000, 3))
        if result.status in ("sent", "dry-run"):
            self.metrics.decision_latency.observe(latency)
            self.stats.latencies_s.append(latency)
            self.metrics.trips_sent.labels(d.breaker, d.method).inc(
                1 if result.status == "sent" else 0)
            if result.status == "dry-run":
                self._spawn(self.alerter.send(decision_alert(
                    self._ctx, d, status="dry-run", block=d.block, reason=result.reason)))
        self._agent_funds(result.status, result.reason)
        if result.status == "sent":
            self.failing.pop(d.key, None)
        if result.status == "sent" and result.tx_hash:
            self._spawn(self._watch(executor, d, result.tx_hash, received))
        else:
            self.in_flight.discard(d.key)
            if result.status == "failed":
                self.metrics.errors.labels("send").inc()
                since = self.failing.setdefault(d.key, d.block)
                self._spawn(self.alerter.send(decision_alert(
                    self._ctx, d, status="failed", block=d.block, reason=result.reason,
                    since=since)))

    def _agent_funds(self, status: str, reason: str) -> None:
        """An agent that cannot pay for gas degrades `/health` (problem `agent`) until a send
        succeeds: every trip fails until someone funds it."""
        if status == "failed" and is_unfunded(reason):
            if "agent" not in self.health.problems:
                log(self.logger, logging.ERROR, "agent_unfunded", error=reason,
                    hint="send ETH to the agent account")
            self.health.problems["agent"] = f"the agent cannot pay for gas: {reason}"
        elif status == "sent" and "agent" in self.health.problems:
            del self.health.problems["agent"]
            log(self.logger, logging.INFO, "agent_funded")

    async def _watch(self, executor: Executor, d: Decision, tx_hash: str,
                     received: float) -> None:
        receipt = None
        try:
            receipt = await executor.wait_receipt(tx_hash, self.receipt_timeout_s)
        finally:
            if not isinstance(receipt, dict):  # decided again at the next block
                self.in_flight.discard(d.key)
            else:  # in flight until the monitor has processed the block that mined it
                self._settling[d.key] = int(str(receipt["blockNumber"]), 16)
        if not isinstance(receipt, dict):
            self.metrics.errors.labels("not_mined").inc()
            log(self.logger, logging.WARNING, f"trip_{receipt or 'not_mined'}", rule=d.breaker,
                tx=tx_hash, hint="decided again at the next block")
            return
        ok = int(str(receipt.get("status", "0x0")), 16) == 1
        info: dict[str, Any] = {"rule": d.breaker, "tx": tx_hash, "ok": ok,
                "block": int(str(receipt["blockNumber"]), 16),
                "mined_s": time.perf_counter() - received}
        self.stats.mined.append(info)
        if not ok:  # a confirmed trip is alerted by the guard's own BreakerFired log
            try:
                info["reason"] = await executor.revert_reason(tx_hash, receipt)
            except Exception as exc:  # the replay failed: say so, alert anyway
                info["reason"] = f"reverted (reason unavailable: {exc!r})"
            self._spawn(self.alerter.send(decision_alert(
                self._ctx, d, status="failed", block=int(info["block"]), tx=tx_hash,
                reason=str(info["reason"]))))
        log(self.logger, logging.INFO if ok else logging.WARNING, "trip_mined", **info)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
