"""Scopes before and after: `max`, `gap`, and the tightest proved bound on a continuous pause.

The bound is the verifier's `never locked forever` search (`temporal_bound`) with every role
assumed: it is what automation alone (breakers, their cooldowns, `max`, `gap`, time) can
force on the scope. Powers are compared on their own (`powers`), each with its coalition,
`at most` and cooldown. The bound is computed only when something it depends on changed
(scopes, breakers, scores, params); "locked forever" is an infinite bound. A search that
decides nothing within the time limit makes the change `incomparable`: it cannot be shown
not to weaken.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.ir import codes as C
from interlock.ir.nodes import Invariant, NeverLockedProp, Program, Scope
from interlock.verifier.describe import fmt_duration
from interlock.verifier.diff.model import Aspect, Change, Verdict, by_size, change
from interlock.verifier.diff.named import Presence, by_name
from interlock.verifier.diff.rename import meaning
from interlock.verifier.result import PropertyResult
from interlock.verifier.temporal import check_temporal

INF = float("inf")
AUTOMATION = ("scopes", "breakers", "scores", "params")


@dataclass(frozen=True)
class Bound:
    """The longest continuous pause automation can force: seconds, INF, or None (unknown)."""

    value: float | None
    text: str
    evidence: str


def _lasso(result: PropertyResult) -> str:
    cex = result.counterexample
    if cex is None:
        return ""
    rows = [f"+{fmt_duration(r.time)} {r.actor}: {r.action}" for r in cex.timeline]
    return "; ".join(rows)


def pause_bound(program: Program, scope: str, timeout_s: float) -> Bound:
    """The tightest proved bound on a continuous pause of `scope`, every role assumed."""
    prop = NeverLockedProp(scope=scope, assuming=tuple(r.name for r in program.roles))
    inv = Invariant(name=f"{scope} never locked forever", prop=prop, span=program.span)
    res = check_temporal(program, inv, timeout_s)
    if res.status == "proved" and res.bound is not None:
        text = "never paused" if res.bound == 0 else f"at most {fmt_duration(res.bound)}"
        return Bound(res.bound, text, f"{text} ({res.method})")
    if res.status == "violated":
        return Bound(INF, "locked forever possible", f"paused forever by: {_lasso(res)}")
    return Bound(None, "not decided", res.reason or "no bound proved and no lasso found")


def _bound_aspect(old: Bound, new: Bound) -> Aspect | None:
    if old.value is None or new.value is None:
        verdict: Verdict = "incomparable"
    elif old.value == new.value:
        return None
    else:
        verdict = by_size(old.value, new.value, larger_is_weaker=True)
    evidence = f"before: {old.evidence}; now: {new.evidence}"
    return Aspect("pause bound", old.text, new.text, verdict, evidence, C.SCOPE_LONGER_PAUSE)


def _limits(o: Scope, n: Scope) -> list[Aspect]:
    out = []
    if o.max_pause != n.max_pause:
        verdict = by_size(INF if o.max_pause is None else o.max_pause,
                          INF if n.max_pause is None else n.max_pause, larger_is_weaker=True)
        out.append(Aspect("max", _fmt(o.max_pause), _fmt(n.max_pause), verdict,
                          "the longest continuous pause the guard allows (extend aside)",
                          C.SCOPE_RELAXED))
    if o.gap != n.gap:
        out.append(Aspect("gap", _fmt(o.gap), _fmt(n.gap),
                          by_size(o.gap or 0, n.gap or 0, larger_is_weaker=False),
                          "how long the scope stays open after a pause before a new one",
                          C.SCOPE_RELAXED))
    return out


def _fmt(value: int | None) -> str:
    return "none" if value is None else fmt_duration(value)


SCOPES = Presence("neutral", "a new part of the protocol is guarded", "weakens",
                  "the guard no longer controls it", C.SCOPE_RELAXED)


def compare_scopes(old: Program, new: Program, timeout_s: float) -> list[Change]:
    """Scopes removed, added, with `max`/`gap` changed, or a different pause bound."""
    out, pairs = by_name("scope", old.scopes, new.scopes, SCOPES)
    automation_changed = any(meaning(getattr(old, k)) != meaning(getattr(new, k))
                             for k in AUTOMATION)
    for o, n in pairs:
        aspects = _limits(o, n)
        if automation_changed:
            bound = _bound_aspect(pause_bound(old, n.name, timeout_s),
                                  pause_bound(new, n.name, timeout_s))
            aspects += [bound] if bound is not None else []
        out += [change("scope", n.name, f"scope {n.name}", a, n.span) for a in aspects]
    return out
