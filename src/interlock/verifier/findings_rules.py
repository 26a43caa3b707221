"""Findings about breakers and their conditions (SPEC §5): W0801, W0804, W0810 to W0813, W0815."""

from __future__ import annotations

from collections.abc import Iterator

import z3

from interlock.ir import codes as C
from interlock.ir.conditions import compares, expanded_atoms, score_refs
from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Atom, Compare, Cond, Program
from interlock.ir.notional import ALL, VALUE_KINDS
from interlock.verifier.condsmt import CondEncoder
from interlock.verifier.describe import fmt_duration
from interlock.verifier.finding_registry import diag, finding

# --- W0801 ---------------------------------------------------------------------------------


@finding("W0801", "breaker can never fire")
def dead_breakers(program: Program) -> Iterator[Diagnostic]:
    """A breaker whose `when` is unsatisfiable for every value of the metrics (each ≥ 0, except a
    custom `sum` over an event with a signed field, which may be negative) in every reachable
    state, over-approximated: a scope (feed) is paused (suspended) only if something
    can pause (suspend) it, and a param stays between the extremes of its initial value, its
    `set` powers' ranges and the breakers' override values."""
    enc = CondEncoder(program)
    for breaker in program.breakers:
        if _plainly_satisfiable(breaker.when):
            continue
        if not enc.satisfiable(enc.cond(breaker.when)):
            yield diag(
                "W0801",
                f"breaker `{breaker.name}` can never fire: its condition holds for no metric "
                "values",
                breaker.span,
                subjects=(breaker.name,),
                help="metrics are never negative (except a custom `sum` over a signed event "
                "field), a param only takes values its powers and breakers give it, and a score "
                "is at most the sum of its weights",
            )


def _plainly_satisfiable(cond: Cond) -> bool:
    """A comparison of metrics alone that one metric can satisfy by growing: a metric has no
    upper limit and every other can be 0, which is what Z3 would find (decided without it,
    because a file of a thousand breakers would otherwise pay a thousand solver calls)."""
    if not isinstance(cond, Compare) or any(t.atom.kind in ("param", "score") for t in cond.terms):
        return False
    coefs: dict[Atom, int] = {}
    for t in cond.terms:
        coefs[t.atom] = coefs.get(t.atom, 0) + t.coef
    up = cond.op in (">", ">=", "!=") and any(c > 0 for c in coefs.values())
    down = cond.op in ("<", "<=", "!=") and any(c < 0 for c in coefs.values())
    return up or down


# --- W0804 ---------------------------------------------------------------------------------


def _tier_decides(enc: CondEncoder, program: Program, score: str, index: int) -> bool:
    tier = program.score(score).tiers[index]
    for breaker in program.breakers:
        if score not in score_refs(breaker.when):
            continue
        changes = enc.cond(breaker.when) != enc.cond(breaker.when, drop=(score, index))
        if enc.satisfiable(z3.And(enc.cond(tier.when), changes)):
            return True
    return False


@finding("W0804", "score tier no breaker uses")
def unused_score_tiers(program: Program) -> Iterator[Diagnostic]:
    """A score no breaker reads, or a tier of a score whose weight never decides whether any
    breaker that reads the score fires: there are no metric values where the tier holds and
    removing its weight changes that breaker's condition. When no tier of a score decides
    anything (its thresholds are out of reach), one warning names the score."""
    enc = CondEncoder(program)
    for score in program.scores:
        readers = [b for b in program.breakers if score.name in score_refs(b.when)]
        if not readers:
            yield diag(
                "W0804",
                f"score `{score.name}` is not used by any breaker",
                score.span,
                subjects=(score.name,),
            )
            continue
        tiers = range(len(score.tiers))
        idle = [i for i in tiers if not _tier_decides(enc, program, score.name, i)]
        if len(idle) == len(score.tiers):
            names = ", ".join(f"`{b.name}`" for b in readers)
            yield diag(
                "W0804",
                f"score `{score.name}` never decides whether {names} fire(s): no combination "
                "of its tiers crosses their thresholds",
                score.span,
                subjects=(score.name,),
            )
            continue
        for index in idle:
            tier = score.tiers[index]
            yield diag(
                "W0804",
                f"tier `{tier.weight}` of score `{score.name}` never decides whether a breaker "
                "fires",
                tier.span,
                subjects=(score.name,),
            )


# --- W0810 ---------------------------------------------------------------------------------


def _offset_by_inflow(cond: Cond) -> str | None:
    """The asset of a comparison that fires on `outflow(A)` rising and is held back by
    `inflow(A)` rising, if `cond` has one."""
    for c in compares(cond):
        up = 1 if c.op in (">", ">=") else -1 if c.op in ("<", "<=") else 0
        outs = {t.atom.target for t in c.terms if t.atom.kind == "outflow" and t.coef * up > 0}
        for t in c.terms:
            if t.atom.kind == "inflow" and t.coef * up < 0 and t.atom.target in outs:
                return t.atom.target
    return None


