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
