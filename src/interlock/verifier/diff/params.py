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
from interlock.verifier.diff.model import Aspect, Change, Verdict, by_size, change, same, shown
from interlock.verifier.diff.named import Presence, by_name


def _aspects(o: Param, n: Param) -> list[Aspect]:
    out = []
    if (o.min, o.max) != (n.min, n.max):
        verdict: Verdict = ("weakens" if n.min <= o.min and n.max >= o.max else "strengthens"
                            if n.min >= o.min and n.max <= o.max else "incomparable")
        out.append(Aspect("range", f"[{o.min}, {o.max}]", f"[{n.min}, {n.max}]", verdict,
                          "the values the guard accepts for it", C.PARAM_LESS_SAFE))
    else:
        out.append(same("range", f"[{n.min}, {n.max}]"))
    if o.safer != n.safer:
        out.append(Aspect("safer", o.safer, n.safer, "incomparable",
                          "automation may now only move it the other way", C.PARAM_LESS_SAFE))
    elif o.initial != n.initial:
        verdict = by_size(o.initial, n.initial, larger_is_weaker=n.safer == "lower")
        out.append(Aspect("initial", str(o.initial), str(n.initial), verdict,
                          f"safer {n.safer}", C.PARAM_LESS_SAFE))
    else:
        out.append(same("initial", f"{n.initial} (safer {n.safer})"))
    return out


PARAMS = Presence("neutral", "its users are compared on their own", "neutral",
                  "its users are compared on their own", C.PARAM_LESS_SAFE)


def compare_params(old: Program, new: Program, every: bool = False) -> list[Change]:
    """Params added, removed, or changed in range, direction or initial value."""
    out, pairs = by_name("param", old.params, new.params, PARAMS)
    for o, n in pairs:
        out += [change("param", n.name, f"param {n.name}", a, n.span)
                for a in shown(_aspects(o, n), every)]
    return out
