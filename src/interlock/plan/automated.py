"""The automated half of the plan: each breaker, its threshold as written, its effect, and the
time to containment it guarantees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from interlock.ir.conditions import expanded_atoms
from interlock.ir.flow import Direction, flow_checked
from interlock.ir.nodes import Breaker, Effect, Program
from interlock.verifier.describe import fmt_duration

# docs/performance.md, "Monitor": head received -> trip sent, on a quiet 2-core machine (and
# under load). Quoted, never measured here: the plan must not depend on this machine's timing.
DECISION_LATENCY = "p50 14.5 ms, p99 23.5 ms (p99 54.5 ms on a loaded machine)"
LATENCY_SOURCE = "docs/performance.md, Monitor: head received → trip sent"

# Which incident classes a breaker answers, by the metrics its condition reads (scores expanded).
_CLASS_OF_ATOM = {
    "outflow": "fund_drain", "inflow": "fund_drain", "tvl": "fund_drain",
    "calls": "fund_drain", "metric": "fund_drain", "flow": "fund_drain",
    "deviation": "oracle_manipulation", "change": "oracle_manipulation",
    "price": "oracle_manipulation", "staleness": "feed_outage",
    "value_outflow": "fund_drain", "value_inflow": "fund_drain", "value_tvl": "fund_drain",
}


_DIRECTIONS: tuple[Direction, ...] = ("outflow", "inflow")


@dataclass(frozen=True)
class Response:
    breaker: str
    line: int
    when: str  # the condition as the rule file writes it
    effects: tuple[str, ...]
    cooldown: str | None
    trigger: str  # who makes the guard evaluate it
    containment: str  # the time to containment it guarantees
    classes: tuple[str, ...]


def classes_of(program: Program, breaker: Breaker) -> tuple[str, ...]:
    kinds = [a.kind for a in expanded_atoms(program, breaker.when)]
    return tuple(dict.fromkeys(_CLASS_OF_ATOM[k] for k in kinds if k in _CLASS_OF_ATOM))


def effect_text(program: Program, effect: Effect) -> str:
    if effect.kind == "pause":
        every = {s.name for s in program.scopes}
        names = "*" if set(effect.scopes) == every and len(every) > 1 else ", ".join(effect.scopes)
        return f"pause {names} for {fmt_duration(effect.duration)}"
    if effect.kind == "suspend":
        return f"suspend {', '.join(effect.feeds)} for {fmt_duration(effect.duration)}"
    if effect.kind == "set":
        return f"set {effect.param} to {effect.value} for {fmt_duration(effect.duration)}"
    if effect.kind == "block":
        return f"block {effect.scope or '*'} for {fmt_duration(effect.duration)}"
    if effect.kind == "hold":
        return f"hold flow for {fmt_duration(effect.duration)}"
    return f'alert "{effect.text}"'


def _paused_list(program: Program, breaker: Breaker) -> str:
    """`pause * except withdrawals`: the IR lists the scopes; say which ones."""
    return "; ".join(
        f"{e.kind} {', '.join(e.scopes)}" for e in breaker.effects
        if e.kind == "pause" and len(e.scopes) > 1
    )


def when_text(source: str, breaker: Breaker) -> str:
    """The text between `when` and `then` in the breaker's block, whitespace collapsed."""
    lines = source.splitlines()[breaker.span.line - 1 : breaker.span.end_line]
    body = " ".join(line.split("#", 1)[0] for line in lines)
    m = re.search(r"\bwhen\b(.*?)\bthen\b", body)
    return " ".join(m.group(1).split()) if m else ""


def _trigger(program: Program, breaker: Breaker) -> tuple[str, str]:
    agents = ", ".join(f"`{a.name}`" for a in program.agents) or "an agent"
    if not breaker.onchain:
        return (
            f"off chain: the monitor (agent {agents}) evaluates it on every block and trips it",
            f"the monitor's decision latency, {DECISION_LATENCY} ({LATENCY_SOURCE}), "
            "then inclusion in the next block",
        )
    flows = [
        f"{d} of {a.name}" for a in program.assets for d in _DIRECTIONS
        if breaker in flow_checked(program, a.name, d)
    ]
    if flows:
        return (
            f"on chain: the guard tries it on every reported {', '.join(flows)} "
            f"and on any `poke` (the monitor's, or anyone's)",
            "block-level: the flow that crosses the threshold trips it in its own transaction; "
            "later flows in the same block are refused",
        )
    return (
        "on chain: any `poke` (the monitor's, or anyone's) makes the guard evaluate it",
        "block-level: the first `poke` after the threshold is crossed (the monitor sends one "
        f"within its decision latency, {DECISION_LATENCY})",
    )


def responses(program: Program, source: str) -> tuple[Response, ...]:
    out = []
    for b in program.breakers:
        trigger, containment = _trigger(program, b)
        effects = tuple(effect_text(program, e) for e in b.effects)
        expanded = _paused_list(program, b)
        out.append(Response(
            breaker=b.name,
            line=b.span.line,
            when=when_text(source, b),
            effects=(*effects, f"(that is: {expanded})") if expanded and "*" in " ".join(effects)
            else effects,
            cooldown=None if b.cooldown is None else fmt_duration(b.cooldown),
            trigger=trigger,
            containment=containment,
            classes=classes_of(program, b),
        ))
    return tuple(out)
