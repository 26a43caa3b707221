"""What the proofs guarantee during an incident: pause bounds per scope, coalition minimums,
and the invariants as the verifier left them (proved, unknown with its depth, or violated)."""

from __future__ import annotations

from dataclasses import dataclass

from interlock.ir.nodes import (
    Invariant,
    MinCoalitionProp,
    NeverLockedProp,
    NoUnilateralProp,
    PausedAtMostProp,
    Program,
)
from interlock.report.model import FileReport
from interlock.verifier.describe import fmt_duration
from interlock.verifier.result import PropertyResult


@dataclass(frozen=True)
class Proof:
    name: str
    line: int
    states: str  # what it asserts, in words
    status: str  # proved | violated | unknown
    detail: str  # the method; for unknown the depth/reason
    assuming: tuple[str, ...]


@dataclass(frozen=True)
class ScopeBound:
    scope: str
    declared: str  # the guard's own clamp: `max 72h gap 24h`, or `none`
    exit_again: str  # when users can use the scope again, in words
    proofs: tuple[str, ...]  # names of the invariants about it


def _states(inv: Invariant) -> str:
    p = inv.prop
    if isinstance(p, PausedAtMostProp):
        gap = f", then open at least {fmt_duration(p.open_gap)}" if p.open_gap else ""
        return f"`{p.scope}` is never paused longer than {fmt_duration(p.limit)} at a stretch{gap}"
    if isinstance(p, NeverLockedProp):
        return f"`{p.scope}` is never paused forever"
    if isinstance(p, NoUnilateralProp):
        return f"no single {p.by} can use any power"
    if isinstance(p, MinCoalitionProp):
        return f"every power needs at least {p.n} {p.by}s"
    return "the condition holds in every reachable state"


def _detail(result: PropertyResult | None) -> tuple[str, str]:
    if result is None:
        return "unknown", "not checked"
    if result.status == "unknown":
        depth = f" to depth {result.depth}" if result.depth is not None else ""
        return "unknown", f"{result.method}{depth}; {result.reason or 'no proof'}"
    if result.status == "proved" and result.bound is not None:
        return "proved", f"{result.method}; upper bound {fmt_duration(result.bound)}"
    return result.status, result.method


def proofs(program: Program, report: FileReport) -> tuple[Proof, ...]:
    by_name = {r.name: r for r in report.properties}
    out = []
    for inv in program.invariants:
        status, detail = _detail(by_name.get(inv.name))
        out.append(Proof(inv.name, inv.span.line, _states(inv), status, detail,
                         tuple(getattr(inv.prop, "assuming", ()))))
    return tuple(out)


def scope_bounds(program: Program, proved: tuple[Proof, ...]) -> tuple[ScopeBound, ...]:
    about: dict[str, list[str]] = {}
    for inv in program.invariants:
        if isinstance(inv.prop, PausedAtMostProp | NeverLockedProp):
            about.setdefault(inv.prop.scope, []).append(inv.name)
    status = {p.name: p.status for p in proved}
    out = []
    for s in program.scopes:
        parts = [f"max {fmt_duration(s.max_pause)}" if s.max_pause else "",
                 f"gap {fmt_duration(s.gap)}" if s.gap else ""]
        declared = " ".join(p for p in parts if p) or "none"
        if s.max_pause:
            exit_again = (f"at most {fmt_duration(s.max_pause)} after a pause starts, whoever "
                          "paused it (the guard clamps every pause)")
            if s.gap:
                exit_again += f"; then open at least {fmt_duration(s.gap)}"
        else:
            exit_again = "when the longest pause in force ends or a power unpauses it (no clamp)"
        names = tuple(f"{n} ({status[n]})" for n in about.get(s.name, ()))
        out.append(ScopeBound(s.name, declared, exit_again, names))
    return tuple(out)
