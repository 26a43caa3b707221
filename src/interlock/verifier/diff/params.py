"""Params before and after: the declared range, the safer direction and the initial value.

The guard clamps every value of a param to its declared range, so a wider range lets powers
and overrides reach more values (weakens), a narrower one fewer (strengthens), a shifted one
both (incomparable). An initial value moved towards the unsafe side weakens. Flipping
`safer lower` and `safer higher` turns what automation may do around: incomparable. A param
added or removed is neutral here; the powers, breakers and invariants that use it are
compared on their own.
"""

from __future__ import annotations

from interlock.ir import codes as C
from interlock.ir.nodes import Param, Program
from interlock.verifier.diff.model import Aspect, Change, Verdict, by_size, change


def _aspects(o: Param, n: Param) -> list[Aspect]:
    out = []
    if (o.min, o.max) != (n.min, n.max):
        verdict: Verdict = ("weakens" if n.min <= o.min and n.max >= o.max else "strengthens"
                            if n.min >= o.min and n.max <= o.max else "incomparable")
        out.append(Aspect("range", f"[{o.min}, {o.max}]", f"[{n.min}, {n.max}]", verdict,
                          "the values the guard accepts for it", C.PARAM_LESS_SAFE))
    if o.safer != n.safer:
        out.append(Aspect("safer", o.safer, n.safer, "incomparable",
                          "automation may now only move it the other way", C.PARAM_LESS_SAFE))
    elif o.initial != n.initial:
        verdict = by_size(o.initial, n.initial, larger_is_weaker=n.safer == "lower")
        out.append(Aspect("initial", str(o.initial), str(n.initial), verdict,
                          f"safer {n.safer}", C.PARAM_LESS_SAFE))
    return out


def compare_params(old: Program, new: Program) -> list[Change]:
    """Params added, removed, or changed in range, direction or initial value."""
    old_by = {p.name: p for p in old.params}
    new_names = {p.name for p in new.params}
    out = [change("param", o.name, f"param {o.name}", Aspect(
        "removed", f"param {o.name}", "—", "neutral", "its users are compared on their own",
        C.PARAM_LESS_SAFE), None) for o in old.params if o.name not in new_names]
    for n in new.params:
        o = old_by.get(n.name)
        label = f"param {n.name}"
        if o is None:
            out.append(change("param", n.name, label, Aspect(
                "added", "—", label, "neutral", "its users are compared on their own",
                C.PARAM_LESS_SAFE), n.span))
        else:
            out += [change("param", n.name, label, a, n.span) for a in _aspects(o, n)]
    return out