@finding("W0810", "flash liquidity can offset a rule's outflow")
def flash_offset(program: Program) -> Iterator[Diagnostic]:
    """A breaker whose condition compares `outflow(A)` with a threshold that `inflow(A)` raises
    (`outflow > inflow + 15% of tvl`): a deposit and its withdrawal in one transaction (flash
    liquidity) add the same amount to both sides, so the attacker's real outflow hides behind
    borrowed inflow and the rule never fires (docs/language.md, "Flash liquidity")."""
    for b in program.breakers:
        asset = _offset_by_inflow(b.when)
        if asset is not None:
            yield diag(
                "W0810",
                f"breaker `{b.name}` subtracts `inflow({asset})` from its outflow: a flash "
                "deposit withdrawn in the same transaction offsets any real outflow",
                b.span, subjects=(b.name,),
                help=f"compare `outflow({asset}, W)` with a share of `tvl({asset})` alone, and "
                     f"limit deposits with an on-chain rule on `inflow({asset}, W)`")


# --- W0811 ---------------------------------------------------------------------------------


@finding("W0811", "block sender without a cooldown")
def unbounded_block(program: Program) -> Iterator[Diagnostic]:
    """A breaker with a `block sender` effect and no `cooldown`: the agent may trip it again as
    soon as (or before) a block ends, so a compromised agent key can keep one address blocked
    without bound (prove a bound with `S blocked at most D`)."""
    for b in program.breakers:
        durations = [e.duration for e in b.effects if e.kind == "block"]
        if durations and b.cooldown is None:
            yield diag(
                "W0811",
                f"`{b.name}` blocks a sender for {fmt_duration(max(durations))} and has no "
                "cooldown: the agent can re-block the same address without bound",
                b.span,
                subjects=(b.name,),
                help="give the breaker a `cooldown` (the open time between two blocks of one "
                     "sender), and an `unblock` power to someone",
            )


@finding("W0813", "hold flow with a cooldown")
def unheld_in_cooldown(program: Program) -> Iterator[Diagnostic]:
    """A breaker with a `hold flow` effect and a `cooldown`: while it cools, every flow that
    meets its condition is paid at once, so a second large withdrawal right after the first
    is not held (docs/language.md, "Held flows")."""
    for b in program.breakers:
        if b.cooldown and any(e.kind == "hold" for e in b.effects):
            yield diag("W0813", f"`{b.name}` holds a flow but has a cooldown of "
                        f"{fmt_duration(b.cooldown)}: flows during it are not held", b.span,
                        subjects=(b.name,),
                        help="drop the cooldown (each large flow is then held), or move the "
                             "other effects to a breaker of their own")


@finding("W0815", "custom read no breaker uses")
def unused_read(program: Program) -> Iterator[Diagnostic]:
    """A custom state read (`read NAME = call ...`) that no breaker's condition uses, scores
    expanded: the monitor never makes its call and `interlock record` never records it, so a
    rule that was meant to read it (a misspelt name in a score, a forgotten breaker) watches
    nothing."""
    used = {a.target for b in program.breakers for a in expanded_atoms(program, b.when)
            if a.kind == "read"}
    for r in program.reads:
        if r.name not in used:
            yield diag("W0815", f"read `{r.name}` is used by no breaker: the monitor never "
                                 "calls it", r.span, subjects=(r.name,),
                        help="use it in a breaker's or a score's condition, or remove it")


@finding(C.UNPRICED_IN_SUM, C.FINDINGS[C.UNPRICED_IN_SUM])
def unpriced_in_sum(program: Program) -> Iterator[Diagnostic]:
    """A breaker that reads a value of `*` (`value(outflow(*, 24h))`, ...) while a vault holds
    an asset without `priced by`: `*` sums the priced assets only, so that asset's flows and
    balance count for nothing in the limit (price it, or accept the finding for an asset that
    carries no value)."""
    unpriced = [a.name for a in program.assets if a.priced_by is None
                and any(a.name in v.holds for v in program.vaults)]
    if not unpriced:
        return
    listed = ", ".join(f"`{n}`" for n in unpriced)
    for b in program.breakers:
        if any(a.kind in VALUE_KINDS and a.target == ALL
               for a in expanded_atoms(program, b.when)):
            yield diag(
                C.UNPRICED_IN_SUM,
                f"`{b.name}` sums the value of the priced assets only, which leaves out "
                f"{listed}", b.span, subjects=(b.name,),
                help="price each with `asset NAME ... priced by FEED`, or accept the finding",
            )
