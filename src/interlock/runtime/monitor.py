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
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from interlock.ir.nodes import Atom, Program
from interlock.runtime.acting import Acting, Key
from interlock.runtime.alerts import AlertContext, Alerter
from interlock.runtime.checkpoint import Checkpoint, CheckpointError, CheckpointStore
from interlock.runtime.evaluate import Decision, Outcome, RulePlan, decide
from interlock.runtime.executor import Executor, RpcError
from interlock.runtime.guard_events import Severities
from interlock.runtime.ingest import ConnectionLost, Node, guard_logs
from interlock.runtime.metrics import MetricPlan, MetricState, metric_key
from interlock.runtime.mirror import decode_guard, guard_calls, param_mismatches, to_state
from interlock.runtime.monitor_stats import Stats
from interlock.runtime.node_checks import NodeChecks, StartRefused
from interlock.runtime.observe import BlockObservation, LogEntry
from interlock.runtime.ops import Health, MonitorMetrics, log, make_logger
from interlock.runtime.sinks import AlertSink, StdoutSink
from interlock.semantics import State


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


class Reorg(Exception):
    """The block to process does not extend the last processed one."""


class Monitor(Acting, NodeChecks):
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
        self.guard, self.checkpoint_path = config.guard, config.checkpoint
        self.dry_run = config.dry_run
        self.code_hashes: dict[str, str] = {}
        self.untrusted: frozenset[str] = frozenset()
        self.account = account
        self.alerter = Alerter(sinks if sinks is not None else [StdoutSink()])
        self.severities = severities or Severities({})
        self.ctx: AlertContext | None = None  # once connected (it needs the chain id)
        self.receipt_timeout_s = config.receipt_timeout_s
        self.logger = logger or make_logger()
        self.metrics = metrics or MonitorMetrics()
        self.health = health or Health()
        self.plan = MetricPlan.from_program(program, config.scope_contracts)
        self.rules = RulePlan.for_program(program)
        self.guard_calls = guard_calls(program)
        self.store = CheckpointStore(config.checkpoint, config.guard, refuse_empty=True)
        self.state = MetricState(self.plan)
        self._committed: dict[str, Any] = self.state.to_json()  # as of the last processed block
        self.chain: tuple[int, str] | None = None  # (chain id, genesis hash) of the checkpoint
        self.holding: frozenset[tuple[str, str | None]] = frozenset()
        self.in_flight: set[tuple[str, str | None]] = set()
        self.next_block: int | None = None
        self.last_hash: str | None = None
        self.last_timestamp = 0
        self.stats = Stats()
        self._tasks: set[asyncio.Task[None]] = set()
        self._settling: dict[tuple[str, str | None], int] = {}
        self.head_seen = 0
        self.pruned_from: int | None = None  # first block read without state, in this run
        # the decisions a block could lead to (poke/trip), estimated with its reads at the head
        self.armed = tuple(Decision(r.breaker.name, r.breaker.id, r.method, None, r.alerts, 0)
                           for r in self.rules if r.method in ("poke", "trip"))
        self._restore()

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
            blocks_before = self.stats.blocks
            try:
                await node.connect()
                mode = "websocket" if node.sub_w3 is not None else "http-polling"
                self.health.connected, self.health.mode = True, mode
                log(self.logger, logging.INFO, "connected", rpc=self.config.rpc, mode=mode,
                    dry_run=self.config.dry_run, guard=self.config.guard)
                await self._session(node, stop)
            except (ConnectionLost, RpcError) as exc:
                # the backoff restarts only once a session made progress: a node that accepts
                # connections and then fails every block is not hammered 10 times a second
                backoff = 0.1 if self.stats.blocks > blocks_before else backoff
                lost = isinstance(exc, ConnectionLost)
                self.health.connected = not lost
                self.metrics.reconnects.inc()
                self.metrics.errors.labels("connection" if lost else "rpc").inc()
                self.stats.reconnects += 1
                log(self.logger, logging.WARNING, "connection_lost" if lost else "rpc_error",
                    error=str(exc), block=self.next_block, retry_in_s=backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.config.max_backoff_s)
            except StartRefused:
                raise
            except Exception as exc:  # a bug or data we did not expect: keep watching
                backoff = 0.1 if self.stats.blocks > blocks_before else backoff
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
        await self._check_node(node)
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
        head = await node.head()
        await self._catch_up(node, executor, head, stop)
        wait = self.config.idle_check_s if subscribed else self.config.poll_interval_s
        silent = Silence(head, time.monotonic())
        while not stop.is_set():
            ev = await node.next_event(wait)
            if ev is not None and ev.kind == "head":
                silent.notify(ev.block, time.monotonic())
                await self._catch_up(node, executor, ev.block, stop)
            elif ev is not None and ev.kind == "pending" and ev.tx is not None:
                if self.state.apply_pending(ev.tx, self.last_timestamp):
                    self.metrics.events_seen.labels("pending_tx").inc()
            elif ev is not None and ev.kind == "lost":
                raise ConnectionLost(ev.error)
            if time.monotonic() - silent.at >= wait:  # no head for that long: ask the node
                head = await node.head()
                await self._catch_up(node, executor, head, stop)
                if subscribed and silent.missed(head, time.monotonic()):
                    log(self.logger, logging.WARNING, "subscription_silent",
                        head=head, last_notified=silent.notified,
                        hint="the node stopped sending heads: replacing the WebSocket")
                    raise ConnectionLost("subscription silent")

    async def _catch_up(self, node: Node, executor: Executor, head: int,
                        stop: asyncio.Event) -> None:
        received = time.perf_counter()
        self.metrics.head_block.set(head)
        self.head_seen = max(self.head_seen, head)
        target = head - self.config.confirmations
        if self.next_block is None:
            start = self.config.start_block
            self.next_block = start if start is not None else max(target, 0)
        self.health.contact(max(target - self.next_block + 1, 0))
        while self.next_block <= target and not stop.is_set():
            try:
                await self._process(node, executor, self.next_block, received)
            except Reorg:
                await self._rewind(node, self.next_block)
                continue
            self.next_block += 1
            lag = max(target - self.next_block + 1, 0)
            self.metrics.lag_blocks.set(lag)
            self.health.contact(lag)
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
        if obs.state_pruned:
            self._logs_only(obs, own)
            return
        if self.pruned_from is not None:
            log(self.logger, logging.INFO, "state_available", block=number,
                read_without_state=number - self.pruned_from)
            self.pruned_from = None
            self.health.problems.pop("pruned", None)
        view = decode_guard(views, replies, number, obs.timestamp)
        for err in obs.errors:
            self.metrics.errors.labels("read").inc()
            log(self.logger, logging.WARNING, "read_failed", block=number, error=err)
        guard_state = to_state(self.program, view)
        for name in param_mismatches(self.program, view, guard_state):
            log(self.logger, logging.WARNING, "param_mirror_mismatch", block=number, param=name)
        committed = self._committed
        obs = self._trusted(obs)
        counted = self.state.apply(obs)
        try:
            outcome, values = await self._decide_and_act(
                executor, obs, guard_state, received, prechecks, own)
        except BaseException:  # the block will be re-read: its events must not count twice
            self.state = MetricState.from_json(self.plan, committed)
            raise
        self._commit(obs)
        if counted or outcome.decisions:
            log(self.logger, logging.INFO, "block", number=number, events=counted,
                decisions=[d.breaker for d in outcome.decisions],
                fetch_ms=round((fetched - received) * 1000, 2),
                total_ms=round((time.perf_counter() - received) * 1000, 2),
                cpu_ms=round((time.process_time() - cpu0) * 1000, 2),
                metrics={metric_key(a): v for a, v in values.items()})

    async def _decide_and_act(self, executor: Executor, obs: BlockObservation,
                              guard_state: State, received: float,
                              prechecks: dict[Key, tuple[Any, Any]],
                              own: Sequence[LogEntry]) -> tuple[Outcome, Mapping[Atom, int]]:
        number = obs.number
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
        return outcome, values

    def _logs_only(self, obs: BlockObservation, own: Sequence[LogEntry]) -> None:
        """The node keeps no state of block `obs` (a pruned node; a monitor restarted far
        behind): count its logs, alert the guard's events, decide nothing (the state the rules
        read is gone) and move on, so the first block with state decides on complete windows
        instead of the monitor retrying the resume block forever."""
        if self.pruned_from is None:
            self.pruned_from = obs.number
            log(self.logger, logging.WARNING, "state_pruned", block=obs.number,
                hint="the node keeps no state this old: logs are counted, nothing is decided "
                     "until a block whose state it keeps; use an archive node to decide these")
        self.health.problems["pruned"] = (
            f"blocks from {self.pruned_from} read without state (logs only)")
        self.state.apply(self._trusted(obs))
        self._report_malformed(obs.number)
        self._alert_events(obs.number, own)
        self._commit(obs)

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
                    error=str(exc), path=self.config.checkpoint)
            self.health.problems["checkpoint"] = f"checkpoint not written: {exc}"
        else:
            if self.health.problems.pop("checkpoint", None):
                log(self.logger, logging.INFO, "checkpoint_recovered", block=obs.number)
        self.metrics.blocks_processed.inc()
        self.metrics.last_block.set(obs.number)
        self.health.progress(obs.number)
        self.stats.blocks += 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "metrics": self.state.to_json(),
            "holding": sorted([b, s] for b, s in self.holding),
            "timestamp": self.last_timestamp,
            "chain": list(self.chain) if self.chain else None,
            "code": dict(sorted(self.code_hashes.items())),
        }

    async def _rewind(self, node: Node, number: int) -> None:
        """Block `number` does not extend the last processed block: find the newest processed
        block still on the chain, restore its checkpoint and re-process from there."""
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
                    return
        log(self.logger, logging.ERROR, "reorg_too_deep", block=number, kept=len(hashes),
            hint="windows may be off until they roll over; raise --confirmations")
        self.last_hash = None  # accept the new branch from here

    def _report_malformed(self, number: int) -> None:
        for msg in self.state.malformed:
            self.metrics.errors.labels("malformed_log").inc()
            log(self.logger, logging.WARNING, "malformed_log", block=number, error=msg)
        self.state.malformed.clear()


@dataclass
class Silence:
    """Whether a head subscription has gone silent: twice in a row, the head asked for when
    no head came for a while (pending transactions may keep coming) was past the last head the
    subscription sent. (Once can be a race with a block arriving; an idle chain has no new
    head to miss.)"""

    notified: int  # the last head the subscription sent
    at: float  # when it did, or when the head was last asked for

    strikes: int = 0

    def notify(self, block: int, now: float) -> None:
        self.notified, self.at, self.strikes = max(self.notified, block), now, 0

    def missed(self, head: int, now: float) -> bool:
        self.at = now
        self.strikes = self.strikes + 1 if head > self.notified else 0
        return self.strikes >= 2


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
