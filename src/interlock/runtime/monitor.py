"""The monitor loop: heads in, blocks processed in order, decisions out, progress checkpointed.

For each block `n` (once the head is `n + confirmations`): read the block's observations and the
guard's state at `n` concurrently, count the block's events into the windows, evaluate every
breaker (`evaluate.decide`), send what must be sent (`executor.Executor`), alert, and checkpoint
`n` with the windows. All I/O of a block happens before its events are counted, so a block that
fails half-way (node gone) is re-read from scratch after the reconnection: nothing is counted
twice, nothing is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from interlock.ir.nodes import Program
from interlock.runtime.alerts import (
    AlertContext,
    Alerter,
    decision_alert,
    event_alert,
    rule_alert,
)
from interlock.runtime.checkpoint import Checkpoint, CheckpointStore
from interlock.runtime.evaluate import Decision, RulePlan, decide
from interlock.runtime.executor import Executor, RpcError
from interlock.runtime.guard_events import Severities, guard_events
from interlock.runtime.ingest import ConnectionLost, Node, guard_logs
from interlock.runtime.metrics import MetricPlan, MetricState, metric_key
from interlock.runtime.mirror import decode_guard, guard_calls, param_mismatches, to_state
from interlock.runtime.monitor_stats import Stats
from interlock.runtime.observe import BlockObservation, LogEntry
from interlock.runtime.ops import Health, MonitorMetrics, log, make_logger
from interlock.runtime.sinks import AlertSink, StdoutSink


@dataclass(frozen=True)
class MonitorConfig:
    rpc: str
    guard: str
    checkpoint: str = "interlock-monitor.sqlite"
    dry_run: bool = False
    confirmations: int = 0
    start_block: int | None = None  # first run only; None: the current head
    poll_interval_s: float = 0.1  # HTTP: how often to ask for the head
    idle_check_s: float = 2.0  # WebSocket: ask for the head when no event came for this long
    max_backoff_s: float = 5.0
    receipt_timeout_s: float = 60.0
    scope_contracts: Mapping[str, frozenset[str]] = field(default_factory=dict)


class GuardMissing(Exception):
    """There is no contract at the guard address on this chain."""


class Reorg(Exception):
    """The block to process does not extend the last processed one."""


class Monitor:
    def __init__(
        self,
        program: Program,
        config: MonitorConfig,
        account: LocalAccount | None,
        *,
        sinks: Sequence[AlertSink] | None = None,
        logger: logging.Logger | None = None,
        metrics: MonitorMetrics | None = None,
        health: Health | None = None,
        severities: Severities | None = None,
    ) -> None:
        self.program = program
        self.config = config
        self.account = account
        self.alerter = Alerter(sinks if sinks is not None else [StdoutSink()])
        self.severities = severities or Severities({})
        self.ctx: AlertContext | None = None  # once connected (it needs the chain id)
        self.logger = logger or make_logger()
        self.metrics = metrics or MonitorMetrics()
        self.health = health or Health()
        self.plan = MetricPlan.from_program(program, config.scope_contracts)
        self.rules = RulePlan.for_program(program)
        self.guard_calls = guard_calls(program)
        self.store = CheckpointStore(config.checkpoint, config.guard)
        self.state = MetricState(self.plan)
        self.holding: frozenset[tuple[str, str | None]] = frozenset()
        self.in_flight: set[tuple[str, str | None]] = set()
        self.next_block: int | None = None
        self.last_hash: str | None = None
        self.last_timestamp = 0
        self.stats = Stats()
        self._tasks: set[asyncio.Task[None]] = set()
        self._settling: dict[tuple[str, str | None], int] = {}
        self.head_seen = 0
        # the decisions a block could lead to (poke/trip), estimated with its reads at the head
        self.armed = tuple(Decision(r.breaker.name, r.breaker.id, r.method, None, r.alerts, 0)
                           for r in self.rules if r.method in ("poke", "trip"))
        self._restore()

    def _restore(self) -> None:
        cp = self.store.load()
        if cp is None:
            return
        self._apply_checkpoint(cp)
        log(self.logger, logging.INFO, "resumed", block=cp.block, hash=cp.block_hash)

    def _apply_checkpoint(self, cp: Checkpoint) -> None:
        self.state = MetricState.from_json(self.plan, cp.state.get("metrics", {}))
        self.holding = frozenset((b, s) for b, s in cp.state.get("holding", []))
        self.next_block = cp.block + 1
        self.last_hash = cp.block_hash
        self.last_timestamp = int(cp.state.get("timestamp", 0))

    # --- the outer loop: connect, run, reconnect with backoff ---------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> Stats:
        stop = stop or asyncio.Event()
        try:
            await self._run(stop)
        finally:
            await self._drain()
            self.store.close()
        return self.stats

    async def _run(self, stop: asyncio.Event) -> None:
        backoff = 0.1
        while not stop.is_set():
            node = Node(self.config.rpc)
            try:
                await node.connect()
                mode = "websocket" if node.sub_w3 is not None else "http-polling"
                self.health.connected, self.health.mode = True, mode
                log(self.logger, logging.INFO, "connected", rpc=self.config.rpc, mode=mode,
                    dry_run=self.config.dry_run, guard=self.config.guard)
                backoff = 0.1
                await self._session(node, stop)
            except (ConnectionLost, RpcError) as exc:
                lost = isinstance(exc, ConnectionLost)
                self.health.connected = not lost
                self.metrics.reconnects.inc()
                self.metrics.errors.labels("connection" if lost else "rpc").inc()
                self.stats.reconnects += 1
                log(self.logger, logging.WARNING, "connection_lost" if lost else "rpc_error",
                    error=str(exc), block=self.next_block, retry_in_s=backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.config.max_backoff_s)
            except GuardMissing:
                raise
            except Exception as exc:  # a bug or data we did not expect: keep watching
                self.metrics.errors.labels("internal").inc()
                log(self.logger, logging.ERROR, "internal_error", error=repr(exc),
                    block=self.next_block, retry_in_s=backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.config.max_backoff_s)
            finally:
                await node.close()

    async def _drain(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    async def _session(self, node: Node, stop: asyncio.Event) -> None:
        code = await node.request("eth_getCode", [self.config.guard, "latest"])
        if not code or code == "0x":
            log(self.logger, logging.ERROR, "guard_not_found", guard=self.config.guard)
            raise GuardMissing(f"no contract at the guard address {self.config.guard}")
        chain_id = int(str(await node.request("eth_chainId", [])), 16)
        self.ctx = AlertContext(chain_id, self.config.guard, self.program, self.severities,
                                self.config.dry_run)
        agents = [a.address.lower() for a in self.program.agents]
        if self.account is not None and self.account.address.lower() not in agents:
            log(self.logger, logging.WARNING, "key_not_agent", address=self.account.address,
                hint="the guard accepts trip/tripSender from the rule file's agents only")
        agent = self.program.agents[0].address if self.program.agents else None
        executor = Executor(node.request, self.config.guard, self.account,
                            dry_run=self.config.dry_run, simulate_from=agent,
                            batch=node.batch)
        subscribed = await node.subscribe(want_pending=self.plan.needs_transactions())
        self.health.mode = "websocket" if subscribed else "http-polling"
        if node.is_ws and not subscribed:
            log(self.logger, logging.WARNING, "polling_fallback", error=node.ws_error,
                poll_interval_s=self.config.poll_interval_s)
        await self._catch_up(node, executor, await node.head(), stop)
        wait = self.config.idle_check_s if subscribed else self.config.poll_interval_s
        while not stop.is_set():
            ev = await node.next_event(wait)
            if ev is None:
                await self._catch_up(node, executor, await node.head(), stop)
            elif ev.kind == "head":
                await self._catch_up(node, executor, ev.block, stop)
            elif ev.kind == "pending" and ev.tx is not None:
                if self.state.apply_pending(ev.tx, self.last_timestamp):
                    self.metrics.events_seen.labels("pending_tx").inc()
            elif ev.kind == "lost":
                raise ConnectionLost(ev.error)

    async def _catch_up(self, node: Node, executor: Executor, head: int,
                        stop: asyncio.Event) -> None:
        received = time.perf_counter()
        self.metrics.head_block.set(head)
        self.head_seen = max(self.head_seen, head)
        target = head - self.config.confirmations
        if self.next_block is None:
            start = self.config.start_block
            self.next_block = start if start is not None else max(target, 0)
        while self.next_block <= target and not stop.is_set():
            try:
                await self._process(node, executor, self.next_block, received)
            except Reorg:
                await self._rewind(node, self.next_block)
                continue
            self.next_block += 1
            self.metrics.lag_blocks.set(max(target - self.next_block + 1, 0))
            received = time.perf_counter()

    # --- one block ----------------------------------------------------------------------------

    async def _process(self, node: Node, executor: Executor, number: int,
                       received: float) -> None:
        cpu0 = time.process_time()
        views = self.guard_calls
        at_head = number >= self.head_seen
        pre_requests = executor.precheck_requests(list(self.armed), number) if at_head else []
        tag = hex(number)
        own_logs = ("eth_getLogs", [{"fromBlock": tag, "toBlock": tag,
                                     "address": self.config.guard}])
        obs, replies = await node.fetch(
            self.plan, number, [(self.config.guard, c.data) for c in views],
            [own_logs, *pre_requests],
        )
        own = guard_logs(replies[len(views)], number, obs.block_hash)
        replies, pre_replies = replies[: len(views)], replies[len(views) + 1:]
        prechecks = {d.key: (r, pre_replies[-1])
                     for d, r in zip(self.armed, pre_replies, strict=False)}
        fetched = time.perf_counter()
        if self.last_hash and obs.parent_hash != self.last_hash:
            raise Reorg(number)
        view = decode_guard(views, replies, number, obs.timestamp)
        for err in obs.errors:
            self.metrics.errors.labels("read").inc()
            log(self.logger, logging.WARNING, "read_failed", block=number, error=err)
        guard_state = to_state(self.program, view)
        for name in param_mismatches(self.program, view, guard_state):
            log(self.logger, logging.WARNING, "param_mirror_mismatch", block=number, param=name)
        counted = self.state.apply(obs)
        self._report_malformed(number)
        self.metrics.events_seen.labels("log").inc(len(obs.logs))
        self.metrics.events_seen.labels("tx").inc(len(obs.txs))
        values = self.state.values(obs)
        outcome = decide(
            self.program, self.rules, guard_state, values, self.state.per_sender_values(obs),
            block=number, in_flight=self.in_flight, previously_holding=self.holding,
        )
        self.metrics.rules_evaluated.inc(outcome.evaluated)
        for name, reason in outcome.skipped:
            self.metrics.trips_skipped.labels(name, reason.split(":")[0]).inc()
        await asyncio.gather(*(self._act(executor, d, obs, received, prechecks.get(d.key))
                               for d in outcome.decisions))
        self._alert_events(number, own)
        self.holding = outcome.holding
        for key in [k for k, b in self._settling.items() if b <= number]:
            del self._settling[key]
            self.in_flight.discard(key)
        self.stats.record(number, values, outcome.holding)
        self.last_hash, self.last_timestamp = obs.block_hash, obs.timestamp
        self.store.save(number, obs.block_hash, self.snapshot())
        self.metrics.blocks_processed.inc()
        self.metrics.last_block.set(number)
        self.health.progress(number)
        self.stats.blocks += 1
        if counted or outcome.decisions:
            log(self.logger, logging.INFO, "block", number=number, events=counted,
                decisions=[d.breaker for d in outcome.decisions],
                fetch_ms=round((fetched - received) * 1000, 2),
                total_ms=round((time.perf_counter() - received) * 1000, 2),
                cpu_ms=round((time.process_time() - cpu0) * 1000, 2),
                metrics={metric_key(a): v for a, v in values.items()})

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

    def snapshot(self) -> dict[str, Any]:
        return {
            "metrics": self.state.to_json(),
            "holding": sorted([b, s] for b, s in self.holding),
            "timestamp": self.last_timestamp,
        }

    async def _rewind(self, node: Node, number: int) -> None:
        """Block `number` does not extend the last processed block: find the newest processed
        block still on the chain, restore its checkpoint and re-process from there."""
        self.metrics.errors.labels("reorg").inc()
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
                    return
        log(self.logger, logging.ERROR, "reorg_too_deep", block=number, kept=len(hashes),
            hint="windows may be off until they roll over; raise --confirmations")
        self.last_hash = None  # accept the new branch from here

    def _report_malformed(self, number: int) -> None:
        for msg in self.state.malformed:
            self.metrics.errors.labels("malformed_log").inc()
            log(self.logger, logging.WARNING, "malformed_log", block=number, error=msg)
        self.state.malformed.clear()

    # --- acting ------------------------------------------------------------------------------

    async def _act(self, executor: Executor, d: Decision, obs: BlockObservation,
                   received: float, precheck: tuple[Any, Any] | None = None) -> None:
        if d.method == "alert":
            self._spawn(self.alerter.send(rule_alert(self._ctx, d)))
            return
        self.in_flight.add(d.key)
        result = await executor.submit(d, obs.base_fee, precheck)
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
        if result.status == "sent" and result.tx_hash:
            self._spawn(self._watch(executor, d, result.tx_hash, received))
        else:
            self.in_flight.discard(d.key)
            if result.status == "failed":
                self.metrics.errors.labels("send").inc()
                self._spawn(self.alerter.send(decision_alert(
                    self._ctx, d, status="failed", block=d.block, reason=result.reason)))

    async def _watch(self, executor: Executor, d: Decision, tx_hash: str,
                     received: float) -> None:
        receipt = None
        try:
            receipt = await executor.wait_receipt(tx_hash, self.config.receipt_timeout_s)
        finally:
            if receipt is None:
                self.in_flight.discard(d.key)
            else:  # in flight until the monitor has processed the block that mined it
                self._settling[d.key] = int(str(receipt["blockNumber"]), 16)
        if receipt is None:
            log(self.logger, logging.WARNING, "trip_not_mined", rule=d.breaker, tx=tx_hash)
            return
        ok = int(str(receipt.get("status", "0x0")), 16) == 1
        info: dict[str, Any] = {"rule": d.breaker, "tx": tx_hash, "ok": ok,
                "block": int(str(receipt["blockNumber"]), 16),
                "mined_s": time.perf_counter() - received}
        self.stats.mined.append(info)
        if not ok:  # a confirmed trip is alerted by the guard's own BreakerFired log
            info["reason"] = await executor.revert_reason(tx_hash, receipt)
            self._spawn(self.alerter.send(decision_alert(
                self._ctx, d, status="failed", block=int(info["block"]), tx=tx_hash,
                reason=str(info["reason"]))))
        log(self.logger, logging.INFO if ok else logging.WARNING, "trip_mined", **info)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
