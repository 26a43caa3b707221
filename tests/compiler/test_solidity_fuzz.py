"""Random valid rule files (tests/dsl/strategies) give guards that compile without a warning.

All the drawn programs are compiled in one solc run (each under its own protocol name), so the
cost is one compiler start; the deployed behaviour is the differential tests' business.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from interlock.ir import nodes as ir
from tests.dsl.strategies import guard_programs

pytestmark = [pytest.mark.evm, pytest.mark.slow]

EIP170 = 24_576


@settings(max_examples=2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(guard_programs(), min_size=4, max_size=4))
def test_random_programs_compile_without_warnings(programs: list[ir.Program]) -> None:
    sources: dict[str, str] = {}
    for i, p in enumerate(programs):
        sources.update(emit_solidity(p.model_copy(update={"protocol": f"Fuzz{i}"})))
    result = compile_sources(sources, allow_warnings=False)
    assert not result.warnings and not result.errors  # (OZ TransientSlot's note aside)
    for i in range(len(programs)):
        code = result.contract(f"Fuzz{i}Guard").deployed_bytecode
        assert (len(code) - 2) // 2 < EIP170


def test_an_asset_no_vault_holds_compiles_without_warnings() -> None:
    """Its `tvl` is a constant 0: the function reading it is `pure` (solc warns otherwise)."""
    program = compile_text(
        "protocol Unheld\n"
        "signer kim 0xc6E8Cea7536b2223eF52C1c31947e29A72011211 entity a\n"
        "role guardian = 1 of [kim]\n"
        "scope swaps\n"
        "asset WETH 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2 decimals 18\n"
        "asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6\n"
        "vault pool 0xc8C2704B25C3B81af17D15734647f51FE48b4de2 holds WETH\n"
        "breaker drain {\n"
        "  when outflow(WETH, 1h) > 20% of tvl(WETH) or outflow(USDC, 1h) > 5% of tvl(USDC)\n"
        "  then pause swaps for 1h\n"
        "}\n"
        "allow guardian to unpause swaps\n", "unheld.guard").program
    assert program is not None
    result = compile_sources(emit_solidity(program), allow_warnings=False)
    assert not result.warnings and result.contract("UnheldGuard").deployed_bytecode
