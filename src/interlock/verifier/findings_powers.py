"""Findings about powers (SPEC §5): W0802, W0803, W0806, W0807, W0814."""

from __future__ import annotations

from collections.abc import Iterator

from interlock.ir.diagnostics import Diagnostic, Label
from interlock.ir.nodes import Power, Program, SetStep
from interlock.verifier.condsmt import CondEncoder
from interlock.verifier.describe import describe_power, fmt_duration, fmt_step
from interlock.verifier.finding_registry import diag, finding

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
                yield diag(
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
                yield diag(
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
        yield diag(
            "W0803",
            f"scope `{scope.name}` stays paused until each pause expires: {why}",
            scope.span,
            subjects=(scope.name,),
            help=f"add `allow ROLE to unpause {scope.name}` for a role without a long timelock",
        )


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
        yield diag(
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
            yield diag(
                "W0807",
                f"`{w.role}` waits {fmt_duration(w.delay)} to cancel, no less than "
                f"`{target.name}`'s {fmt_duration(target.delay)}: its cancel can never land "
                f"before the operation it cancels",
                w.span,
                subjects=(w.role, target.name),
                help=f"let a role without a timelock (a guardian) cancel `{target.name}`",
            )
