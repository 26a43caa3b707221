"""Replay one trace through the guard's and the monitor's own code (docs/backtest.md, "Replay").

Nothing here re-implements the rules. The guard's state is the reference semantics' `State`
and changes only through its transition rules (`semantics_rules.fire`); the guard's flow windows
and the monitor's metrics are `runtime.metrics.MetricState` (the monitor's own code, windows
from `runtime.windows`); the monitor's choices are `runtime.evaluate.decide`; the breakers a
flow report checks are `ir.flow.flow_checked`, which the Solidity generator reads.

One block, in this order: time moves to the block's timestamp; the transactions the monitor
decided at the previous block are mined first (`poke`, `trip`, `tripSender`: one block of
latency); then the block's feed rounds apply; then its flows in order — a flow whose scope is
paused or whose sender is blocked reverts, a guarded flow is reported to the guard, which adds it
to its windows and tries `flow_checked` breakers (a firing refuses the flow, or holds it when
the rule has `hold flow`: a held flow stays counted and does not move; the backtest does not
replay its claim after the delay); end-of-block
balances apply; the monitor counts the block and decides what to send next.
"""

from __future__ import annotations

from collections.abc import Mapping

from interlock.backtest.effects import describe_effects, pause_changes
from interlock.backtest.results import (
    AgentCall,
    Alert,
    FiredBy,
    Firing,
    FlowStatus,
    Series,
    StoppedFlow,
    TraceResult,
)
from interlock.backtest.trace import Block, Flow, Header
from interlock.backtest.world import Pair, World
from interlock.ir.flow import flow_checked, hold_duration
from interlock.ir.metric_arith import saturate
from interlock.ir.nodes import Atom, Breaker, Program
from interlock.runtime.evaluate import Decision, RulePlan, decide
from interlock.runtime.metrics import MetricPlan, MetricState
from interlock.runtime.observe import BlockObservation, FeedRound, LogEntry, TxEntry
from interlock.semantics import State, StepRefused, initial_state
from interlock.semantics.ops import CONCRETE
from interlock.semantics.rules import fire
from interlock.semantics.state import at_time
from interlock.verifier.describe import fmt_duration

PRUNE_EVERY = 64  # blocks between prunes of the guard's windows (bounded memory)


def try_fire(program: Program, state: State, b: Breaker, metrics: Mapping[Atom, int],
             sender: str | None = None) -> tuple[State | None, str]:
    """The guard's attempt to fire `b`: the next state, or None and the refusal's reason."""

    def lookup(atom: Atom) -> int:
        if atom not in metrics:
            raise StepRefused(f"no value for metric {atom.kind}({atom.target})")
        return metrics[atom]

    try:
        guards, nxt = fire(CONCRETE, program, state, b, lookup, sender)
    except StepRefused as exc:
        return None, exc.reason
    for reason, ok in guards:
        if not ok:
            return None, reason
    return nxt, ""


