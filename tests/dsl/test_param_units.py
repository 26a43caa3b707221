"""Params with units (docs/language.md, "Params with units"): stored in base units, typed in
conditions like the metrics they are compared with, and part of the canonical text."""

from __future__ import annotations

import pytest

from interlock.dsl.frontend import compile_text
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.canonical import program_text
from interlock.report.diagnostic_text import render_diagnostic

HEAD = """protocol P
signer alice 0x1111111111111111111111111111111111111111
role r = 1 of [alice]
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
asset WETH 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2 decimals 18
feed ETH_USD 0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419 decimals 8
scope w
"""  # 7 lines
CAP = "param supply_cap = 1_000_000 USDC in [100_000, 5_000_000 USDC] safer lower\n"  # line 8


def _program(text: str) -> ir.Program:
    result = compile_text(text, "t.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    return result.program


def _breaker(cond: str, effects: str = "pause w for 1h") -> str:
    return f"breaker b {{\n  when {cond}\n  then {effects}\n}}\n"  # `when` on line 10


def test_values_are_base_units_and_the_unit_is_kept() -> None:
    p = _program(HEAD + CAP).params[0]
    assert (p.initial, p.min, p.max, p.unit) == (10**12, 10**11, 5 * 10**12, "USDC")
    price = _program(HEAD + "param floor = 1_500.25 ETH_USD in [0, 2_000] safer higher\n")
    assert price.params[0].initial == 150_025_000_000 and price.params[0].unit == "ETH_USD"


def test_a_condition_with_a_param_of_the_same_unit_type_checks() -> None:
    program = _program(HEAD + CAP + _breaker("outflow(USDC, 1h) > 90% of supply_cap"))
    cond = program.breaker("b").when
    assert isinstance(cond, ir.Compare)
    # outflow - 9/10 cap > 0, scaled to integers: 10 outflow - 9 cap > 0 (both in base units)
    assert {(t.atom.kind, t.coef) for t in cond.terms} == {("outflow", 10), ("param", -9)}
    assert cond.constant == 0


def test_set_and_within_take_the_unit() -> None:
    text = HEAD + CAP + _breaker("outflow(USDC, 1h) > supply_cap",
                                 "set supply_cap to 500_000.5 USDC for 6h") + (
        "allow r to set supply_cap within [200_000, 2_000_000 USDC]\n")
    program = _program(text)
    effect = program.breaker("b").effects[0]
    assert isinstance(effect, ir.SetEffect) and effect.value == 500_000_500_000
    assert program.powers[0].within == (2 * 10**11, 2 * 10**12)


def test_unit_is_part_of_the_rules_hash() -> None:
    raw = ("param supply_cap = 1_000_000_000_000 in [100_000_000_000, 5_000_000_000_000] "
           "safer lower\n")
    assert program_text(_program(HEAD + CAP)) != program_text(_program(HEAD + raw))


@pytest.mark.parametrize(("text", "code", "line", "column"), [
    (CAP + _breaker("outflow(WETH, 1h) > 90% of supply_cap"), C.UNIT_MISMATCH, 10, 8),
    (CAP + _breaker("price(ETH_USD) > supply_cap"), C.UNIT_MISMATCH, 10, 8),
    ("param n = 5 in [1, 9] safer lower\n" + _breaker("tvl(USDC) > n"), C.UNIT_MISMATCH, 10, 8),
    (CAP + _breaker("tvl(USDC) > 0", "set supply_cap to 500_000 for 1h"), C.NEEDS_UNIT, 11, 26),
    (CAP + _breaker("tvl(USDC) > 0", "set supply_cap to 5 WETH for 1h"), C.NOT_CONSTANT, 11, 26),
    ("param c = 1 USDC in [0, 2 WETH] safer lower\n", C.UNIT_MISMATCH, 8, 27),
    ("param c = 1 in [0, 2 USDC] safer lower\n", C.UNIT_MISMATCH, 8, 22),
    ("param c = 1 w in [0, 2] safer lower\n", C.BAD_UNIT_NAME, 8, 13),
    ("param c = 1 nope in [0, 2] safer lower\n", C.UNKNOWN_NAME, 8, 13),
    ("param c = 0.0000001 USDC in [0, 2] safer lower\n", C.FRACTION_DOES_NOT_FIT, 8, 11),
    (CAP + "allow r to set supply_cap within [1, 2 WETH]\n", C.UNIT_MISMATCH, 9, 40),
])
def test_unit_errors(text: str, code: str, line: int, column: int) -> None:
    result = compile_text(HEAD + text, "t.guard")
    assert result.program is None
    assert (code, line, column) in [(d.code, d.span.line, d.span.column)
                                    for d in result.diagnostics], result.diagnostics


def test_a_param_without_a_unit_suggests_one() -> None:
    text = HEAD + "param cap = 5 in [1, 9] safer lower\n" + _breaker("tvl(USDC) > 90% of cap")
    [diag] = compile_text(text, "rules.guard").diagnostics
    assert render_diagnostic(diag, text) == (
        "rules.guard:10:8: error[E0301]: cannot compare an amount of `USDC` and a param\n"
        "   |\n"
        "10 |   when tvl(USDC) > 90% of cap\n"
        "   |        ^~~~~~~~~~~~~~~~~~~~~~\n"
        "   = help: give the param a unit, e.g. `param cap = 1_000_000 USDC in [0, 2_000_000]`\n")


def test_in_is_reserved() -> None:
    result = compile_text(HEAD + "scope in\n", "t.guard")
    assert result.program is None and result.diagnostics[0].code in (C.KEYWORD_NAME, C.SYNTAX)


def test_a_param_may_hold_a_value_in_a_quote_unit() -> None:
    """`param daily_limit = 50_000_000 USD`: a value (18 decimals) a notional limit compares
    with; a price or an amount is not comparable with it."""
    priced = HEAD.replace("decimals 18\n", "decimals 18 priced by ETH_USD\n").replace(
        "feed ETH_USD 0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419 decimals 8",
        "feed ETH_USD 0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419 decimals 8 quote USD")
    limit = "param daily_limit = 50_000_000 USD in [0, 200_000_000 USD] safer lower\n"
    vault = "vault v 0x3333333333333333333333333333333333333333 holds WETH\n"
    text = priced + limit + vault + _breaker(
        "value(outflow(*, 24h)) > daily_limit", "set daily_limit to 10_000_000.5 USD for 1d") \
        + "allow r to set daily_limit within [1_000_000, 100_000_000 USD]\n"
    program = _program(text)
    p = program.params[0]
    assert (p.initial, p.max, p.unit) == (5 * 10**25, 2 * 10**26, "USD")
    effect = program.breaker("b").effects[0]
    assert isinstance(effect, ir.SetEffect) and effect.value == 10_000_000_5 * 10**17
    assert program.powers[0].within == (10**24, 10**26)
    wrong = compile_text(priced + limit + vault + _breaker("tvl(WETH) > daily_limit"), "t.guard")
    assert [d.code for d in wrong.diagnostics] == [C.UNIT_MISMATCH]
