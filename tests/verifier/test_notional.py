"""Value metrics in the verifier: hand-worked verdicts on `data/violated/notional.guard`, the
consistency facts (`verifier.notional`) checked for soundness against the arithmetic all back
ends share (`ir.notional`), and for strength through the dead-breaker finding.

The file's counterexamples are replayed on the deployed guard by test_replay_on_chain.py (it
replays every file under `data/violated/`)."""

from __future__ import annotations

from pathlib import Path

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.dsl.frontend import compile_text
from interlock.ir import codes as C
from interlock.ir.metric_arith import SATURATION
from interlock.ir.nodes import Atom, Program
from interlock.ir.notional import notional, parts, scale, value_from
from interlock.semantics.trace import Fire
from interlock.verifier.engine import verify
from interlock.verifier.findings import find
from interlock.verifier.notional import consistency

RULES = Path(__file__).parent / "data" / "violated" / "notional.guard"
USD = 10**18


def _program(text: str) -> Program:
    result = compile_text(text, "n.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    return result.program


PROGRAM = _program(RULES.read_text())


def test_hand_worked_verdicts() -> None:
    results = {r.name: r for r in verify(PROGRAM, timeout_s=60, jobs=1)}
    assert {n: r.status for n, r in results.items()} == {
        "releases_bounded": "proved", "releases_short": "violated",
        "deposits_open": "violated", "messages_open": "violated"}
    assert results["releases_bounded"].depth is None  # unbounded
    cex = results["releases_short"].counterexample
    assert cex is not None
    fires = [s for s in cex.steps if isinstance(s, Fire)]
    assert fires and all(f.breaker == "notional" for f in fires)
    for f in fires:  # a firing on values (not on a failed read) has a value above 1M USD
        values = [m for m in f.metrics if m.atom.kind == "value_outflow"]
        assert f.failed_reads or (values and values[0].value > 1_000_000 * USD)
    # the dead breakers fire only through a failed read of their feeds
    for name, breaker in (("deposits_open", "weth_alone"), ("messages_open", "phantom")):
        steps = results[name].counterexample
        assert steps is not None
        assert [(s.breaker, s.failed_reads) for s in steps.steps if isinstance(s, Fire)] == [
            (breaker, True)]


def test_consistency_makes_impossible_conditions_dead() -> None:
    dead = sorted(d.message.split("`")[1] for d in find(PROGRAM) if d.code == C.DEAD_BREAKER)
    assert dead == ["phantom", "weth_alone"]
    # control: once WETH's value may be below the `*` bound, the breaker can fire
    alive = RULES.read_text().replace("value(outflow(*, 1h)) < 1_000_000 USD",
                                      "value(outflow(*, 1h)) < 3_000_000 USD")
    dead = sorted(d.message.split("`")[1] for d in find(_program(alive))
                  if d.code == C.DEAD_BREAKER)
    assert dead == ["phantom"]


def _value(kind: str, target: str, window: int | None = 3600) -> Atom:
    return Atom(kind=kind, target=target, window=window)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**130), st.integers(0, 2**130), st.integers(-10, 2**129),
       st.integers(0, 2**64))
def test_the_facts_hold_for_every_amount_and_price(weth: int, usdc: int, eth_usd: int,
                                                   usdc_usd: int) -> None:
    """Sound: the values the back ends compute from any amounts and prices satisfy every fact."""
    amounts = {"WETH": weth, "USDC": usdc}
    prices = {"ETH_USD": max(eth_usd, 0), "USDC_USD": usdc_usd}
    values = [_value("value_outflow", "*"), _value("value_outflow", "WETH"),
              _value("value_outflow", "USDC")]
    read: dict[Atom, int] = {}
    for v in values:
        for p in parts(PROGRAM, v):
            read[p.amount] = min(amounts[p.asset], SATURATION)
            read[p.price] = min(prices[p.feed], SATURATION)
    read |= {v: value_from(PROGRAM, v, read) for v in values}
    terms = {a: z3.IntVal(x) for a, x in read.items()}
    for fact in consistency(PROGRAM, terms):
        assert z3.is_true(z3.simplify(fact)), fact


def test_the_facts_are_linear_and_tie_the_parts() -> None:
    star, weth = _value("value_outflow", "*"), _value("value_outflow", "WETH")
    usdc, flow = _value("value_outflow", "USDC"), _value("outflow", "WETH")
    terms = {a: z3.Int(f"x{i}") for i, a in enumerate((star, weth, usdc, flow))}
    solver = z3.Solver()
    solver.add(*consistency(PROGRAM, terms), *(t >= 0 for t in terms.values()))
    for impossible in (terms[star] < terms[weth], terms[star] > terms[weth] + terms[usdc],
                       z3.And(terms[flow] == 0, terms[weth] > 0), terms[star] > SATURATION):
        assert solver.check(impossible) == z3.unsat
    assert solver.check(terms[star] == terms[weth] + terms[usdc]) == z3.sat


def test_arithmetic_by_hand() -> None:
    """1.5 WETH at 2,000.12345678 USD (8 decimals) is 3,000.18518517 USD, exactly; 1 unit of a
    6-decimals token at 1 unit of an 8-decimals price is 10**4 (18 - 6 - 8 = 4 decimals up)."""
    mul, div = scale(18, 8)
    assert (mul, div) == (1, 10**8)
    assert notional(15 * 10**17, 200_012_345_678, mul, div) == 300_018_518_517 * 10**10
    assert scale(6, 8) == (10**4, 1) and notional(1, 1, *scale(6, 8)) == 10**4
    assert notional(10**17 - 1, 1, 1, 10**18) == 0  # floored
    assert notional(SATURATION, SATURATION, 1, 1) == SATURATION  # saturated
    assert notional(5, -3, 1, 1) == 0  # a negative answer is a price of 0


def test_counterexamples_show_values_in_their_quote_unit() -> None:
    from interlock.semantics.trace import MetricValue
    from interlock.verifier.timeline import timeline

    star = _value("value_outflow", "*", 86_400)
    fire = Fire(breaker="notional", metrics=(MetricValue(atom=star, value=10**24 + 5 * 10**17),))
    [row] = timeline(PROGRAM, [fire])
    assert "[value(outflow(*, 1d))=1000000.5 USD]" in row.action
