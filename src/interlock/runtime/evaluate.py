"""Deciding which breakers to trigger: the reference semantics on the mirrored guard state.

For every breaker, in rule-id order, `decide` checks what the guard would check — its cooldown
(`cooldown_ok`) and its condition (`eval_cond` on the measured metric values) — plus what makes
the monitor idempotent: a breaker whose effects are still live on chain (`now < firedUntil`) or
whose transaction is in flight is not sent again. A breaker with `per sender` metrics is
evaluated once per sender with a non-zero count and triggers `tripSender` for that sender.
On-chain evaluable breakers are sent as `poke` (the guard re-checks them itself), the others as
`trip` with the agent key. Breakers whose only effects are alerts produce no transaction: they
alert once each time their condition becomes true.

Failed and suspended reads follow docs/semantics.md, "Failed reads", as the guard does: a
breaker that reads a suspended feed is not evaluated; one whose feed or token read failed at
this block holds when its state part does (`ir.trip.trip_precondition`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from interlock.compiler.triggers import Method, method_of
from interlock.ir.conditions import expanded_atoms, uses_per_sender
from interlock.ir.inputs import feeds_read
from interlock.ir.nodes import Atom, Breaker, Cond, Program
from interlock.ir.trip import trip_precondition
from interlock.runtime.metrics import AtomValues
from interlock.semantics import State, StepRefused, eval_cond, score_value
from interlock.semantics.ops import CONCRETE
from interlock.semantics.rules import cooldown_ok

READ_KINDS = frozenset({"price", "deviation", "staleness", "tvl"})  # a call at this block


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
    """What `decide` precomputes per breaker."""

    breaker: Breaker
    per_sender: bool
    method: Method
    alerts: tuple[str, ...]
    feeds: tuple[str, ...] = ()  # feeds it reads: suspended, the rule is not evaluated
    reads: tuple[Atom, ...] = ()  # its atoms that are feed or token reads
    state_part: Cond | None = None  # what it is when one of those reads failed

    @classmethod
    def for_program(cls, program: Program) -> tuple[RulePlan, ...]:
        out = []
        for b in program.breakers:
            ps = uses_per_sender(program, b.when)
            reads = tuple(a for a in expanded_atoms(program, b.when) if a.kind in READ_KINDS)
            out.append(cls(b, ps, method_of(b, ps), alert_texts(b), feeds_read(program, b),
                           reads, trip_precondition(program, b)))
        return tuple(out)

    def suspended(self, state: State) -> str | None:
        return next((f for f in self.feeds if f in state.suspended_until
                     and state.suspended(f)), None)


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
    ordered_senders = sorted(per_sender.items()) if per_sender else []
    no_sender: list[tuple[str | None, Mapping[Atom, int]]] = [(None, metrics)]
    for rule in rules:
        b = rule.breaker
        when = b.when
        senders: list[tuple[str | None, Mapping[Atom, int]]] = (
            [(s, _merge(metrics, vals)) for s, vals in ordered_senders]
            if rule.per_sender else no_sender
        )
        suspended = rule.suspended(state)
        if suspended is not None:
            skipped.append((b.name, f"reads suspended feed {suspended}"))
            continue
        for sender, values in senders:
            evaluated += 1
            try:
                if not _holds(program, rule, when, state, values):
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


def _holds(
    program: Program, rule: RulePlan, when: Cond, state: State, values: Mapping[Atom, int]
) -> bool:
    """The condition; with a failed feed or token read, its state part (as on chain)."""
    if any(a not in values for a in rule.reads):
        pre = rule.state_part
        return pre is None or eval_cond(program, pre, state, values)
    return eval_cond(program, when, state, values)


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
