"""Conditions, scores and effective params, generic over the arithmetic back end."""

from __future__ import annotations

from collections.abc import Callable

from interlock.ir.nodes import Atom, Cond, Program
from interlock.semantics.ops import BoolVal, Ops, Val
from interlock.semantics.state import State, override_value

MetricFn = Callable[[Atom], Val]


def effective_param_g(o: Ops, program: Program, st: State, name: str) -> Val:
    """`base[P]` tightened by every live override (`min` for safer lower, `max` for higher)."""
    param = program.param(name)
    tighten = o.min_ if param.safer == "lower" else o.max_
    value = st.base[name]
    for (p, breaker), until in st.override_until.items():
        if p != name:
            continue
        live = st.now < until
        value = o.ite(live, tighten(value, override_value(program, p, breaker)), value)
    return value


def score_value_g(o: Ops, program: Program, st: State, name: str, metric: MetricFn) -> Val:
    """The sum of the weights of the score's tiers whose condition holds."""
    total: Val = 0
    for tier in program.score(name).tiers:
        total = total + o.ite(cond_g(o, program, tier.when, st, metric), tier.weight, 0)
    return total


def atom_value_g(o: Ops, program: Program, st: State, atom: Atom, metric: MetricFn) -> Val:
    if atom.kind == "param":
        return effective_param_g(o, program, st, atom.target)
    if atom.kind == "score":
        return score_value_g(o, program, st, atom.target, metric)
    return metric(atom)


def _compare(o: Ops, lhs: Val, op: str) -> BoolVal:
    if op == "<":
        return lhs < 0
    if op == "<=":
        return lhs <= 0
    if op == ">":
        return lhs > 0
    if op == ">=":
        return lhs >= 0
    if op == "==":
        return lhs == 0
    return o.not_(lhs == 0)


def cond_g(o: Ops, program: Program, cond: Cond, st: State, metric: MetricFn) -> BoolVal:
    """The truth of `cond` in `st` with metric values from `metric`."""
    if cond.kind == "compare":
        lhs: Val = cond.constant
        for term in cond.terms:
            lhs = lhs + term.coef * atom_value_g(o, program, st, term.atom, metric)
        return _compare(o, lhs, cond.op)
    if cond.kind == "state":
        if cond.pred == "paused":
            return st.now < st.paused_until[cond.target]
        return st.now < st.suspended_until[cond.target]
    if cond.kind == "bool":
        return cond.value
    if cond.kind == "not":
        return o.not_(cond_g(o, program, cond.item, st, metric))
    if cond.kind == "and":
        return o.and_(*(cond_g(o, program, c, st, metric) for c in cond.items))
    if cond.kind == "or":
        return o.or_(*(cond_g(o, program, c, st, metric) for c in cond.items))
    left = cond_g(o, program, cond.left, st, metric)
    return o.or_(o.not_(left), cond_g(o, program, cond.right, st, metric))
