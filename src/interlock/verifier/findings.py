"""Built-in findings (SPEC §5): rule-set smells reported as warnings, errors under `--strict`.

Each finding is a registered `Finding` with a stable code, a title, a severity and a `check`
whose docstring says exactly what it reports. `find(program)` runs them all and returns the
diagnostics sorted by position. Conditions are decided with Z3 over free metrics (see
`interlock.verifier.condsmt`), so "never" means "for no metric values in no state".

| code | title |
| --- | --- |
| W0801 | breaker can never fire |
| W0802 | power bypasses a timelock |
| W0803 | scope cannot be unpaused before its pause expires |
| W0804 | score tier no breaker uses |
| W0810 | flash liquidity can offset a rule's outflow |
| W0806 | no pause possible after a pause ends |
| W0807 | cancel power cannot win the race |
| W0811 | block sender without a cooldown |
| W0813 | hold flow with a cooldown |
| W0814 | step bound another power bypasses |
| W0815 | custom read no breaker uses |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import z3

from interlock.ir import codes as C
from interlock.ir.conditions import compares, expanded_atoms, score_refs
from interlock.ir.diagnostics import Diagnostic, Label
from interlock.ir.nodes import Atom, Compare, Cond, Power, Program, SetStep, Span
from interlock.verifier.condsmt import CondEncoder
from interlock.verifier.describe import describe_power, fmt_duration, fmt_step

Check = Callable[[Program], Iterable[Diagnostic]]


@dataclass(frozen=True)
class Finding:
    code: str
    title: str
    severity: Literal["warning", "error"]
    check: Check

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip()


REGISTRY: list[Finding] = []


def finding(code: str, title: str) -> Callable[[Check], Check]:
    """Register a check under `code`."""

    def register(check: Check) -> Check:
        REGISTRY.append(Finding(code, title, "warning", check))
        return check

    return register


def _diag(code: str, message: str, span: Span, **kw: object) -> Diagnostic:
    return Diagnostic(code=code, severity="warning", message=message, span=span, **kw)


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
            yield _diag(
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


# --- W0802 ---------------------------------------------------------------------------------


def _covers(program: Program, fast: Power, slow: Power) -> bool:
    """`fast` can do on the shared targets everything `slow` can (ignoring `when`/cooldown)."""
    if fast.kind != slow.kind or not set(fast.targets) & set(slow.targets):
        return False
    if fast.kind in ("pause", "suspend", "extend"):
        if fast.max_duration is None:
            return True
        return slow.max_duration is not None and fast.max_duration >= slow.max_duration
    if fast.kind == "set":
        param = program.param(fast.targets[0])
        f_lo, f_hi = fast.within or (param.min, param.max)
        s_lo, s_hi = slow.within or (param.min, param.max)
        return f_lo <= s_lo and s_hi <= f_hi and _step_covers(fast.step, slow.step)
    return True


def _step_covers(fast: SetStep | None, slow: SetStep | None) -> bool:
    """A step bound allows every move the other allows: none, or the same kind, at least as
    large and at least as often (a stepped `set` does not bypass an unbounded timelocked one)."""
    if fast is None:
        return True
    return slow is not None and fast.relative == slow.relative and \
        fast.amount >= slow.amount and fast.period <= slow.period


@finding("W0802", "power bypasses a timelock")
def timelock_bypass(program: Program) -> Iterator[Diagnostic]:
    """Two powers of the same kind over a common target, where the one with the shorter (or no)
    timelock can do everything the timelocked one can there: a longer or equal duration bound,
    a wider or equal `within` range and a step bound at least as loose (or none), or any
    `unpause`/`resume`/`cancel`. Its `when` and
    cooldown are not compared, so the timelock delays nothing on that target."""
    for slow in program.powers:
        if slow.delay == 0:
            continue
        for fast in program.powers:
            if fast.delay < slow.delay and _covers(program, fast, slow):
                shared = ", ".join(t for t in slow.targets if t in fast.targets)
                wait = "at once" if fast.delay == 0 else f"after {fmt_duration(fast.delay)}"
                yield _diag(
                    "W0802",
                    f"`{fast.role}` can `{describe_power(program, fast)}` {wait}, bypassing the "
                    f"{fmt_duration(slow.delay)} timelock of `{slow.role}` on `{shared}`",
                    fast.span,
                    subjects=(fast.role, slow.role),
                    labels=(Label(span=slow.span, message="the timelocked power"),),
                )


# --- W0814 ---------------------------------------------------------------------------------


@finding("W0814", "step bound another power bypasses")
def step_bypass(program: Program) -> Iterator[Diagnostic]:
    """A `set` power with a step bound and another `set` power over the same param, with no
    longer timelock, whose moves that bound does not contain (no step, or a larger amount, a
    shorter period or the other kind): the bound does not bound the param."""
    for w in program.powers:
        if w.step is None:
            continue
        for v in program.powers:
            if v.id != w.id and v.kind == "set" and v.targets == w.targets and \
                    v.delay <= w.delay and not _step_covers(w.step, v.step):
                yield _diag(
                    "W0814",
                    f"`{v.role}` can `{describe_power(program, v)}` as soon as `{w.role}`, so "
                    f"`{w.role}`'s `{fmt_step(w.step)}` does not bound `{w.targets[0]}`",
                    v.span,
                    subjects=(v.role, w.role),
                    labels=(Label(span=w.span, message="the step-bounded power"),),
                )


# --- W0803 ---------------------------------------------------------------------------------


def _longest_pause(program: Program, scope: str) -> int | None:
    """The longest single pause of `scope` (None: unbounded), or 0 when nothing pauses it."""
    lengths: list[int | None] = []
    for breaker in program.breakers:
        for effect in breaker.effects:
            if effect.kind == "pause" and scope in effect.scopes:
                lengths.append(effect.duration)
    for power in program.powers:
        if scope in power.targets and power.kind == "pause":
            lengths.append(power.max_duration)
        if scope in power.targets and power.kind == "extend":
            return None
    if not lengths:
        return 0
    if any(length is None for length in lengths):
        longest = None
    else:
        longest = max(length for length in lengths if length is not None)
    cap = program.scope(scope).max_pause
    if cap is not None:
        longest = cap if longest is None else min(longest, cap)
    return longest


@finding("W0803", "scope cannot be unpaused before its pause expires")
def no_early_unpause(program: Program) -> Iterator[Diagnostic]:
    """A scope that some breaker or power can pause, where no `unpause` power over it can act
    before the pause ends: there is none, each one's `when` is unsatisfiable, or each one's
    timelock is at least as long as the longest single pause of the scope."""
    enc = CondEncoder(program)
    for scope in program.scopes:
        longest = _longest_pause(program, scope.name)
        if longest == 0:
            continue
        unpausers = [
            p
            for p in program.powers
            if p.kind == "unpause"
            and scope.name in p.targets
            and (p.when is None or enc.satisfiable(enc.cond(p.when)))
        ]
        if any(longest is None or p.delay < longest for p in unpausers):
            continue
        if unpausers:
            delay = fmt_duration(min(p.delay for p in unpausers))
            why = f"its unpause powers wait {delay}, and no pause of it lasts longer"
        else:
            why = "no power can unpause it"
        yield _diag(
            "W0803",
            f"scope `{scope.name}` stays paused until each pause expires: {why}",
            scope.span,
            subjects=(scope.name,),
            help=f"add `allow ROLE to unpause {scope.name}` for a role without a long timelock",
        )


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
            yield _diag(
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
            yield _diag(
                "W0804",
                f"score `{score.name}` never decides whether {names} fire(s): no combination "
                "of its tiers crosses their thresholds",
                score.span,
                subjects=(score.name,),
            )
            continue
        for index in idle:
            tier = score.tiers[index]
            yield _diag(
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
            yield _diag(
                "W0810",
                f"breaker `{b.name}` subtracts `inflow({asset})` from its outflow: a flash "
                "deposit withdrawn in the same transaction offsets any real outflow",
                b.span, subjects=(b.name,),
                help=f"compare `outflow({asset}, W)` with a share of `tvl({asset})` alone, and "
                     f"limit deposits with an on-chain rule on `inflow({asset}, W)`")
# --- W0806 ---------------------------------------------------------------------------------


@finding("W0806", "no pause possible after a pause ends")
def gap_lockout(program: Program) -> Iterator[Diagnostic]:
    """A scope with `gap G` that a breaker can pause and a `pause` power can pause: for G
    after every pause ends, every pause of it is refused (only `extend` goes beyond `gap`), and
    whoever can make the breaker fire — anyone who moves funds, for an on-chain rule; the agent
    key, for an off-chain one — chooses when that window opens. Not reported when a role
    without a timelock can `extend` the scope. The message gives the window's length; the
    property `ROLE can pause S within D` shows what it costs the guardian."""
    for scope in program.scopes:
        if scope.gap is None:
            continue
        pausers = [b.name for b in program.breakers for e in b.effects
                   if e.kind == "pause" and scope.name in e.scopes]
        powers = [w for w in program.powers if w.kind == "pause" and scope.name in w.targets]
        extends = [w for w in program.powers if w.kind == "extend"
                   and scope.name in w.targets and w.delay == 0]
        if not pausers or not powers or extends:
            continue
        window = fmt_duration(scope.gap)
        yield _diag(
            "W0806",
            f"for {window} after every pause of `{scope.name}` ends no power can pause it "
            f"(`gap {window}`), and breaker `{pausers[0]}` can start such a pause",
            scope.span,
            subjects=(scope.name,),
            help=f"check `{powers[0].role} can pause {scope.name} within D` to see the "
            f"guardian's worst case; a shorter `gap` or an `extend` power narrows the window",
        )


# --- W0807 ---------------------------------------------------------------------------------


@finding("W0807", "cancel power cannot win the race")
def slow_cancel(program: Program) -> Iterator[Diagnostic]:
    """A `cancel R` power whose own role is timelocked at least as long as R: the cancel is
    queued no earlier than the operation it targets and becomes executable no sooner after it,
    so anyone can execute the operation first (`allow gov to cancel gov` with `gov`
    timelocked can never stop one of gov's operations)."""
    for w in program.powers:
        if w.kind != "cancel" or w.delay == 0:
            continue
        target = program.role(w.targets[0])
        if w.delay >= target.delay:
            yield _diag(
                "W0807",
                f"`{w.role}` waits {fmt_duration(w.delay)} to cancel, no less than "
                f"`{target.name}`'s {fmt_duration(target.delay)}: its cancel can never land "
                f"before the operation it cancels",
                w.span,
                subjects=(w.role, target.name),
                help=f"let a role without a timelock (a guardian) cancel `{target.name}`",
            )


# --- W0811 ---------------------------------------------------------------------------------


@finding("W0811", "block sender without a cooldown")
def unbounded_block(program: Program) -> Iterator[Diagnostic]:
    """A breaker with a `block sender` effect and no `cooldown`: the agent may trip it again as
    soon as (or before) a block ends, so a compromised agent key can keep one address blocked
    without bound (prove a bound with `S blocked at most D`)."""
    for b in program.breakers:
        durations = [e.duration for e in b.effects if e.kind == "block"]
        if durations and b.cooldown is None:
            yield _diag(
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
            yield _diag("W0813", f"`{b.name}` holds a flow but has a cooldown of "
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
            yield _diag("W0815", f"read `{r.name}` is used by no breaker: the monitor never "
                                 "calls it", r.span, subjects=(r.name,),
                        help="use it in a breaker's or a score's condition, or remove it")


# --- running them --------------------------------------------------------------------------


def find(program: Program) -> tuple[Diagnostic, ...]:
    """Every registered finding on `program`, sorted by position, as warnings."""
    out = [d for f in REGISTRY for d in f.check(program)]
    return tuple(sorted(out, key=lambda d: (d.span.line, d.span.column, d.code)))


def strict(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """`--strict`: every warning becomes an error (its code is unchanged), except a finding
    the rule file accepts (`accept CODE ...`)."""
    return tuple(
        d.model_copy(update={"severity": "error"})
        if d.severity == "warning" and d.suppressed is None
        else d
        for d in diagnostics
    )


def accepted(program: Program, found: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """The findings with those the rule file accepts marked `suppressed` (with the reason),
    and a `W0805` warning for each `accept` that matches none of them.

    `accept CODE NAME` matches a finding with that code about `NAME` (one of its
    `subjects`); `accept CODE` every finding with that code.
    """
    out: list[Diagnostic] = []
    used: set[int] = set()
    for d in found:
        match = next(
            (
                i
                for i, a in enumerate(program.acceptances)
                if a.code == d.code and (a.target is None or a.target in d.subjects)
            ),
            None,
        )
        if match is not None:
            used.add(match)
            d = d.model_copy(update={"suppressed": program.acceptances[match].reason})
        out.append(d)
    for i, a in enumerate(program.acceptances):
        if i not in used and a.code in C.FINDINGS:  # others (`interlock diff`'s) match there
            about = f" about `{a.target}`" if a.target else ""
            out.append(
                _diag(
                    C.UNUSED_ACCEPTANCE,
                    f"nothing to accept: no `{a.code}` finding{about}",
                    a.span,
                    help="remove the `accept` line, or name the declaration the finding is about",
                )
            )
    return tuple(sorted(out, key=lambda d: (d.span.line, d.span.column, d.code)))


from interlock.verifier import findings_value  # noqa: E402,F401  (registers W0812 last)
