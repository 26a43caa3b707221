"""Powers before and after: who can use each, how soon, how far, how often, and when.

Powers have no names, so old and new powers are paired: a power with the same meaning first,
then the same kind over the same role and targets, the same targets, the same role with
targets in common, and finally any targets in common. An unpaired new power is `added`
(weakens: whoever holds the role has one more move), an unpaired old one `removed`
(strengthens). A pair is compared aspect by aspect; each aspect that differs is one change.
"""

from __future__ import annotations

from collections.abc import Iterator

from interlock.ir import codes as C
from interlock.ir.nodes import Power, Program
from interlock.verifier.coalition import role_coalitions
from interlock.verifier.describe import fmt_step, power_label
from interlock.verifier.diff.conds import compare_conds, cond_text, evidence_of, verdict_of
from interlock.verifier.diff.model import (
    INF,
    Aspect,
    Change,
    Verdict,
    by_inclusion,
    change,
    duration,
    same,
    shown,
)
from interlock.verifier.diff.rename import meaning
from interlock.verifier.diff.roles import compare_roles, describe
from interlock.verifier.diff.sides import Side

BOUNDED = ("pause", "suspend", "extend")


def _affinity(old: Power, new: Power) -> int | None:
    if old.kind != new.kind:
        return None
    same_role, a, b = old.role == new.role, set(old.targets), set(new.targets)
    if meaning(old) == meaning(new):
        return 5
    if same_role and a == b:
        return 4
    if a == b:
        return 3
    if same_role and a & b:
        return 2
    return 1 if a & b else None


def pair_powers(old: Program, new: Program) -> tuple[list[tuple[Power, Power]], list[Power],
                                                      list[Power]]:
    """(pairs, removed old powers, added new powers), greedily by affinity."""
    ranked = sorted(((a, o.id, n.id, o, n) for o in old.powers for n in new.powers
                     if (a := _affinity(o, n)) is not None), key=lambda t: (-t[0], t[1], t[2]))
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for _, oid, nid, o, n in ranked:
        if oid not in used_old and nid not in used_new:
            used_old.add(oid)
            used_new.add(nid)
            pairs.append((o, n))
    pairs.sort(key=lambda p: p[1].id)
    return (pairs, [o for o in old.powers if o.id not in used_old],
            [n for n in new.powers if n.id not in used_new])


def _aspects(old: Side, o: Power, new: Side, n: Power) -> Iterator[Aspect]:
    """Every aspect of the pair (`changed` False for one that is the same)."""
    # a role reads other roles and the signers' entities: the same only if all of them are
    if o.role == n.role and all(meaning(getattr(old.program, k)) == meaning(getattr(new.program, k))
                                for k in ("roles", "signers")):
        yield same("coalition", describe(*role_coalitions(new.program, n.role)[:2]))
    else:
        roles = compare_roles(old.program, o.role, new.program, n.role)
        yield Aspect("coalition", roles.before, roles.after, roles.verdict, roles.evidence,
                     C.POWER_FEWER_KEYS, roles.verdict != "neutral" or roles.before != roles.after)
    yield duration("timelock", o.delay or None, n.delay or None, 0, False,
                  "the time the other roles have to react (or cancel) before it acts",
                  C.POWER_SHORTER_TIMELOCK)
    if set(o.targets) != set(n.targets):
        yield Aspect("targets", ", ".join(o.targets), ", ".join(n.targets),
                     by_inclusion(frozenset(o.targets), frozenset(n.targets)),
                     "what one use of the power can act on", C.POWER_WIDER_REACH)
    else:
        yield same("targets", ", ".join(n.targets))
    if n.kind in BOUNDED:
        yield duration("at most", o.max_duration, n.max_duration, INF, True,
                      f"how long one use may {n.kind} for", C.POWER_WIDER_REACH)
    if n.kind == "set":
        yield _within(old.program, o, new.program, n)
        yield _step(o, n)
    yield duration("cooldown", o.cooldown, n.cooldown, 0, False,
                  "how soon the power can be used again on the same target",
                  C.POWER_SHORTER_COOLDOWN)
    if meaning(o.when) != meaning(n.when):
        yield _condition(old, o, new, n)
    else:
        yield same("when", cond_text(new.source, n.when))


def _range(program: Program, power: Power) -> tuple[int, int]:
    param = program.param(power.targets[0])
    return power.within or (param.min, param.max)


def _within(old: Program, o: Power, new: Program, n: Power) -> Aspect:
    (a, b), (c, d) = _range(old, o), _range(new, n)
    if (a, b) == (c, d):
        return same("within", f"[{c}, {d}]")
    verdict: Verdict = ("neutral" if (a, b) == (c, d) else "weakens" if c <= a and d >= b
                        else "strengthens" if c >= a and d <= b else "incomparable")
    return Aspect("within", f"[{a}, {b}]", f"[{c}, {d}]", verdict,
                  "the base values the role may set", C.POWER_WIDER_REACH)


def _step(o: Power, n: Power) -> Aspect:
    """A step bound: none allows any move; a larger amount or a shorter period allows more."""
    a, b = o.step, n.step
    text_a, text_b = (fmt_step(x) if x else "none" for x in (a, b))
    if a == b:
        return same("step", text_b)
    verdict: Verdict
    if b is None:
        verdict = "weakens"
    elif a is None:
        verdict = "strengthens"
    elif a.relative != b.relative:
        verdict = "incomparable"
    else:
        looser = (b.amount >= a.amount, b.period <= a.period)
        tighter = (b.amount <= a.amount, b.period >= a.period)
        verdict = "weakens" if all(looser) else "strengthens" if all(tighter) else "incomparable"
    return Aspect("step", text_a, text_b, verdict,
                  "how far and how often one use may move the base", C.POWER_WIDER_REACH)


def _condition(old: Side, o: Power, new: Side, n: Power) -> Aspect:
    imp = compare_conds(old.program, o.when, new.program, n.when)
    return Aspect("when", cond_text(old.source, o.when), cond_text(new.source, n.when),
                  verdict_of(imp, more_is_weaker=True), evidence_of(imp, "usable"),
                  C.POWER_WEAKER_CONDITION)


def compare_powers(old: Side, new: Side, every: bool = False) -> list[Change]:
    """Every power added, removed, or changed in some aspect."""
    pairs, removed, added = pair_powers(old.program, new.program)
    out = []
    for n in added:
        label = power_label(new.program, n)
        out.append(change("power", n.role, label, Aspect(
            "added", "—", label, "weakens", "one more move for whoever holds the role",
            C.POWER_ADDED), n.span))
    for o in removed:
        label = power_label(old.program, o)
        out.append(change("power", o.role, label, Aspect(
            "removed", label, "—", "strengthens", "one move fewer for whoever held the role",
            C.POWER_ADDED), None))
    for o, n in pairs:
        label = power_label(new.program, n)
        out += [change("power", n.role, label, a, n.span)
                for a in shown(_aspects(old, o, new, n), every)]
    return out
