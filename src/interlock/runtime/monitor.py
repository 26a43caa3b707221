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
from dataclasses import dataclass, field, replace
from typing import Any

from eth_account.signers.local import LocalAccount

from interlock.compiler.codehash import CodeFingerprint
from interlock.ir.nodes import Atom, Program
from interlock.runtime.acting import Acting, Key
from interlock.runtime.alerts import AlertContext, Alerter
from interlock.runtime.checkpoint import CheckpointStore
from interlock.runtime.evaluate import Decision, Outcome, RulePlan, decide
from interlock.runtime.executor import Executor, RpcError
from interlock.runtime.guard_events import Severities
from interlock.runtime.ingest import ConnectionLost, Node, block_logs
from interlock.runtime.metrics import MetricPlan, MetricState, metric_key
from interlock.runtime.mirror import decode_guard, guard_calls, param_mismatches, to_state
from interlock.runtime.monitor_stats import Stats
from interlock.runtime.node_checks import NodeChecks, StartRefused
from interlock.runtime.observe import BlockObservation, LogEntry
from interlock.runtime.ops import Health, MonitorMetrics, log, make_logger
from interlock.runtime.persisting import Persisting
from interlock.runtime.phases import Phases, joined
from interlock.runtime.rebuild import Rebuild, Rebuilding, Reorg
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
    guard_code: CodeFingerprint | None = None  # the build's guard; None: not compared
    code_check_s: float = 60.0  # the watched contracts' code read again this often
    rebuild_max_blocks: int = 10_000  # how far back a rebuild after a deep reorg reads at most
    # the chain ids `interlock deploy`'s record (`deployment`) has the guard on; empty: the
    # node's chain is compared with the checkpoint's only
    deployed_on: frozenset[int] = frozenset()
    deployment: str | None = None


