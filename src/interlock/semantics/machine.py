"""The reference semantics: the state machine of docs/semantics.md on concrete integers.

This is the executable definition the guard, the monitor and counterexample replay are held
to. The rules themselves live in `rules` and are shared with the symbolic encoding
(`interlock.verifier.symbolic`), so concrete runs and proofs cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from interlock.ir.nodes import QUEUE_GRACE, Atom, Cond, Power, Program, RoleExpr
from interlock.semantics.cond import (
    Compiled,
    compiled_cond,
    cond_g,
    effective_param_g,
    score_value_g,
)
from interlock.semantics.ops import CONCRETE
from interlock.semantics.rules import Guards, advance, fire, use_power
from interlock.semantics.state import State
from interlock.semantics.trace import Advance, Fire, Step, UsePower


class StepRefused(Exception):
    """The step is not allowed in this state; `reason` says why (the state is unchanged)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def metric_lookup(metrics: Mapping[Atom, int]) -> Callable[[Atom], int]:
    """The metric function of a concrete step: a metric without a value refuses the step."""

    def lookup(atom: Atom) -> int:
        try:
            return metrics[atom]
        except KeyError:
            raise StepRefused(f"no value for metric {atom.kind}({atom.target})") from None

    return lookup


def compile_cond(program: Program, cond: Cond) -> Compiled:
    """`cond` compiled once for concrete runs: call it with a state and a `metric_lookup`
    (what `eval_cond` does, without looking the compiled condition up each time)."""
    return compiled_cond(CONCRETE, program, cond)


def eval_cond(program: Program, cond: Cond, state: State, metrics: Mapping[Atom, int]) -> bool:
    """The truth of `cond` in `state` with the given metric values (scores are computed)."""
    return bool(cond_g(CONCRETE, program, cond, state, metric_lookup(metrics)))


def effective_param(program: Program, state: State, name: str) -> int:
    """The base value of param `name` tightened by every live override."""
    return int(effective_param_g(CONCRETE, program, state, name))


def score_value(program: Program, state: State, name: str, metrics: Mapping[Atom, int]) -> int:
    return int(score_value_g(CONCRETE, program, state, name, metric_lookup(metrics)))


def _sat(program: Program, expr: RoleExpr, signers: frozenset[str], seen: frozenset[str]) -> bool:
    if expr.kind == "signer":
        return expr.name in signers
    if expr.kind == "role":
        if expr.name in seen:  # a cycle cannot be satisfied through itself
            return False
        role = program.role(expr.name)
        return _sat(program, role.expr, signers, seen | {expr.name})
    if expr.kind == "threshold":
        return sum(_sat(program, m, signers, seen) for m in expr.members) >= expr.k
    if expr.kind == "all":
        return all(_sat(program, m, signers, seen) for m in expr.items)
    return any(_sat(program, m, signers, seen) for m in expr.items)


def role_satisfied(program: Program, role_name: str, signers: Iterable[str]) -> bool:
    """Whether the signer set satisfies the role (agents are never members)."""
    return _sat(program, program.role(role_name).expr, frozenset(signers), frozenset({role_name}))


def _check(guards: Guards) -> None:
    for reason, ok in guards:
        if not ok:
            raise StepRefused(reason)


def step(program: Program, state: State, s: Step) -> State:
    """Apply one step; raises `StepRefused` when the step is not allowed."""
    if isinstance(s, Advance):
        guards, nxt = advance(CONCRETE, state, s.seconds)
    elif isinstance(s, Fire):
        guards, nxt = _fire(program, state, s)
    else:
        guards, nxt = _use(program, state, s)
    _check(guards)
    return nxt


def _fire(program: Program, state: State, s: Fire) -> tuple[Guards, State]:
    breaker = next((b for b in program.breakers if b.name == s.breaker), None)
    if breaker is None:
        raise StepRefused(f"no breaker `{s.breaker}`")
    metrics = {m.atom: m.value for m in s.metrics}
    lookup = (lambda atom: metrics.get(atom, 0)) if s.failed_reads else metric_lookup(metrics)
    return fire(CONCRETE, program, state, breaker, lookup, s.sender, s.failed_reads)


def _use(program: Program, state: State, s: UsePower) -> tuple[Guards, State]:
    if not 0 <= s.power < len(program.powers):
        raise StepRefused(f"no power with id {s.power}")
    w = program.powers[s.power]
    known = {x.name for x in program.signers}
    unknown = [x for x in s.signers if x not in known]
    if unknown:
        raise StepRefused(f"`{unknown[0]}` is not a declared signer")
    if not role_satisfied(program, w.role, s.signers):
        raise StepRefused(f"the signers do not satisfy role `{w.role}`")
    targets = tuple(s.targets) if w.kind not in ("set", "cancel", "cancel_holds") else w.targets
    bad = [t for t in targets if t not in w.targets]
    if bad:
        raise StepRefused(f"`{bad[0]}` is not a target of this power")
    if len(set(targets)) != len(targets) or not targets:
        raise StepRefused("targets must be a non-empty set")
    if w.kind in ("pause", "suspend", "extend", "set") and s.value is None:
        raise StepRefused("this power needs a value")
    if w.kind == "unblock" and s.sender is None:
        raise StepRefused("an unblock names the sender it unblocks")
    value = s.value if s.value is not None else 0
    include = dict.fromkeys(targets, True)
    guards, nxt = use_power(CONCRETE, program, state, w, include, value, s.sender)
    return _queue_guards(state, w, s.queued_at) + guards, nxt


def _queue_guards(state: State, w: Power, queued_at: int | None) -> Guards:
    """When a timelocked operation queued at `queued_at` may run: from its eta to the end of
    its grace period (`use_power` checks only `now >= t0 + delay`, as if queued at `now - delay`,
    which the symbolic model leaves to the adversary)."""
    if w.delay == 0 or queued_at is None:
        return []
    eta = queued_at + w.delay
    return [("queued before deployment", queued_at >= state.t0),
            ("timelock has not elapsed", state.now >= eta),
            ("the queued operation expired", state.now <= eta + QUEUE_GRACE)]


def run(program: Program, state: State, steps: Iterable[Step]) -> State:
    """Apply steps in order (raises `StepRefused` at the first refused one)."""
    for s in steps:
        state = step(program, state, s)
    return state
