"""A param with a unit, on chain: the guard compares a vault's reported flows with the param in
base units exactly as the reference semantics does (the monitor evaluates the same IR), and a
`set` power's value is a raw base-unit integer (docs/language.md, "Params with units").

The template and the grouped role are expanded by the front end; the guard sees ordinary IR.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from interlock.ir.nodes import Atom
from interlock.runtime.anvil import Anvil
from interlock.semantics.trace import Advance, Fire, MetricValue, Step, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.deploy import Deployed, deploy_rules
from tests.compiler.test_differential import compare_runs

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Units
signer s1 0xA1A1a1a1A1A1A1A1A1a1a1a1a1a1A1A1a1A1a1a1
signer s2 0xa2A2a2A2A2A2A2a2a2a2a2A2A2A2A2a2A2A2a2a2
group admins = [s1, s2]
role admin = 1 of [admins]
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
vault pool 0xA3A3A3a3a3A3a3A3a3A3A3A3A3a3a3A3A3A3A3A3 holds USDC
param cap_USDC = 1_000 USDC in [0, 5_000] safer lower
for each a in [USDC] {
  scope supply_{a}
  breaker near_cap_{a} {
    when inflow(a, 1h) > 90% of cap_{a}
    then pause supply_{a} for 1h, set cap_{a} to 0.5 a for 2h
  }
}
allow admin to set cap_USDC within [100, 2_000]
allow admin to unpause supply_USDC
invariant one_key: every power needs 1 signer
"""
USDC = 10**6
INFLOW = Atom(kind="inflow", target="USDC", window=3600)


@pytest.fixture(scope="module")
def deployed() -> Iterator[tuple[Deployed, int]]:
    with Anvil(timestamp=1_900_000_000) as node:
        chain = TestChain(node)
        d = deploy_rules(chain, RULES, "units.guard")
        yield d, chain.latest_timestamp() + 1_000


def _fire(inflow: int) -> Fire:
    return Fire(breaker="near_cap_USDC", metrics=(MetricValue(atom=INFLOW, value=inflow),))


def _set(value: int) -> UsePower:
    return UsePower(power=0, targets=("cap_USDC",), value=value, signers=("s2",))


def test_unit_param_agrees_on_chain(deployed: tuple[Deployed, int]) -> None:
    d, t0 = deployed
    cap = d.program.params[0]
    assert (cap.initial, cap.unit) == (1_000 * USDC, "USDC")
    steps: list[Step] = [
        _fire(900 * USDC),  # exactly 90% of the cap: not above it, refused on both sides
        _fire(900 * USDC + 1),  # one base unit above: fires, the cap override is 0.5 USDC
        Advance(seconds=3 * 3600),
        _set(50 * USDC),  # below `within [100, 2_000]` USDC: clamped to 100 USDC
        _set(2_000 * USDC),
        Advance(seconds=4 * 3600),
        _fire(1_800 * USDC),  # 90% of 2_000 USDC: refused
        _fire(1_800 * USDC + 1),
    ]
    accepted = compare_runs(d, t0, steps)
    assert accepted == [False, True, True, True, True, True, False, True]
