"""Conditions, scores and effective params, generic over the arithmetic back end."""

from __future__ import annotations

from collections.abc import Callable

from interlock.ir.conditions import CondFold, compare_zero
from interlock.ir.nodes import Atom, Compare, Cond, Program, StatePred
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


class _CondG(CondFold[BoolVal]):
    def __init__(self, o: Ops, program: Program, st: State, metric: MetricFn) -> None:
        self.o, self.program, self.st, self.metric = o, program, st, metric
        self.ne: Callable[[Val], BoolVal] = lambda x: o.not_(x == 0)

    def compare(self, c: Compare) -> BoolVal:
        lhs: Val = c.constant
        for term in c.terms:
            lhs = lhs + term.coef * atom_value_g(self.o, self.program, self.st, term.atom,
                                                 self.metric)
        return compare_zero(lhs, c.op, self.ne)

    def state(self, c: StatePred) -> BoolVal:
        until = self.st.paused_until if c.pred == "paused" else self.st.suspended_until
        return self.st.now < until[c.target]

    def const(self, value: bool) -> BoolVal:
        return value

    def not_(self, item: BoolVal) -> BoolVal:
        return self.o.not_(item)

    def and_(self, items: list[BoolVal]) -> BoolVal:
        return self.o.and_(*items)

    def or_(self, items: list[BoolVal]) -> BoolVal:
        return self.o.or_(*items)


def cond_g(o: Ops, program: Program, cond: Cond, st: State, metric: MetricFn) -> BoolVal:
    """The truth of `cond` in `st` with metric values from `metric`."""
    return _CondG(o, program, st, metric).fold(cond)
