"""Conditions, scores and effective params, generic over the arithmetic back end.

A condition is compiled once into a Python closure (`compile_cond_g`: a `CondFold` whose cases
build functions of the state and the metric values) and that closure is what runs — on ints in
the monitor's and the backtest's every block, on Z3 terms when the rules build the transition
relation. The meaning of each kind of condition is written once, here; compiling only moves the
walk over the IR (and the choice of operator, param and score) out of the per-block path.
`cond_g` compiles on demand and keeps the conditions it compiled recently.
"""

from __future__ import annotations

from collections.abc import Callable

from interlock.ir.conditions import CondFold, zero_test
from interlock.ir.nodes import Atom, Compare, Cond, Program, StatePred
from interlock.semantics.memo import by_identity
from interlock.semantics.ops import BoolVal, Ops, Val
from interlock.semantics.state import State, override_keys, override_value

MetricFn = Callable[[Atom], Val]
Compiled = Callable[[State, MetricFn], BoolVal]  # a condition: its truth in a state
Term = Callable[[State, MetricFn], Val]  # an atom: its value in a state


def _no_metric(atom: Atom) -> Val:
    raise ValueError(f"`{atom.kind}` is not a state value")


def param_term(o: Ops, program: Program, name: str) -> Term:
    """`base[P]` tightened by every live override (`min` for safer lower, `max` for higher)."""
    tighten = o.min_ if program.param(name).safer == "lower" else o.max_
    held = {b: override_value(program, p, b) for p, b in override_keys(program) if p == name}

    def value(st: State, metric: MetricFn) -> Val:
        v = st.base[name]
        for (p, breaker), until in st.override_until.items():
            if p == name:
                v = o.ite(st.now < until, tighten(v, held[breaker]), v)
        return v

    return value


def score_term(o: Ops, program: Program, name: str) -> Term:
    """The sum of the weights of the score's tiers whose condition holds."""
    tiers = tuple((compile_cond_g(o, program, t.when), t.weight)
                  for t in program.score(name).tiers)

    def value(st: State, metric: MetricFn) -> Val:
        total: Val = 0
        for holds, weight in tiers:
            total = total + o.ite(holds(st, metric), weight, 0)
        return total

    return value


def atom_term(o: Ops, program: Program, atom: Atom) -> Term:
    if atom.kind == "param":
        return param_term(o, program, atom.target)
    if atom.kind == "score":
        return score_term(o, program, atom.target)
    return lambda st, metric: metric(atom)


class _Compile(CondFold[Compiled]):
    def __init__(self, o: Ops, program: Program) -> None:
        self.o, self.program = o, program
        self.ne: Callable[[Val], BoolVal] = lambda x: o.not_(x == 0)

    def compare(self, c: Compare) -> Compiled:
        constant, test = c.constant, zero_test(c.op, self.ne)
        terms = tuple((t.coef, atom_term(self.o, self.program, t.atom)) for t in c.terms)

        def holds(st: State, metric: MetricFn) -> BoolVal:
            lhs: Val = constant
            for coef, term in terms:
                lhs = lhs + coef * term(st, metric)
            return test(lhs)

        return holds

    def state(self, c: StatePred) -> Compiled:
        target = c.target
        if c.pred == "paused":
            return lambda st, metric: st.now < st.paused_until[target]
        return lambda st, metric: st.now < st.suspended_until[target]

    def const(self, value: bool) -> Compiled:
        return lambda st, metric: value

    def not_(self, item: Compiled) -> Compiled:
        not_ = self.o.not_
        return lambda st, metric: not_(item(st, metric))

    def and_(self, items: list[Compiled]) -> Compiled:
        # every item is evaluated, as the fold over values did: a metric that cannot be read
        # refuses the step even where another conjunct is false
        and_, parts = self.o.and_, tuple(items)
        return lambda st, metric: and_(*[p(st, metric) for p in parts])

    def or_(self, items: list[Compiled]) -> Compiled:
        or_, parts = self.o.or_, tuple(items)
        return lambda st, metric: or_(*[p(st, metric) for p in parts])


def compile_cond_g(o: Ops, program: Program, cond: Cond) -> Compiled:
    """`cond` as a function of a state and the metric values, over the back end `o`."""
    return _Compile(o, program).fold(cond)


@by_identity
def compiled_cond(o: Ops, program: Program, cond: Cond) -> Compiled:
    """`compile_cond_g`, remembered for the conditions compiled last (the guard's checks of
    each flow report compile the same few conditions once per replay, not once per flow)."""
    return compile_cond_g(o, program, cond)


def cond_g(o: Ops, program: Program, cond: Cond, st: State, metric: MetricFn) -> BoolVal:
    """The truth of `cond` in `st` with metric values from `metric`."""
    return compiled_cond(o, program, cond)(st, metric)


def effective_param_g(o: Ops, program: Program, st: State, name: str) -> Val:
    return param_term(o, program, name)(st, _no_metric)


def score_value_g(o: Ops, program: Program, st: State, name: str, metric: MetricFn) -> Val:
    return score_term(o, program, name)(st, metric)
