"""Normalisation is exact: for random linear conditions and random metric values, the IR's
`sum(coef * atom) + constant OP 0` decides exactly what the written condition means over the
rationals (amounts in base units, percentages as exact fractions)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.dsl.frontend import compile_text
from interlock.ir import nodes as ir

HEAD = """protocol P
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
scope s
"""
ATOMS = {"tvl(USDC)": "tvl", "outflow(USDC, 1h)": "outflow", "inflow(USDC, 12s)": "inflow"}
OPS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne}

Values = dict[str, int]
Expr = tuple[str, Callable[[Values], Fraction]]


def _atom(text: str) -> Expr:
    kind = ATOMS[text]
    return text, lambda v: Fraction(v[kind])


amounts = st.builds(lambda whole, frac: (f"{whole}.{frac:02d} USDC",
                                         lambda _v: Fraction(whole * 100 + frac, 100) * 10**6),
                    st.integers(0, 10**6), st.integers(0, 99))
atoms = st.sampled_from(sorted(ATOMS)).map(_atom)


def _combine(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    def add(a: Expr, b: Expr, minus: bool) -> Expr:
        sign = -1 if minus else 1
        return (f"{a[0]} {'-' if minus else '+'} ({b[0]})",
                lambda v: a[1](v) + sign * b[1](v))

    def scale(k: int, a: Expr) -> Expr:
        return f"{k} * ({a[0]})", lambda v: k * a[1](v)

    def div(k: int, a: Expr) -> Expr:
        return f"({a[0]}) / {k}", lambda v: a[1](v) / k

    def pct(p: int, tenth: int, a: Expr) -> Expr:
        ratio = Fraction(p * 10 + tenth, 1000)
        return f"{p}.{tenth}% of ({a[0]})", lambda v: ratio * a[1](v)

    def neg(a: Expr) -> Expr:
        return f"-({a[0]})", lambda v: -a[1](v)

    return st.one_of(
        st.builds(add, children, children, st.booleans()),
        st.builds(scale, st.integers(-5, 5), children),
        st.builds(div, st.integers(1, 7), children),
        st.builds(pct, st.integers(0, 150), st.integers(0, 9), children),
        st.builds(neg, children),
    )


exprs = st.recursive(st.one_of(atoms, amounts), _combine, max_leaves=6)


def _holds(cond: ir.Compare, values: Values) -> bool:
    total = sum(t.coef * values[t.atom.kind] for t in cond.terms) + cond.constant
    return OPS[cond.op](Fraction(total), Fraction(0))


@settings(max_examples=150, deadline=None)
@given(exprs, exprs, st.sampled_from(sorted(OPS)),
       st.lists(st.fixed_dictionaries({k: st.integers(0, 10**13) for k in ATOMS.values()}),
                min_size=1, max_size=5))
def test_normalised_comparison_is_exact(left: Expr, right: Expr, op: str,
                                        samples: list[Values]) -> None:
    text = HEAD + f"breaker b {{ when {left[0]} {op} {right[0]} then pause s for 1h }}\n"
    result = compile_text(text, "n.guard")
    assert result.program is not None, (text, result.diagnostics)
    cond = result.program.breakers[0].when
    assert isinstance(cond, ir.Compare)
    assert all(isinstance(t.coef, int) and t.coef != 0 for t in cond.terms)
    for values in samples:
        assert _holds(cond, values) == OPS[op](left[1](values), right[1](values)), text
