"""Issue 16, item 13: rules that flash liquidity fools are reported, and no example ships one.

Before: `bank_run` (`outflow > inflow + 15% of tvl`) checked clean, although a flash deposit of
5x the market withdrawn in the same transaction let 80% of it leave with nothing fired: the
borrowed inflow offsets any real outflow. Now `interlock check` reports W0810 on it, and the
guard shows why (the same rule, on chain, never fires on the attack).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.dsl.frontend import compile_file, compile_text
from interlock.verifier.findings import find

ROOT = Path(__file__).resolve().parents[2]
RULES = """protocol Lend
signer s1 0x00000000000000000000000000000000000000a1
scope borrow
asset USDC 0x00000000000000000000000000000000000000c1 decimals 6
vault pool 0x00000000000000000000000000000000000000c2 holds USDC
breaker bank_run {
  when outflow(USDC, 1h) > inflow(USDC, 1h) + 15% of tvl(USDC)
  then pause borrow for 6h
}
"""


def _codes(text: str) -> list[str]:
    program = compile_text(text, "lend.guard").program
    assert program is not None
    return [d.code for d in find(program)]


def test_inflow_offset_is_reported() -> None:
    assert "W0810" in _codes(RULES)
    fixed = RULES.replace("inflow(USDC, 1h) + ", "")
    assert "W0810" not in _codes(fixed)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.guard")), ids=lambda p: p.name)
def test_examples_do_not_ship_it(path: Path) -> None:
    program = compile_file(str(path)).program
    assert program is not None
    assert [d for d in find(program) if d.code == "W0810"] == []