class Monitor(Acting, NodeChecks, Persisting, Rebuilding):
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
        self.guard_code = config.guard_code
        self.code_check_s, self.code_checked = config.code_check_s, 0.0
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
        self.phases = Phases.of(program, self.rules)
        self.guard_calls = guard_calls(program)
        self.store = CheckpointStore(config.checkpoint, config.guard, refuse_empty=True)
        self.state = MetricState(self.plan)
        self._committed: dict[str, Any] = self.state.to_json()  # as of the last processed block
        self.chain: tuple[int, str] | None = None  # (chain id, genesis hash) of the checkpoint
        self.deployed_on, self.deployment = config.deployed_on, config.deployment
        self.holding: frozenset[tuple[str, str | None]] = frozenset()
        self.in_flight: set[tuple[str, str | None]] = set()
        self.failing: dict[tuple[str, str | None], int] = {}
        self.next_block: int | None = None
        self.last_hash: str | None = None
        self.last_timestamp = 0
        self.rebuild: Rebuild | None = None  # windows being rebuilt after a deep reorg
        self.rebuild_max_blocks = config.rebuild_max_blocks
        self.stats = Stats()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._settling: dict[tuple[str, str | None], int] = {}
        self.head_seen = 0
        self.pruned_from: int | None = None  # first block read without state, in this run
        # the decisions a block could lead to (poke/trip), estimated with its reads at the head
        self.armed = tuple(Decision(r.breaker.name, r.breaker.id, r.method, None, r.alerts, 0)
                           for r in self.rules if r.method in ("poke", "trip"))
        self._restore()

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
                if not lost:  # connected, but the block is not processed: not healthy
                    self._retrying(f"rpc error: {exc}")
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
                self._retrying(f"internal error: {exc!r}")
                log(self.logger, logging.ERROR, "internal_error", error=repr(exc),
                    block=self.next_block, retry_in_s=backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.config.max_backoff_s)
            finally:
                await node.close()

    def _retrying(self, why: str) -> None:
        """`/health` problem `retrying` until a block is processed (`_commit`) or a catch-up
        completes (`_catch_up`): a node that answers heads but fails every block keeps the lag
        small and the contact fresh, and must not look healthy."""
        self.health.problems["retrying"] = (
            f"block {self.next_block} not processed ({why}), retrying")

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
            await self._recheck_code(node)
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
        self._node_behind(target)
        while self.next_block <= target and not stop.is_set():
            try:
                await self._process(node, executor, self.next_block, received)
            except Reorg:
                if not await self._rewind(node, self.next_block):  # deeper than the checkpoints
                    await self._rebuild(node, self.next_block)
                continue
            self.next_block += 1
            lag = max(target - self.next_block + 1, 0)
            self.metrics.lag_blocks.set(lag)
            self.health.contact(lag)
            received = time.perf_counter()
        self.health.problems.pop("retrying", None)

    # --- one block ----------------------------------------------------------------------------

    async def _process(self, node: Node, executor: Executor, number: int,
                       received: float) -> None:
        """Block `number`: its state and its logs are read concurrently; the breakers that
        read no logs are decided (and sent) as soon as the state answers (`phases`)."""
        if self.rebuild is not None and number < self.rebuild.resume:
            await self._rebuild_block(node, number)
            return
        cpu0 = time.process_time()
        views = self.guard_calls
        at_head = number >= self.head_seen
        pre_requests = executor.precheck_requests(list(self.armed), number) if at_head else []
        logs_read = asyncio.ensure_future(
            node.fetch_logs(self.plan, number, [{"address": self.config.guard}]))
        try:
            obs, replies = await node.fetch_state(
                self.plan, number, [(self.config.guard, c.data) for c in views], pre_requests)
            fetched = time.perf_counter()
            if self.last_hash and obs.parent_hash != self.last_hash:
                raise Reorg(number)
            self._check_header(obs)
            if obs.state_pruned:
                self._logs_only(*self._with_logs(obs, await logs_read))
                return
            self._state_back(number)
            guard_state = self._guard_state(obs, replies[: len(views)])
            pre_replies = replies[len(views):]
            prechecks = {d.key: (r, pre_replies[-1])
                         for d, r in zip(self.armed, pre_replies, strict=False)}
            outcome, values, counted = await self._decide_block(
                executor, obs, guard_state, received, prechecks, logs_read)
        finally:
            _settle(logs_read)
        if counted or outcome.decisions:
            log(self.logger, logging.INFO, "block", number=number, events=counted,
                decisions=[d.breaker for d in outcome.decisions],
                fetch_ms=round((fetched - received) * 1000, 2),
                total_ms=round((time.perf_counter() - received) * 1000, 2),
                cpu_ms=round((time.process_time() - cpu0) * 1000, 2),
                metrics={metric_key(a): v for a, v in values.items()})

    def _with_logs(self, obs: BlockObservation, replies: list[Any]
                   ) -> tuple[BlockObservation, tuple[LogEntry, ...]]:
        """`obs` with its logs (those of contracts whose code changed left out), and the
        guard's own logs."""
        logs, (own,) = block_logs(replies, self.plan, obs.number, obs.block_hash)
        return self._trusted(replace(obs, logs=logs)), own

    def _guard_state(self, obs: BlockObservation, replies: Sequence[Any]) -> State:
        view = decode_guard(self.guard_calls, replies, obs.number, obs.timestamp)
        for err in obs.errors:
            self.metrics.errors.labels("read").inc()
            log(self.logger, logging.WARNING, "read_failed", block=obs.number, error=err)
        self._custom_read_health(obs)
        guard_state = to_state(self.program, view)
        for name in param_mismatches(self.program, view, guard_state):
            log(self.logger, logging.WARNING, "param_mirror_mismatch", block=obs.number,
                param=name)
        return guard_state

    def _custom_read_health(self, obs: BlockObservation) -> None:
        """`/health` is degraded (problem `reads`) while a custom state read fails: the rules
        that use it cannot be decided (docs/monitor.md, "Custom state reads")."""
        failed = [r.name for r in self.plan.reads if r.name not in obs.reads]
        if failed and not obs.state_pruned:
            self.health.problems["reads"] = (f"custom read{'s' if len(failed) > 1 else ''} "
                                             f"{', '.join(failed)} failed at block {obs.number}")
        else:
            self.health.problems.pop("reads", None)

    async def _decide_block(self, executor: Executor, obs: BlockObservation,
                            guard_state: State, received: float,
                            prechecks: dict[Key, tuple[Any, Any]],
                            logs_read: asyncio.Future[list[Any]],
                            ) -> tuple[Outcome, Mapping[Atom, int], int]:
        number = obs.number
        # before counting: the early rules read no window, only this block's state
        early = self._decide(self.phases.early, guard_state, self.state.values(obs), {}, number)
        acting = self._act_all(executor, early, obs, received, prechecks)
        obs, own = self._with_logs(obs, await logs_read)
        committed = self._committed
        counted = self.state.apply(obs)
        try:
            self._report_malformed(number)
            self.metrics.events_seen.labels("log").inc(len(obs.logs))
            self.metrics.events_seen.labels("tx").inc(len(obs.txs))
            values = self.state.values(obs)
            late = self._decide(self.phases.late, guard_state, values,
                                self.state.per_sender_values(obs), number)
            await asyncio.gather(acting, self._act_all(executor, late, obs, received, prechecks))
            self._alert_events(number, own)
        except BaseException:  # the block will be re-read: its events must not count twice
            self.state = MetricState.from_json(self.plan, committed)
            raise
        outcome = joined(early, late)
        self.holding = outcome.holding
        for key in self.failing.keys() - outcome.holding:  # the episode is over
            del self.failing[key]
        for key in [k for k, b in self._settling.items() if b <= number]:
            del self._settling[key]
            self.in_flight.discard(key)
        self.stats.record(number, values, outcome.holding)
        self._commit(obs)
        return outcome, values, counted

    def _decide(self, rules: tuple[RulePlan, ...], guard_state: State,
                values: Mapping[Atom, int], per_sender: Mapping[str, Mapping[Atom, int]],
                number: int) -> Outcome:
        outcome = decide(self.program, rules, guard_state, values, per_sender, block=number,
                         in_flight=self.in_flight, previously_holding=self.holding)
        self.metrics.rules_evaluated.inc(outcome.evaluated)
        for name, reason in outcome.skipped:
            self.metrics.trips_skipped.labels(name, reason.split(":")[0]).inc()
        return outcome

    def _act_all(self, executor: Executor, outcome: Outcome, obs: BlockObservation,
                 received: float, prechecks: dict[Key, tuple[Any, Any]]
                 ) -> asyncio.Future[list[None]]:
        """Send `outcome`'s decisions now, concurrently; in flight from this moment, so a
        block re-read after a failure (its logs did not come) does not send them again."""
        for d in outcome.decisions:
            if d.method != "alert":
                self.in_flight.add(d.key)
        acting = asyncio.gather(*(self._act(executor, d, obs, received, prechecks.get(d.key))
                                  for d in outcome.decisions))
        self._tasks.add(acting)
        acting.add_done_callback(self._tasks.discard)
        return acting

    def _state_back(self, number: int) -> None:
        if self.pruned_from is not None:
            log(self.logger, logging.INFO, "state_available", block=number,
                read_without_state=number - self.pruned_from)
            self.pruned_from = None
            self.health.problems.pop("pruned", None)

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
        self.state.apply(obs)
        self._report_malformed(obs.number)
        self._alert_events(obs.number, own)
        self._commit(obs)

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


def _settle(task: asyncio.Future[Any]) -> None:
    """A read the block no longer needs (it failed or was replaced): cancel it, and take its
    exception so that it is not reported as never retrieved."""
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    task.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
