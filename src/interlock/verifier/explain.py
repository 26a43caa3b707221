"""Words for a result: the state a counterexample ends in, and `--explain NAME`'s certificate.

`describe_violation` replays a counterexample on the reference semantics
(`interlock.semantics`) and says, in the rule file's terms, what is wrong in the state
it reaches: the predicate of an `always` that is false there, the pause that lasts too long, the
opening that is too short. A counterexample that does not replay gets no description (and the
text report says so) rather than a made-up one.
"""

from __future__ import annotations

from interlock.ir.conditions import subconditions
from interlock.ir.nodes import (
    AlwaysProp,
    Compare,
    Cond,
    Invariant,
    NeverLockedProp,
    PausedAtMostProp,
    Program,
    StatePred,
)
from interlock.semantics import (
    State,
    StepRefused,
    effective_param,
    initial_state,
    run,
)
from interlock.verifier.describe import fmt_duration, fmt_offset
from interlock.verifier.result import Counterexample, PropertyResult

T0 = 1_000_000  # replay start; descriptions use offsets from it


def replay(program: Program, counterexample: Counterexample) -> State | None:
    """The state the counterexample's steps reach from the initial state, or None if refused."""
    try:
        return run(program, initial_state(program, T0), counterexample.steps)
    except StepRefused:
        return None


def _facts(program: Program, cond: Cond, st: State, out: dict[str, str]) -> None:
    """The values of the state predicates and params `cond` reads, as `name = value`."""
    for c in subconditions(cond):
        if isinstance(c, StatePred):
            value = st.paused(c.target) if c.pred == "paused" else st.suspended(c.target)
            out[f"{c.pred}({c.target})"] = "true" if value else "false"
        elif isinstance(c, Compare):
            for name in (t.atom.target for t in c.terms if t.atom.kind == "param"):
                out[name] = str(effective_param(program, st, name))


def _paused_at_most(prop: PausedAtMostProp, st: State) -> str:
    scope = prop.scope
    since, until = st.paused_since[scope], st.paused_until[scope]
    length = until - since
    if since and length > prop.limit:
        return (
            f"`{scope}` is paused from {fmt_offset(since - T0)} to {fmt_offset(until - T0)}: "
            f"{fmt_duration(length)} continuously, more than {fmt_duration(prop.limit)}"
        )
    prev_end = st.prev_end.get(scope, 0)
    if prop.open_gap is not None and prev_end and since - prev_end < prop.open_gap:
        return (
            f"`{scope}` opened at {fmt_offset(prev_end - T0)} and was paused again at "
            f"{fmt_offset(since - T0)}: open {fmt_duration(since - prev_end)}, less than "
            f"{fmt_duration(prop.open_gap)}"
        )
    return f"`{scope}` paused since {fmt_offset(since - T0)} until {fmt_offset(until - T0)}"


def describe_violation(
    program: Program, invariant: Invariant, result: PropertyResult
) -> str | None:
    """What is wrong in the state the counterexample reaches (None: not applicable)."""
    cex = result.counterexample
    prop = invariant.prop
    if result.status != "violated" or cex is None:
        return None
    if not isinstance(prop, AlwaysProp | PausedAtMostProp | NeverLockedProp):
        return None  # coalition counterexamples are a single signature, not a state
    st = replay(program, cex)
    if st is None:
        return None
    at = fmt_offset(st.now - T0)
    if isinstance(prop, AlwaysProp):
        facts: dict[str, str] = {}
        _facts(program, prop.pred, st, facts)
        shown = ", ".join(f"{k} = {v}" for k, v in facts.items())
        return f"at {at}: {shown}" if shown else f"at {at} the predicate is false"
    if isinstance(prop, PausedAtMostProp):
        return f"at {at}: {_paused_at_most(prop, st)}"
    since = st.paused_since[prop.scope]
    repeat = "" if cex.loop_start is None else " (the marked steps repeat)"
    return f"`{prop.scope}` stays paused from {fmt_offset(since - T0)} forever{repeat}"


def explain(result: PropertyResult) -> str:
    """`--explain NAME`: how the result was obtained and the certificate the engine gave."""
    lines = [f"{result.name}: {result.status} by {result.method} in {result.seconds:.2f}s"]
    if result.depth is not None:
        lines.append(f"  searched to depth {result.depth}")
    if result.bound is not None:
        lines.append(f"  tightest proved bound on continuous pause: {fmt_duration(result.bound)}")
    if result.reason:
        lines.append(f"  reason: {result.reason}")
    if result.certificate:
        lines.append("certificate:")
        lines.extend(f"  {line}" for line in result.certificate.splitlines())
    elif result.status == "proved":
        lines.append("  (the engine gave no certificate for this proof)")
    if result.breaks:
        lines.append(f"  breaks: {result.breaks}")
    return "\n".join(lines)
