"""The plan as data: a pure function of the program, its proof report, the sidecar's facts and
(optionally) a backtest's JSON. The templates only print it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interlock.ir.nodes import Program
from interlock.plan.automated import DECISION_LATENCY, LATENCY_SOURCE, Response, responses
from interlock.plan.bounds import Proof, ScopeBound, proofs, scope_bounds
from interlock.plan.facts import INCIDENT_CLASSES, PlanFacts
from interlock.plan.limits import known_limits
from interlock.plan.manual import Action, actions
from interlock.report.model import FileReport

TITLES = {
    "fund_drain": "Fund drain",
    "oracle_manipulation": "Oracle manipulation",
    "key_compromise": "Key compromise",
    "governance_attack": "Governance attack",
    "feed_outage": "Feed outage",
}
# The manual powers that contain (then recover from) each class, by kind.
CONTAIN = {
    "fund_drain": ("pause", "extend"),
    "oracle_manipulation": ("suspend", "pause", "set"),
    "key_compromise": ("pause", "cancel"),
    "governance_attack": ("cancel", "pause"),
    "feed_outage": ("suspend", "pause", "set"),
}
RECOVER = {
    "fund_drain": ("unpause",),
    "oracle_manipulation": ("resume", "unpause", "set"),
    "key_compromise": ("unpause", "resume"),
    "governance_attack": ("unpause", "resume"),
    "feed_outage": ("resume", "unpause"),
}


@dataclass(frozen=True)
class Told:
    name: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class IncidentPlan:
    key: str
    title: str
    owner: str | None
    severity: str | None
    responses: tuple[Response, ...]
    contain: tuple[Action, ...]
    recover: tuple[Action, ...]
    expiry: tuple[str, ...]  # what ends by itself
    window: tuple[str, ...]  # the time humans have: timelocks, what one key can do
    told: tuple[Told, ...]


@dataclass(frozen=True)
class Plan:
    protocol: str
    source: str
    facts_path: str | None
    facts: PlanFacts
    latency: str
    latency_source: str
    incidents: tuple[IncidentPlan, ...]
    actions: tuple[Action, ...]
    proofs: tuple[Proof, ...]
    scopes: tuple[ScopeBound, ...]
    limits: tuple[str, ...]


def _expiry(rs: tuple[Response, ...]) -> tuple[str, ...]:
    return tuple(
        f"`{r.breaker}`: {e} — ends by itself, then {r.cooldown or 'no'} cooldown"
        for r in rs for e in r.effects if " for " in e
    )


def _window(key: str, acts: tuple[Action, ...], proved: tuple[Proof, ...]) -> tuple[str, ...]:
    if key == "governance_attack":
        return tuple(f"`{a.role}: {a.power}` waits {a.delay.split(' ')[0]} in the guard's queue: "
                     "the time to pause or cancel before it takes effect"
                     for a in acts if a.delay != "immediate")
    if key == "key_compromise":
        return tuple(f"`{p.name}` ({p.status}): {p.states}" for p in proved
                     if p.states.startswith(("no single", "every power needs")))
    return ()


def _told(key: str, facts: PlanFacts, contain: tuple[Action, ...]) -> tuple[Told, ...]:
    inc = facts.incidents.get(key)  # type: ignore[call-overload]
    names = list(inc.notify) if inc is not None else []
    if inc is not None:
        names.insert(0, inc.owner)
    names += [a.role for a in contain]
    return tuple(Told(n, facts.contacts_of(n)) for n in dict.fromkeys(names))


def build_plan(program: Program, report: FileReport, facts: PlanFacts,
               facts_path: str | None = None, backtest: dict[str, Any] | None = None) -> Plan:
    rs = responses(program, report.source)
    acts = actions(program, report.source)
    proved = proofs(program, report)
    incidents = []
    for key in INCIDENT_CLASSES:
        mine = tuple(r for r in rs if key in r.classes)
        contain = tuple(a for k in CONTAIN[key] for a in acts if a.kind == k)
        recover = tuple(a for k in RECOVER[key] for a in acts if a.kind == k)
        inc = facts.incidents.get(key)
        incidents.append(IncidentPlan(
            key=key, title=TITLES[key],
            owner=inc.owner if inc else None, severity=inc.severity if inc else None,
            responses=mine, contain=contain, recover=recover, expiry=_expiry(mine),
            told=_told(key, facts, contain), window=_window(key, acts, proved),
        ))
    return Plan(
        protocol=program.protocol, source=program.source_path, facts_path=facts_path, facts=facts,
        latency=DECISION_LATENCY, latency_source=LATENCY_SOURCE,
        incidents=tuple(incidents), actions=acts, proofs=proved,
        scopes=scope_bounds(program, proved),
        limits=known_limits(program, rs, proved, backtest),
    )
