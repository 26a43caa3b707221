"""Deciding which breakers to trigger: the reference semantics on the mirrored guard state.

For every breaker, in rule-id order, `decide` checks what the guard would check — its cooldown
(`cooldown_ok`) and its condition (compiled once by the semantics, on the measured metric
values) — plus what makes the monitor idempotent: a breaker whose effects are still live on
chain (`now < firedUntil`) or whose transaction is in flight is not sent again. A breaker with
`per sender` metrics is evaluated once per sender with a non-zero count and triggers
`tripSender` for that sender.
On-chain evaluable breakers are sent as `poke` (the guard re-checks them itself), the others as
`trip` with the agent key. Breakers whose only effects are alerts produce no transaction: they
alert once each time their condition becomes true.

Failed and suspended reads follow docs/semantics.md, "Failed reads", as the guard does: a
breaker that reads a suspended feed is not evaluated; one whose feed or token read failed at
this block holds when its state part does (`ir.trip.trip_precondition`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from interlock.compiler.triggers import Method, method_of
from interlock.ir.conditions import expanded_atoms, reads, uses_per_sender
from interlock.ir.inputs import feeds_read
from interlock.ir.nodes import Atom, Breaker, Cond, Program
from interlock.ir.trip import trip_precondition
from interlock.runtime.metrics import AtomValues
from interlock.semantics import State, StepRefused, compile_cond, metric_lookup, score_value
from interlock.semantics.cond import Compiled, MetricFn
from interlock.semantics.ops import CONCRETE
from interlock.semantics.rules import cooldown_ok

READ_KINDS = frozenset({"price", "deviation", "staleness", "tvl",  # a call at this block
                        "value_outflow", "value_inflow", "value_tvl"})  # (a value: its prices)
Values = tuple[str | None, Mapping[Atom, int], MetricFn]  # (sender, its values, their lookup)


@dataclass(frozen=True)
class Decision:
    breaker: str
    rule_id: int
    method: Method
    sender: str | None
    alerts: tuple[str, ...]
    block: int

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.breaker, self.sender)


@dataclass(frozen=True)
class Outcome:
    decisions: tuple[Decision, ...]
    evaluated: int
    holding: frozenset[tuple[str, str | None]]  # (breaker, sender) whose condition holds
    skipped: tuple[tuple[str, str], ...]  # (breaker, reason) held but not sent


def alert_texts(breaker: Breaker) -> tuple[str, ...]:
    return tuple(e.text for e in breaker.effects if e.kind == "alert")


@dataclass(frozen=True)
class RulePlan:
    """What `decide` precomputes per breaker: its conditions compiled once by the semantics
    (`compile_cond`), so a block evaluates closures instead of walking the IR."""

    breaker: Breaker
    per_sender: bool
    method: Method
    alerts: tuple[str, ...]
    feeds: tuple[str, ...]  # feeds it reads: suspended, the rule is not evaluated
    reads: tuple[Atom, ...]  # its atoms that are feed or token reads
    state_part: Cond | None  # what it is when one of those reads failed
    compiled_when: Compiled  # the breaker's condition
    compiled_state_part: Compiled | None  # `state_part`
    # A condition that reads only metrics (no state, no `per sender`) has the truth value of
    # its last evaluation while its inputs are unchanged, as they are in most blocks: `inputs`
    # picks them from `AtomValues` (by the ids of its atom objects), `memo` holds the last
    # (inputs, truth). A cache of a pure function: it cannot change what `decide` answers.
    inputs: Callable[[Mapping[int, int]], object] | None
    memo: list[object] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def for_program(cls, program: Program) -> tuple[RulePlan, ...]:
        out = []
        for b in program.breakers:
            ps = uses_per_sender(program, b.when)
            reads = tuple(a for a in expanded_atoms(program, b.when) if a.kind in READ_KINDS)
            pre = trip_precondition(program, b)
            out.append(cls(b, ps, method_of(b, ps), alert_texts(b), feeds_read(program, b),
                           reads, pre, compile_cond(program, b.when),
                           None if pre is None else compile_cond(program, pre),
                           None if ps else _inputs(program, b.when)))
        return tuple(out)

    def suspended(self, live: Collection[str]) -> str | None:
        """The first feed it reads among the `live` suspended ones."""
        for f in self.feeds:
            if f in live:
                return f
        return None

    def holds(self, state: State, values: Mapping[Atom, int], lookup: MetricFn) -> bool:
        """The condition; with a failed feed or token read, its state part (as on chain).
        `lookup` is `metric_lookup(values)`."""
        if self.inputs is not None and isinstance(values, AtomValues):
            try:
                key = values.pick(self.inputs)
            except KeyError:  # an input is unavailable: the state part decides, below
                pass
            else:
                if self.memo and self.memo[0] == key:
                    return bool(self.memo[1])
                result = bool(self.compiled_when(state, lookup))
                self.memo[:] = (key, result)
                return result
        for a in self.reads:
            if a not in values:
                pre = self.compiled_state_part
                return pre is None or bool(pre(state, lookup))
        return bool(self.compiled_when(state, lookup))


def _inputs(program: Program, when: Cond) -> Callable[[Mapping[int, int]], object] | None:
    """What a condition that reads metrics only depends on: a getter of its atoms' values by
    the ids of its atom objects (those the compiled condition looks up); None when it reads
    guard state (a pause, a suspension, a param) or no metric at all."""
    r = reads(program, when)
    if r.scopes or r.feeds or r.params:
        return None
    ids = list(dict.fromkeys(id(a) for a in expanded_atoms(program, when)))
    return operator.itemgetter(*ids) if ids else None


def decide(
    program: Program,
    rules: tuple[RulePlan, ...],
    state: State,
    metrics: Mapping[Atom, int],
    per_sender: Mapping[str, Mapping[Atom, int]],
    *,
    block: int,
    in_flight: Collection[tuple[str, str | None]] = (),
    previously_holding: Collection[tuple[str, str | None]] = (),
) -> Outcome:
    decisions: list[Decision] = []
    holding: set[tuple[str, str | None]] = set()
    skipped: list[tuple[str, str]] = []
    evaluated = 0
    no_sender: list[Values] = [(None, metrics, metric_lookup(metrics))]
    by_sender: list[Values] | None = None  # built for the first `per sender` rule
    live = [f for f, until in state.suspended_until.items() if state.now < until]
    for rule in rules:
        b = rule.breaker
        suspended = rule.suspended(live) if live else None
        if suspended is not None:
            skipped.append((b.name, f"reads suspended feed {suspended}"))
            continue
        senders = no_sender
        if rule.per_sender:
            if by_sender is None:
                by_sender = _by_sender(metrics, per_sender)
            senders = by_sender
        for sender, values, lookup in senders:
            evaluated += 1
            try:
                if not rule.holds(state, values, lookup):
                    continue
            except StepRefused as exc:  # a metric it needs could not be read at this block
                skipped.append((b.name, f"unavailable: {exc.reason}"))
                continue
            key = (b.name, sender)
            holding.add(key)
            reason = _skip_reason(rule, state, key, in_flight, previously_holding)
            if reason:
                skipped.append((b.name, reason))
                continue
            decisions.append(Decision(b.name, b.id, rule.method, sender, rule.alerts, block))
    return Outcome(tuple(decisions), evaluated, frozenset(holding), tuple(skipped))


def _by_sender(metrics: Mapping[Atom, int],
               per_sender: Mapping[str, Mapping[Atom, int]]) -> list[Values]:
    out: list[Values] = []
    for sender, vals in sorted(per_sender.items()):
        merged = _merge(metrics, vals)
        out.append((sender, merged, metric_lookup(merged)))
    return out


def _merge(metrics: Mapping[Atom, int], extra: Mapping[Atom, int]) -> Mapping[Atom, int]:
    if isinstance(metrics, AtomValues):
        return metrics.merged(extra)
    return {**metrics, **extra}


def _skip_reason(
    rule: RulePlan,
    state: State,
    key: tuple[str, str | None],
    in_flight: Collection[tuple[str, str | None]],
    previously_holding: Collection[tuple[str, str | None]],
) -> str | None:
    b = rule.breaker
    if key in in_flight:
        return "in flight"
    if rule.method == "alert":
        return "already alerted" if key in previously_holding else None
    fired = state.fired_until.get(b.name, 0)
    if not cooldown_ok(CONCRETE, fired, state.now, b.cooldown):
        return "cooldown"
    if rule.per_sender:
        return "already blocked" if key in previously_holding else None
    if fired and state.now < fired:
        return "effects live"
    return None


def scores(program: Program, state: State, metrics: Mapping[Atom, int]) -> dict[str, int]:
    """Every score's value (for logs and the agreement tests); per-sender scores are skipped."""
    out: dict[str, int] = {}
    for s in program.scores:
        try:
            out[s.name] = score_value(program, state, s.name, metrics)
        except Exception:
            continue
    return out
