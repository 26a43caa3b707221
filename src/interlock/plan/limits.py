"""What the rules cannot contain, said plainly: from the rules and the proofs, and from a
backtest's JSON (`interlock backtest --format json`) when one is given."""

from __future__ import annotations

from typing import Any

from interlock.ir.nodes import Power, Program
from interlock.plan.automated import Response
from interlock.plan.bounds import Proof
from interlock.plan.facts import INCIDENT_CLASSES
from interlock.verifier.describe import fmt_duration, fmt_step


def _static(program: Program, rs: tuple[Response, ...], proved: tuple[Proof, ...]) -> list[str]:
    out = []
    answered = {c for r in rs for c in r.classes}
    for key in INCIDENT_CLASSES:
        if key not in answered:
            out.append(f"{key.replace('_', ' ')}: no breaker detects it; the response is manual")
    offchain = [r.breaker for r in rs if r.trigger.startswith("off chain")]
    if offchain:
        names = ", ".join(f"`{n}`" for n in offchain)
        out.append(f"{names} fire only while the monitor runs with the agent's key funded")
    for p in proved:
        if p.assuming:
            out.append(f"`{p.name}` holds only if {', '.join(f'`{a}`' for a in p.assuming)} "
                       "acts honestly (an `assuming` of the invariant)")
        if p.status != "proved":
            out.append(f"`{p.name}` is {p.status} ({p.detail}): not a guarantee")
    for s in program.scopes:
        if s.gap:
            out.append(f"`{s.name}`: a new pause within {fmt_duration(s.gap)} of the last one "
                       "ending is refused (its `gap`), so a drain can resume then")
    out += [_step_limit(program, w) for w in program.powers if w.step is not None]
    out.append("funds that leave by a path that never reports a flow to the guard are not seen")
    return out


def _step_limit(program: Program, w: Power) -> str:
    """What a step bound does not bound: moves add up (or compound) over many periods."""
    assert w.step is not None
    t = w.targets[0]
    param = program.param(t)
    lo, hi = w.within or (param.min, param.max)
    grows = ("the moves compound over periods, and from 0 it cannot move"
             if w.step.relative else "the moves add up over periods")
    return (f"`{w.role}` may move `{t}` {fmt_step(w.step)} either way, checked when the "
            f"operation executes; {grows}, within [{max(lo, param.min)}, {min(hi, param.max)}]")


def _from_backtest(data: dict[str, Any]) -> list[str]:
    out = []
    for trace in data.get("traces", []):
        incident = trace.get("incident")
        if trace.get("kind") != "incident" or not incident or incident.get("contained"):
            continue
        taken = ", ".join(f"{v} {k} (base units)" for k, v in
                          sorted(incident.get("attacker_out_with_rules", {}).items()))
        why = incident.get("why_not")
        out.append(f"backtest `{trace.get('name')}` ({trace.get('path')}): not contained; "
                   f"attackers took {taken or 'nothing'} with the rules"
                   + (f" — {why}" if why else ""))
    return out


def known_limits(program: Program, rs: tuple[Response, ...], proved: tuple[Proof, ...],
                 backtest: dict[str, Any] | None) -> tuple[str, ...]:
    return tuple(_static(program, rs, proved) + (_from_backtest(backtest) if backtest else []))
