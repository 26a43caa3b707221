"""Deciding which breakers to trigger: the reference semantics on the mirrored guard state.

For every breaker, in rule-id order, `decide` checks what the guard would check — its cooldown
(`cooldown_ok`) and its condition (`eval_cond` on the measured metric values) — plus what makes
the monitor idempotent: a breaker whose effects are still live on chain (`now < firedUntil`) or
whose transaction is in flight is not sent again. A breaker with `per sender` metrics is
evaluated once per sender with a non-zero count and triggers `tripSender` for that sender.
On-chain evaluable breakers are sent as `poke` (the guard re-checks them itself), the others as
`trip` with the agent key. Breakers whose only effects are alerts produce no transaction: they
alert once each time their condition becomes true.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from interlock.compiler.triggers import Method, method_of
from interlock.ir.conditions import uses_per_sender
from interlock.ir.nodes import Atom, Breaker, Program
from interlock.runtime.metrics import AtomValues
from interlock.semantics import State, StepRefused, eval_cond, score_value
from interlock.semantics.ops import CONCRETE
from interlock.semantics.rules import cooldown_ok


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

    @classmethod
    def for_program(cls, program: Program) -> tuple[RulePlan, ...]:
        out = []
        for b in program.breakers:
            ps = uses_per_sender(program, b.when)
            out.append(cls(b, ps, method_of(b, ps), alert_texts(b)))
        return tuple(out)


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
        for sender, values in senders:
            evaluated += 1
            try:
                if not eval_cond(program, when, state, values):
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
