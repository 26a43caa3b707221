"""Scopes before and after: `max`, `gap`, and the tightest proved bound on a continuous pause.

The bound is the verifier's `never locked forever` search (`temporal_bound`) with every role
assumed: it is what automation alone (breakers, their cooldowns, `max`, `gap`, time) can
force on the scope. Powers are compared on their own (`powers`), each with its coalition,
`at most` and cooldown. "Locked forever" is an infinite bound.

The bound is searched only when the scope's cone of influence changed (`symbolic.
slice_program`: the breakers that can pause it, what their conditions read, the scopes and
params in it). The search reports the tightest bound it proves, which need not be the exact
one, so a bound that looks longer is checked against the other version: the new rules are
asked to prove the old bound (`paused at most`); proved, there is no change; refuted, the
replayed counterexample is the evidence; undecided, the guarantee that can be proved is
weaker and the change says so. A shorter bound is checked the same way. A search that
decides nothing makes the change `incomparable`.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.ir import codes as C
from interlock.ir.conditions import score_refs
from interlock.ir.nodes import Invariant, NeverLockedProp, PausedAtMostProp, Program, Scope
from interlock.verifier.describe import fmt_duration
from interlock.verifier.diff.model import (
    INF,
    Aspect,
    Change,
    Verdict,
    change,
    duration,
    same,
    shown,
)
from interlock.verifier.diff.named import Presence, by_name
from interlock.verifier.diff.rename import meaning
from interlock.verifier.result import PropertyResult
from interlock.verifier.symbolic import Slice, slice_program
from interlock.verifier.temporal import check_temporal


@dataclass(frozen=True)
class Bound:
    """The longest continuous pause automation can force: seconds, INF, or None (unknown)."""

    value: float | None
    text: str
    evidence: str


def _steps(result: PropertyResult) -> str:
    cex = result.counterexample
    if cex is None:
        return ""
    return "; ".join(f"+{fmt_duration(r.time)} {r.actor}: {r.action}" for r in cex.timeline)


def _assume_all(program: Program) -> tuple[str, ...]:
    return tuple(r.name for r in program.roles)


def cone(program: Program, scope: str) -> object:
    """What the pause bound of `scope` depends on: its cone of influence, by meaning."""
    sl = slice_program(program, Slice(scopes={scope}, history={scope}), _assume_all(program))
    scores = sorted({name for b in sl.breakers for name in score_refs(b.when)})
    return meaning([sorted(sl.breakers, key=lambda b: b.name),
                    [program.scope(s) for s in sorted(sl.scopes)],
                    [program.param(p) for p in sorted(sl.params)],
                    [program.score(n) for n in scores]])


def _check(program: Program, prop: NeverLockedProp | PausedAtMostProp,
           timeout_s: float) -> PropertyResult:
    inv = Invariant(name=f"{prop.scope} pause bound", prop=prop, span=program.span)
    return check_temporal(program, inv, timeout_s)


def pause_bound(program: Program, scope: str, timeout_s: float) -> Bound:
    """The tightest proved bound on a continuous pause of `scope`, every role assumed."""
    res = _check(program, NeverLockedProp(scope=scope, assuming=_assume_all(program)), timeout_s)
    if res.status == "proved" and res.bound is not None:
        text = "never paused" if res.bound == 0 else f"at most {fmt_duration(res.bound)}"
        tight = bool(res.bound_tight) or res.bound == 0
        kind = "tight" if tight else "an upper bound"
        return Bound(res.bound, text, f"{text} ({kind}, {res.method})")
    if res.status == "violated":
        return Bound(INF, "locked forever possible", f"paused forever by: {_steps(res)}")
    return Bound(None, "not decided", res.reason or "no bound proved and no lasso found")


def _holds(program: Program, scope: str, limit: int, timeout_s: float) -> PropertyResult:
    prop = PausedAtMostProp(scope=scope, limit=limit, open_gap=None,
                            assuming=_assume_all(program))
    return _check(program, prop, timeout_s)


def _confirmed(old: Program, new: Program, scope: str, b_old: Bound, b_new: Bound,
               timeout_s: float) -> tuple[Verdict, str] | None:
    """The verdict of two different bounds once the tighter one is tried on the other
    version (None: it holds there too, so nothing changed)."""
    assert b_old.value is not None and b_new.value is not None
    longer = b_new.value > b_old.value
    tight, loose = (b_old, b_new) if longer else (b_new, b_old)
    verdict: Verdict = "weakens" if longer else "strengthens"
    if tight.value == INF or loose.value == INF or tight.value is None:
        return verdict, f"before: {b_old.evidence}; now: {b_new.evidence}"
    other = new if longer else old
    res = _holds(other, scope, int(tight.value), timeout_s)
    which = "the new rules" if longer else "the old rules"
    if res.status == "proved":
        return None
    if res.status == "violated":
        return verdict, (f"{which} pause it longer than {fmt_duration(int(tight.value))}: "
                         f"{_steps(res)}")
    return verdict, (f"{which} are proved to pause it at most {loose.text[len('at most '):]}, "
                     f"not {fmt_duration(int(tight.value))} (not decided in {timeout_s:g}s)")


def _bound_aspect(old: Program, new: Program, scope: str, timeout_s: float,
                  every: bool) -> Aspect | None:
    if cone(old, scope) == cone(new, scope):
        return same("pause bound", pause_bound(new, scope, timeout_s).text) if every else None
    b_old, b_new = pause_bound(old, scope, timeout_s), pause_bound(new, scope, timeout_s)
    if b_old.value is None or b_new.value is None:
        return Aspect("pause bound", b_old.text, b_new.text, "incomparable",
                      f"before: {b_old.evidence}; now: {b_new.evidence}", C.SCOPE_LONGER_PAUSE)
    if b_old.value == b_new.value:
        return None
    found = _confirmed(old, new, scope, b_old, b_new, timeout_s)
    if found is None:
        return None
    verdict, evidence = found
    return Aspect("pause bound", b_old.text, b_new.text, verdict, evidence,
                  C.SCOPE_LONGER_PAUSE)


def _limits(o: Scope, n: Scope) -> list[Aspect]:
    return [duration("max", o.max_pause, n.max_pause, INF, True,
                     "the longest continuous pause the guard allows (extend aside)",
                     C.SCOPE_RELAXED),
            duration("gap", o.gap, n.gap, 0, False,
                     "how long the scope stays open after a pause before a new one",
                     C.SCOPE_RELAXED)]


SCOPES = Presence("neutral", "a new part of the protocol is guarded", "weakens",
                  "the guard no longer controls it", C.SCOPE_RELAXED)


def compare_scopes(old: Program, new: Program, timeout_s: float,
                   every: bool = False) -> list[Change]:
    """Scopes removed, added, with `max`/`gap` changed, or a different pause bound."""
    out, pairs = by_name("scope", old.scopes, new.scopes, SCOPES)
    for o, n in pairs:
        aspects = _limits(o, n)
        bound = _bound_aspect(old, new, n.name, timeout_s, every)
        aspects += [bound] if bound is not None else []
        out += [change("scope", n.name, f"scope {n.name}", a, n.span)
                for a in shown(aspects, every)]
    return out
