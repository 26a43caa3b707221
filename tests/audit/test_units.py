"""Audit: units and normalisation produce exactly the integers worked out by hand.

A comparison is normalised to `sum(coef * atom) + constant OP 0` (compiler/ir.py); ratios are
WAD-scaled (10**18 = 100%), amounts are base units, prices are in the feed's decimals. The
normalised form may be scaled by any positive integer, so the test compares it, divided by the
gcd of its coefficients and constant, with the hand value.
"""

from __future__ import annotations

from math import gcd

import pytest

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Compare

HEAD = """protocol Units
signer alice 0x1111111111111111111111111111111111111111
agent  watcher 0x6666666666666666666666666666666666666666
asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
asset WETH 0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2 decimals 18
vault pool 0x7777777777777777777777777777777777777777 holds USDC, WETH
feed F 0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419 decimals 8
  reference 0x8888888888888888888888888888888888888888
param lev = 20 in [2, 50] safer lower
scope w
"""
WAD = 10**18

# condition -> ({atom label: coef}, constant, op), already reduced by the gcd
CASES: dict[str, tuple[dict[str, int], int, str]] = {
    "deviation(F) > 2.5%": ({"deviation F": 1}, -25 * 10**15, ">"),
    "deviation(F) > 50bps": ({"deviation F": 1}, -5 * 10**15, ">"),
    "deviation(F) >= 0.5bps": ({"deviation F": 1}, -5 * 10**13, ">="),
    "deviation(F) <= 100%": ({"deviation F": 1}, -WAD, "<="),
    "deviation(F) > 0.0000000000000001%": ({"deviation F": 1}, -1, ">"),
    # 1e-19 is not a whole WAD unit: kept exact by scaling, not rounded
    "deviation(F) > 0.00000000000000001%": ({"deviation F": 10}, -1, ">"),
    "outflow(USDC, 1h) > 10% of tvl(USDC)": ({"outflow USDC 3600": 10, "tvl USDC": -1}, 0, ">"),
    "outflow(USDC, 1h) > 2.5% of tvl(USDC)": ({"outflow USDC 3600": 40, "tvl USDC": -1}, 0, ">"),
    "outflow(USDC, 1h) >= 33.3333% of tvl(USDC)": (
        {"outflow USDC 3600": 1_000_000, "tvl USDC": -333_333}, 0, ">="),
    "outflow(USDC, 1h) > 1_000_000 USDC": ({"outflow USDC 3600": 1}, -10**12, ">"),
    "outflow(USDC, 1h) > 2.5 USDC": ({"outflow USDC 3600": 1}, -2_500_000, ">"),
    "outflow(USDC, 1h) > 0.000001 USDC": ({"outflow USDC 3600": 1}, -1, ">"),
    "outflow(WETH, 1h) > 1.5 WETH": ({"outflow WETH 3600": 1}, -15 * 10**17, ">"),
    "outflow(USDC, 1h) > 10% of 1_000 USDC": ({"outflow USDC 3600": 1}, -10**8, ">"),
    "outflow(USDC, 24s) > 1.5% of (tvl(USDC) + 100 USDC)": (
        {"outflow USDC 24": 200, "tvl USDC": -3}, -300 * 10**6, ">"),
    "outflow(USDC, 2h) > 2 * inflow(USDC, 1h)": (
        {"outflow USDC 7200": 1, "inflow USDC 3600": -2}, 0, ">"),
    "price(F) > 2000.5 F": ({"price F": 1}, -200_050_000_000, ">"),
    "staleness(F) > 1h": ({"staleness F": 1}, -3600, ">"),
    "staleness(F) >= 2d": ({"staleness F": 1}, -172_800, ">="),
    "lev <= 10": ({"param lev": 1}, -10, "<="),
    "staleness(F) > 2w": ({"staleness F": 1}, -1_209_600, ">"),
    "staleness(F) > 90m": ({"staleness F": 1}, -5400, ">"),
    "outflow(USDC, 1h) > 10% of 50% of tvl(USDC)": (
        {"outflow USDC 3600": 20, "tvl USDC": -1}, 0, ">"),
    # division is exact (scaled), never rounded
    "outflow(USDC, 1h) > tvl(USDC) / 2": ({"outflow USDC 3600": 2, "tvl USDC": -1}, 0, ">"),
    "outflow(USDC, 1h) - inflow(USDC, 1h) > 5% of tvl(USDC)": (
        {"outflow USDC 3600": 20, "inflow USDC 3600": -20, "tvl USDC": -1}, 0, ">"),
    "deviation(F) > -3%": ({"deviation F": 1}, 3 * 10**16, ">"),
}

ERRORS = {
    "outflow(USDC, 1h) > 1.0000001 USDC": "E0408",  # 7 decimals on a 6-decimals asset
    "outflow(USDC, 1h) > 1000": "E0302",  # an amount needs its unit
    "outflow(USDC, 13s) > 0": "E0406",  # window not a multiple of 12 s
    "outflow(USDC, 1h) > tvl(WETH)": "E0301",  # different assets
    "price(F) > 0.000000001 F": "E0408",  # 9 decimals on an 8-decimals feed
    "deviation(F) > 3": "E0302",  # a ratio needs `%` or `bps`
}


def _label(t: object) -> str:
    a = t.atom  # type: ignore[attr-defined]
    return " ".join(str(x) for x in (a.kind, a.target, a.window) if x is not None)


def _compile(cond: str) -> tuple[object | None, list[str]]:
    body = f"breaker b {{\n  when {cond}\n  then pause w for 1h\n}}\n"
    r = compile_text(HEAD + body, "units.guard")
    if r.program is None:
        return None, [d.code for d in r.diagnostics if d.severity == "error"]
    return r.program.breakers[0].when, []


@pytest.mark.parametrize("cond", list(CASES))
def test_normalised_integers(cond: str) -> None:
    got, errors = _compile(cond)
    assert isinstance(got, Compare), errors
    coefs = {_label(t): t.coef for t in got.terms}
    g = 0
    for v in (*coefs.values(), got.constant):
        g = gcd(g, v)
    assert g > 0
    reduced = ({k: v // g for k, v in coefs.items()}, got.constant // g, got.op)
    assert reduced == CASES[cond]


@pytest.mark.parametrize("cond", list(ERRORS))
def test_unit_errors(cond: str) -> None:
    got, errors = _compile(cond)
    assert got is None and ERRORS[cond] in errors
