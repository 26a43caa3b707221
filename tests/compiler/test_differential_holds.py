"""Differential sequences with flows that get held (issue 15, items 2 and 7).

The same steps run on the reference semantics and on the deployed guard (Anvil), compared after
every transaction (`test_differential.compare_runs`). A `Fire` of a `flow(..)` rule is realized
as one outflow report through `reportOutflowTo`; the rules the report fires are the implicit
steps the semantics is given. Beyond the shared state, the guard's held claims are checked
against what the rules decided by hand:

- 6% of the tvl: `big` holds it for 24h; `drain` (20% in 1h) does not fire;
- then 35%: `big` and `huge` both fire and the window reaches 41% > 20%, so `drain` fires too
  and refuses the flow (a refusal wins: no second hold; `huge`'s pause still applies);
- exactly 5% is not held (`>`), one base unit more is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.ir.nodes import Atom
from interlock.runtime.anvil import Anvil
from interlock.semantics.trace import Advance, Fire, MetricValue, Step, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.deploy import Deployed, deploy_rules
from tests.compiler.test_differential import compare_runs

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol HoldDiff
signer s1 0x1111111111111111111111111111111111111111
signer s2 0x2222222222222222222222222222222222222222
role council = 2 of [s1, s2]
scope withdrawals max 24h
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
breaker drain {
  when outflow(USDC, 1h) > 20% of tvl(USDC)
  then pause withdrawals for 6h
  cooldown 12h
}
breaker big {
  when flow(USDC) > 5% of tvl(USDC)
  then hold flow for 24h
}
breaker huge {
  when flow(USDC) > 30% of tvl(USDC)
  then hold flow for 48h, pause withdrawals for 1h
}
allow council to cancel holds
allow council to unpause withdrawals
"""
TVL = 10**12
FLOW = Atom(kind="flow", target="USDC")
TVL_ATOM = Atom(kind="tvl", target="USDC")
DAY = 86_400


def _flow(breaker: str, amount: int) -> Fire:
    return Fire(breaker=breaker, metrics=(MetricValue(atom=FLOW, value=amount),
                                          MetricValue(atom=TVL_ATOM, value=TVL)))


@dataclass
class Env:
    chain: TestChain
    deployed: Deployed
    snapshot: str


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with Anvil(timestamp=1_900_000_000) as node:
        chain = TestChain(node)
        deployed = deploy_rules(chain, RULES, "hold_diff.guard")
        yield Env(chain, deployed, chain.snapshot())


def _run(env: Env, steps: list[Step]) -> tuple[list[bool], int]:
    """`steps` on both sides from a fresh deployment: (which were accepted, t0)."""
    env.chain.revert(env.snapshot)
    env.snapshot = env.chain.snapshot()
    t0 = env.chain.latest_timestamp() + 1_000
    return compare_runs(env.deployed, t0, steps), t0


def _holds(d: Deployed) -> list[tuple[int, int, int]]:
    """(amount, release time, status) of every hold the guard recorded."""
    out = []
    for hold_id in range(1, 10):
        _v, _a, _r, amount, release, status = d.guard.functions.heldFlow(hold_id).call()
        if status == 0:
            break
        out.append((int(amount), int(release), int(status)))
    return out


def test_held_then_a_refusal_wins(env: Env) -> None:
    steps: list[Step] = [Advance(seconds=10), _flow("big", 6 * TVL // 100),
                         Advance(seconds=10), _flow("huge", 35 * TVL // 100)]
    accepted, t0 = _run(env, steps)
    assert accepted == [True, True, True, True]
    d = env.deployed
    assert _holds(d) == [(6 * TVL // 100, t0 + 10 + DAY, 1)]  # the 35% flow was refused
    assert int(d.guard.functions.pausedUntil(0).call()) == t0 + 20 + 6 * 3600  # drain's 6h


def test_exactly_five_percent_is_not_held(env: Env) -> None:
    # tvl is read after the flow: 5% of TVL is exactly the threshold, one unit more holds
    steps: list[Step] = [Advance(seconds=10), _flow("big", 5 * TVL // 100),
                         Advance(seconds=10), _flow("big", 5 * TVL // 100 + 1)]
    accepted, t0 = _run(env, steps)
    assert accepted == [True, False, True, True]
    assert _holds(env.deployed) == [(5 * TVL // 100 + 1, t0 + 20 + DAY, 1)]


def test_cancel_holds_changes_no_modelled_state(env: Env) -> None:
    cancel = UsePower(power=0, targets=("holds",), value=1, signers=("s1", "s2"))
    steps: list[Step] = [Advance(seconds=10), _flow("big", 7 * TVL // 100), cancel]
    accepted, _t0 = _run(env, steps)
    assert accepted == [True, True, True]
    assert [h[2] for h in _holds(env.deployed)] == [3]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(amounts=st.lists(st.integers(0, TVL // 2), min_size=1, max_size=4),
       gaps=st.lists(st.integers(0, 2 * 3600), min_size=4, max_size=4))
def test_random_flows_agree(env: Env, amounts: list[int],
                            gaps: list[int]) -> None:
    steps: list[Step] = []
    for amount, gap in zip(amounts, gaps, strict=False):
        steps += [Advance(seconds=gap), _flow("big", amount)]
    _run(env, steps)
