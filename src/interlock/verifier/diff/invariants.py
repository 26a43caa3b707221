"""Invariants before and after: removed (weakens), added (strengthens), or changed in strength.

A property is weaker when it is implied by the old one: fewer executions must satisfy it.

- `always P`: P holds in more states (Z3, with a state P now allows and forbade before);
- `S paused at most D [then open G]`: a larger D, a smaller G (none is 0);
- `S paused at most D` -> `S never locked forever` weakens (a bound implies a finite one);
- coalition properties, read as "every power outside E needs N signers/entities"
  (`no unilateral X except E` is N = 2): a smaller N, more kinds excepted, or entities ->
  signers (N entities need at least N keys, so `entity` asserts more);
- `assuming` more roles weakens any temporal property (fewer adversaries).

Any other change of kind, or a change of scope, is incomparable.
"""

from __future__ import annotations

from interlock.ir import codes as C
from interlock.ir.nodes import (
    AlwaysProp,
    BlockedAtMostProp,
    CanPauseProp,
    Invariant,
    MinCoalitionProp,
    NeverLockedProp,
    NoUnilateralProp,
    PausedAtMostProp,
    Property,
)
from interlock.verifier.diff.conds import compare_conds, evidence_of, verdict_of
from interlock.verifier.diff.model import (
    Aspect,
    Change,
    Verdict,
    by_inclusion,
    by_size,
    change,
    join,
    same,
    shown,
)
from interlock.verifier.diff.named import Presence, by_name
from interlock.verifier.diff.rename import meaning
from interlock.verifier.diff.sides import Side

Coalition = NoUnilateralProp | MinCoalitionProp
Temporal = AlwaysProp | PausedAtMostProp | NeverLockedProp


def _coalition(o: Coalition, n: Coalition) -> tuple[Verdict, str]:
    def norm(p: Coalition) -> tuple[str, int, frozenset[object]]:
        if isinstance(p, NoUnilateralProp):
            return p.by, 2, frozenset(p.except_kinds)
        return p.by, p.n, frozenset(p.except_kinds)

    (ob, on, oe), (nb, nn, ne) = norm(o), norm(n)
    by: Verdict = ("neutral" if ob == nb else "strengthens" if nb == "entity" else "weakens")
    verdict = join((by, by_size(on, nn, larger_is_weaker=False), by_inclusion(oe, ne)))
    return verdict, f"every power outside {sorted(map(str, ne)) or 'none'} needs {nn} {nb}s"


def _assuming(o: Temporal | CanPauseProp | BlockedAtMostProp,
              n: Temporal | CanPauseProp | BlockedAtMostProp) -> Verdict:
    return by_inclusion(frozenset(o.assuming), frozenset(n.assuming))


def _temporal(old: Side, o: Temporal, new: Side, n: Temporal) -> tuple[Verdict, str]:
    assuming = _assuming(o, n)
    if isinstance(o, AlwaysProp) and isinstance(n, AlwaysProp):
        imp = compare_conds(old.program, o.pred, new.program, n.pred)
        return join((verdict_of(imp, more_is_weaker=True), assuming)), evidence_of(
            imp, "allowed")
    if isinstance(o, AlwaysProp) or isinstance(n, AlwaysProp) or o.scope != n.scope:
        return "incomparable", "the two properties assert different things"
    if isinstance(o, PausedAtMostProp) and isinstance(n, PausedAtMostProp):
        limit = by_size(o.limit, n.limit, larger_is_weaker=True)
        gap = by_size(o.open_gap or 0, n.open_gap or 0, larger_is_weaker=False)
        return join((limit, gap, assuming)), "a longer limit or a shorter opening allows more"
    kind: Verdict = ("neutral" if type(o) is type(n) else
                     "weakens" if isinstance(n, NeverLockedProp) else "strengthens")
    return join((kind, assuming)), "a bounded pause implies a finite one, not conversely"


def strength(old: Side, o: Property, new: Side, n: Property) -> tuple[Verdict, str]:
    """How the new property compares with the old one, and why."""
    if isinstance(o, Coalition) and isinstance(n, Coalition):
        return _coalition(o, n)
    if isinstance(o, Coalition) or isinstance(n, Coalition):
        return "incomparable", "a coalition property and a temporal one"
    if isinstance(o, CanPauseProp) or isinstance(n, CanPauseProp):
        return _can_pause(o, n)
    if isinstance(o, BlockedAtMostProp) or isinstance(n, BlockedAtMostProp):
        return _blocked(o, n)
    return _temporal(old, o, new, n)


def _blocked(o: Property, n: Property) -> tuple[Verdict, str]:
    """`S blocked at most D`: a longer D allows more (same scope)."""
    if not (isinstance(o, BlockedAtMostProp) and isinstance(n, BlockedAtMostProp)) or (
            o.scope != n.scope):
        return "incomparable", "the two properties assert different things"
    limit = by_size(o.limit, n.limit, larger_is_weaker=True)
    return join((limit, _assuming(o, n))), "a longer block allows more"


def _can_pause(o: Property, n: Property) -> tuple[Verdict, str]:
    """`ROLE can pause S within D`: a longer D asks less (same role and scope)."""
    if not (isinstance(o, CanPauseProp) and isinstance(n, CanPauseProp)) or (
            o.role, o.scope) != (n.role, n.scope):
        return "incomparable", "the two properties assert different things"
    within = by_size(o.within, n.within, larger_is_weaker=True)
    return join((within, _assuming(o, n))), "a longer wait for the pause allows more"


def _text(side: Side, span_line: int) -> str:
    lines = side.source.splitlines()
    line = lines[span_line - 1] if 0 < span_line <= len(lines) else ""
    return " ".join(line.split(":", 1)[-1].split())


INVARIANTS = Presence("strengthens", "one more proof", "weakens", "nothing proves it any more",
                      C.INVARIANT_REMOVED)


def compare_invariants(old: Side, new: Side, every: bool = False) -> list[Change]:
    """Invariants removed, added, or changed in strength."""
    def words(inv: Invariant, is_new: bool) -> str:
        return _text(new if is_new else old, inv.span.line)

    out, pairs = by_name("invariant", old.program.invariants, new.program.invariants,
                         INVARIANTS, words)
    for o, n in pairs:
        if meaning(o.prop) != meaning(n.prop):
            verdict, why = strength(old, o.prop, new, n.prop)
            aspect = Aspect("property", words(o, False), words(n, True), verdict, why,
                            C.INVARIANT_WEAKER)
        else:
            aspect = same("property", words(n, True))
        out += [change("invariant", n.name, f"invariant {n.name}", a, n.span)
                for a in shown([aspect], every)]
    return out
