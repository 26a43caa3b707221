"""The findings' Z3 reading of conditions agrees with the reference semantics' `eval_cond`.

For random conditions: when Z3 finds the condition satisfiable, its model (metric values, paused
and suspended flags, the param's value) makes `eval_cond` true on a concrete state; when Z3 says
unsatisfiable (a W0801 "never fires"), no sampled concrete state and metric values make it true.
"""

from __future__ import annotations

import random
from dataclasses import replace

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.dsl.frontend import compile_text
from interlock.ir import nodes as ir
from interlock.semantics import State, eval_cond, initial_state
from interlock.verifier.condsmt import CondEncoder, param_range

T0 = 1_000_000
RULES = """protocol T
signer alice 0x1111111111111111111111111111111111111111
signer bob   0x2222222222222222222222222222222222222222
role ops = 2 of [alice, bob]
scope deposits
scope withdrawals
asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
feed ETH 0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419 decimals 8
  reference 0x8888888888888888888888888888888888888888
param lev = 20 in [2, 50] safer lower
score risk {
  40 when deviation(ETH) > 2%
  30 when outflow(USDC, 1h) > 5% of tvl(USDC)
}
breaker b {
  when risk >= 40
  then suspend ETH for 1h, set lev to 10 for 1h
}
allow ops to pause * for at most 1h
allow ops to set lev within [15, 30]
"""
PROGRAM = compile_text(RULES, "t.guard").program
assert PROGRAM is not None
SPAN = PROGRAM.span
ATOMS = [
    ir.Atom(kind="outflow", target="USDC", window=3600),
    ir.Atom(kind="tvl", target="USDC"),
    ir.Atom(kind="deviation", target="ETH"),
    ir.Atom(kind="param", target="lev"),
    ir.Atom(kind="score", target="risk"),
]


def compares() -> st.SearchStrategy[ir.Cond]:
    term = st.builds(
        lambda c, a: ir.Term(coef=c, atom=a),
        st.integers(-3, 3).filter(bool),
        st.sampled_from(ATOMS),
    )
    return st.builds(
        lambda ts, k, op: ir.Compare(terms=tuple(ts), constant=k, op=op, span=SPAN),
        st.lists(term, min_size=1, max_size=2),
        st.integers(-120, 120),
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
    )


def preds() -> st.SearchStrategy[ir.Cond]:
    return st.one_of(
        st.sampled_from(["deposits", "withdrawals"]).map(
            lambda s: ir.StatePred(pred="paused", target=s, span=SPAN)
        ),
        st.just(ir.StatePred(pred="suspended", target="ETH", span=SPAN)),
    )


conds: st.SearchStrategy[ir.Cond] = st.recursive(
    st.one_of(compares(), preds()),
    lambda inner: st.one_of(
        inner.map(lambda c: ir.Not(item=c)),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: ir.And(items=tuple(cs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda cs: ir.Or(items=tuple(cs))),
        st.tuples(inner, inner).map(lambda lr: ir.Implies(left=lr[0], right=lr[1])),
    ),
    max_leaves=5,
)


def state_with(paused: set[str], suspended: bool, lev: int) -> State:
    st0 = initial_state(PROGRAM, T0)
    return replace(
        st0,
        paused_until={s: (T0 + 60 if s in paused else 0) for s in st0.paused_until},
        suspended_until={"ETH": T0 + 60 if suspended else 0},
        base={"lev": lev},
    )


def metric_atoms(enc: CondEncoder) -> list[ir.Atom]:
    return [a for a in enc.metrics if a.kind not in ("param", "score")]


@settings(max_examples=200, deadline=None)
@given(conds)
def test_z3_reading_agrees_with_eval_cond(cond: ir.Cond) -> None:
    enc = CondEncoder(PROGRAM)
    formula = enc.cond(cond)
    solver = z3.Solver()
    solver.add(formula, *enc.domain)
    outcome = solver.check()
    assert outcome in (z3.sat, z3.unsat)
    atoms = metric_atoms(enc)
    if outcome == z3.sat:
        model = solver.model()

        def value(ref: z3.ExprRef) -> int:
            return int(model.eval(ref, model_completion=True).as_long())

        metrics = {a: value(enc.metrics[a]) for a in atoms}
        lev_atom = ir.Atom(kind="param", target="lev")
        lev = value(enc.metrics[lev_atom]) if lev_atom in enc.metrics else 20
        flags = {
            key: z3.is_true(model.eval(v, model_completion=True)) for key, v in enc.preds.items()
        }
        paused = {t for (p, t), on in flags.items() if p == "paused" and on}
        susp = flags.get(("suspended", "ETH"), False)
        assert eval_cond(PROGRAM, cond, state_with(paused, susp, lev), metrics)
    else:
        rng = random.Random(0)
        lo, hi = param_range(PROGRAM, "lev")
        for _ in range(300):
            metrics = {
                a: rng.choice([0, 1, 2, 5, 10**16, 3 * 10**16, 10**18, rng.randrange(10**19)])
                for a in atoms
            }
            paused = {s for s in ("deposits", "withdrawals") if rng.random() < 0.5}
            st_ = state_with(paused, rng.random() < 0.5, rng.randint(lo, hi))
            assert not eval_cond(PROGRAM, cond, st_, metrics)