class Engine:
    """Replays blocks with the rules in force (`enforce`) or without them (every flow moves)."""

    def __init__(self, program: Program, header: Header, path: str, *, enforce: bool = True):
        self.program, self.header, self.enforce = program, header, enforce
        self.world = World.of(program, path)
        self.plan = MetricPlan.from_program(program)
        self.world.check_header(header, self.plan)
        self.rules = RulePlan.for_program(program)
        self.monitor = MetricState(self.plan)
        self.guard = MetricState(self.plan)  # only the flows the guard counted
        self.checks = {(a.name, d): flow_checked(program, a.name, d)
                       for a in program.assets for d in ("outflow", "inflow")}
        self.recorded: dict[Pair, int] = {}  # balances as the trace has them (no rules)
        self.offset: dict[Pair, int] = {}  # what stopped flows kept in (or out of) each vault
        for vault, assets in header.start.balances.items():
            for asset, amount in assets.items():
                self.recorded[self.world.pair(vault, asset)] = amount
        self.rounds: dict[str, FeedRound] = {}
        self.reads: dict[str, int | None] = dict(header.start.reads)  # custom state reads
        self._rounds(header.start.feeds, header.start.references)
        self.attackers = frozenset(a.lower() for a in (
            header.incident.attackers if header.incident else ()))
        self.state: State | None = None
        self.pending: list[Decision] = []
        self.holding: frozenset[tuple[str, str | None]] = frozenset()
        # sent at the previous block, mined in this one: the monitor holds them in flight until
        # it has processed this block, so it does not send them again here
        self.in_flight: frozenset[tuple[str, str | None]] = frozenset()
        self.result = TraceResult(path, header.name, header.kind)
        if header.incident is not None:
            self.result.containable = header.incident.containable
            self.result.why_not = header.incident.why_not

    # --- the block loop -------------------------------------------------------------------

    def block(self, b: Block, line: int) -> None:
        self.world.check_block(line, b)
        r = self.result
        if self.state is None:
            self.state = initial_state(self.program, t0=max(b.time, 1))
            r.first_block, r.start = b.block, b.time
        self.state = at_time(self.state, b.time)
        r.last_block, r.end, r.blocks = b.block, b.time, r.blocks + 1
        if self.enforce:
            self._send_pending(b)
        self._rounds(b.feeds, b.references)
        logs: list[LogEntry] = []
        txs: list[TxEntry] = []
        for index, flow in enumerate(b.flows):
            tx = flow.tx or f"{b.block}:{index}"
            txs.append(self.world.flow_tx(flow, tx))
            if self._flow(b, index, flow):
                logs.append(self.world.transfer(flow, tx, len(logs)))
        for index, call in enumerate(b.calls):
            txs.append(TxEntry(call.tx or f"{b.block}:c{index}", call.sender.lower(),
                               call.to.lower()))
        for index, log in enumerate(b.logs):
            logs.append(self.world.log(log, log.tx or f"{b.block}:l{index}", len(logs)))
        for vault, assets in b.balances.items():
            for asset, amount in assets.items():
                self.recorded[self.world.pair(vault, asset)] = amount
        self.reads.update(b.reads)
        if self.enforce:
            self._monitor(b, tuple(logs), tuple(txs))
        if b.block % PRUNE_EVERY == 0:
            self.guard.prune(b.time)
        self._chart(b)

    # --- flows ----------------------------------------------------------------------------

    def _flow(self, b: Block, index: int, flow: Flow) -> bool:
        """Whether the flow moved funds (with the rules in force)."""
        attacker = flow.sender.lower() in self.attackers
        status = self._gate(b, flow) if self.enforce else None
        moved = status is None
        tally = self.result.attacker if attacker else self.result.ordinary
        tally.add(flow.asset, flow.direction, flow.amount, moved)
        pair = self.world.pair(flow.vault, flow.asset)
        sign = -1 if flow.direction == "out" else 1
        self.recorded[pair] = self.recorded.get(pair, 0) + sign * flow.amount
        if attacker:
            if self.result.first_attack is None:
                self.result.first_attack = (b.block, b.time)
            if moved and flow.direction == "out":
                self.result.last_attack_moved = (b.block, b.time)
        if status is not None:
            self.offset[pair] = self.offset.get(pair, 0) - sign * flow.amount
            self.result.stopped.append(StoppedFlow(
                b.block, index, flow.sender.lower(), flow.vault, flow.asset, flow.direction,
                flow.amount, status, attacker))
        return moved

    def _gate(self, b: Block, flow: Flow) -> FlowStatus | None:
        """None when the call goes through; else why it did not move funds."""
        st = self.state
        assert st is not None
        if flow.scope is not None:
            if st.paused(flow.scope):
                return "paused"
            sender = flow.sender.lower()
            blocked = max(st.blocked_until.get((sender, flow.scope), 0),
                          st.blocked_until.get((sender, "*"), 0))
            if st.now < blocked:
                return "blocked"
        if not flow.guarded:
            return None
        direction = "outflow" if flow.direction == "out" else "inflow"
        series = [w for a, w in self.guard.flows.items()
                  if a.kind == direction and a.target == flow.asset]
        for w in series:
            w.add(b.time, flow.amount)
        # the report sees the tvl after its flow, as poke and the monitor do (docs/semantics.md)
        pair = self.world.pair(flow.vault, flow.asset)
        after = {pair: flow.amount if direction == "inflow" else -flow.amount}
        values = dict(self.guard.values(self._observation(b, (), (), after)))
        if direction == "outflow":  # `flow(ASSET)`: the outflow being reported
            values[Atom(kind="flow", target=flow.asset)] = saturate(flow.amount)
        fired = held = False
        for breaker in self.checks[(flow.asset, direction)]:
            if not self._fire(b, breaker, values, "flow", flow.sender.lower(), None):
                held |= hold_duration(breaker) is not None
                fired |= hold_duration(breaker) is None
        if fired:
            for w in series:
                w.add(b.time, -flow.amount)  # the guard takes the refused flow back
            return "refused"
        return "held" if held else None  # a held flow stays counted (docs/semantics.md)

    # --- the agent's transactions ---------------------------------------------------------

    def _send_pending(self, b: Block) -> None:
        sent, self.pending = self.pending, []
        self.in_flight = frozenset(d.key for d in sent)
        for d in sent:
            breaker = self.program.breaker(d.breaker)
            if d.method == "poke":
                values: Mapping[Atom, int] = self.guard.values(self._observation(b, (), ()))
            else:
                values = {}
            by: FiredBy = "poke" if d.method == "poke" else (
                "tripSender" if d.method == "tripSender" else "trip")
            refusal = self._fire(b, breaker, values, by, None, d.sender)
            self.result.agent.append(AgentCall(d.breaker, d.method, d.sender, d.block, b.block,
                                               not refusal, refusal))

    def _fire(self, b: Block, breaker: Breaker, values: Mapping[Atom, int], by: FiredBy,
              caller: str | None, sender: str | None) -> str:
        """Try to fire `breaker` on the guard: "" when it fired, else the refusal's reason."""
        st = self.state
        assert st is not None
        nxt, reason = try_fire(self.program, st, breaker, values, sender)
        if nxt is None:
            return reason
        self.state = nxt
        for scope, span in pause_changes(self.program, st, nxt):
            self.result.pauses.setdefault(scope, []).append(span)
        effects = describe_effects(self.program, st, nxt)
        hold = hold_duration(breaker) if by == "flow" else None
        if hold is not None:  # a hold changes no shared state, so the diff does not show it
            effects = (f"hold the flow for {fmt_duration(hold)}", *effects)
        self.result.firings.append(Firing(breaker.name, b.block, b.time, by,
                                          sender or (caller if by == "flow" else None), effects))
        return ""

    # --- the monitor ----------------------------------------------------------------------

    def _monitor(self, b: Block, logs: tuple[LogEntry, ...], txs: tuple[TxEntry, ...]) -> None:
        obs = self._observation(b, logs, txs)
        self.monitor.apply(obs)
        values = self.monitor.values(obs)
        per_sender = self.monitor.per_sender_values(obs)
        assert self.state is not None
        out = decide(self.program, self.rules, self.state, values, per_sender, block=b.block,
                     in_flight=self.in_flight, previously_holding=self.holding)
        self.holding = out.holding
        for d in out.decisions:
            for text in d.alerts:
                self.result.alerts.append(Alert(d.breaker, b.block, text))
            if d.method != "alert":
                self.pending.append(d)

    def _observation(self, b: Block, logs: tuple[LogEntry, ...], txs: tuple[TxEntry, ...],
                     pending: Mapping[Pair, int] | None = None) -> BlockObservation:
        """The block as the node serves it; `pending`: a reported flow not yet recorded."""
        balances = {p: v + self.offset.get(p, 0) + (pending or {}).get(p, 0)
                    for p, v in self.recorded.items()}
        return BlockObservation(b.block, "", "", b.time, logs, txs, balances, dict(self.rounds),
                                reads={k: v for k, v in self.reads.items() if v is not None})

    def _rounds(self, feeds: Mapping[str, object], refs: Mapping[str, object]) -> None:
        for table, rounds in ((self.world.feed, feeds), (self.world.reference, refs)):
            for name, rnd in rounds.items():
                self.rounds[table[name]] = FeedRound(rnd.answer, rnd.updated_at)  # type: ignore[attr-defined]

    def _chart(self, b: Block) -> None:
        r = self.result
        for asset, address in self.world.asset.items():
            kept = r.tvl_without.get(asset)
            if kept is not None and not kept.due:  # decimated: no point kept, skip the sums
                kept.skip()
                r.tvl_with[asset].skip()
                continue
            pairs = [p for p in self.recorded if p[0] == address]
            if not pairs:
                continue
            without = sum(self.recorded[p] for p in pairs)
            r.tvl_without.setdefault(asset, Series()).add(b.time, without)
            r.tvl_with.setdefault(asset, Series()).add(
                b.time, without + sum(self.offset.get(p, 0) for p in pairs))
        for feed, address in self.world.feed.items():
            if address in self.rounds:
                r.prices.setdefault(feed, Series()).add(b.time, self.rounds[address].answer)
