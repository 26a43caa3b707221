"""Step bounds of `set` powers on the deployed guard (Anvil), held to the reference semantics.

`allow stewards to set cap by at most 100% per 3d`: exactly +100% is allowed and one base unit
more reverts `SetStepTooLarge`; a second change before 3 days reverts `SetStepTooSoon`, at 3
days it runs; a timelocked operation is checked against the base when it executes, not when it
was queued; and the attacks: splitting a large move into small ones inside the period, or asking
for a far larger value that the `within` clamp would cut down, are refused. Every step is also
applied to `interlock.semantics`, which must accept or refuse it alike and end in the same state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from interlock.runtime.anvil import Anvil
from interlock.semantics import State, StepRefused, initial_state, step
from interlock.semantics.trace import Advance, Step, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import ChainDriver, view_of_state
from interlock.testing.deploy import Deployed, deploy_rules
from tests.compiler.conftest import error_selector, revert_data

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Steps
signer s1 0x00000000000000000000000000000000000000a1
signer s2 0x00000000000000000000000000000000000000a2
asset USDC 0x00000000000000000000000000000000000000c1 decimals 6
role stewards = 1 of [s1]
role council = 1 of [s2] after 1d
param cap = 1_000 USDC in [0, 10_000_000] safer lower
param floor = 0 in [-100, 100] safer higher
allow stewards to set cap within [0, 5_000] by at most 100% per 3d
allow council to set cap by at most 500 USDC per 1d
allow stewards to set floor by at most 50 per 1d cooldown 2d
"""
USDC = 10**6
DAY = 86_400
CAP0 = 1_000 * USDC
STEWARD_CAP, COUNCIL_CAP, STEWARD_FLOOR = 0, 1, 2


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=1_900_000_000) as node:
        yield TestChain(node)


@pytest.fixture
def deployed(chain: TestChain) -> Iterator[Deployed]:
    snap = chain.snapshot()
    yield deploy_rules(chain, RULES, "steps.guard")
    chain.revert(snap)


def _set(power: int, value: int) -> UsePower:
    signer = "s2" if power == COUNCIL_CAP else "s1"
    return UsePower(power=power, targets=(), value=value, signers=(signer,))


class Both:
    """One driver on the guard and the semantics' state, stepped together."""

    def __init__(self, d: Deployed, steps: list[Step]) -> None:
        self.d = d
        t0 = d.harness.chain.latest_timestamp() + 1_000
        self.driver = ChainDriver(d.program, d.harness, d.guard, t0=t0)
        self.driver.prequeue(steps)  # timelocked uses are queued at t0
        self.state: State = initial_state(d.program, t0)
        self.steps = steps

    def run(self, i: int, refused_by: str | None = None) -> None:
        """Apply step `i` on both sides; `refused_by`: the custom error the guard reverts with."""
        s = self.steps[i]
        if refused_by is not None:
            assert self._revert(s, i).startswith(error_selector(self.d.guard.abi, refused_by))
        out = self.driver.apply(s, i)
        try:
            self.state, reason = step(self.d.program, self.state, out.step), None
        except StepRefused as e:
            reason = e.reason
        assert out.ok == (reason is None), f"step {i}: chain {out.ok}, semantics {reason}"
        assert out.ok == (refused_by is None), f"step {i}: {reason}"
        if not isinstance(s, Advance):
            assert self.driver.read() == view_of_state(self.d.program, self.state)

    def _revert(self, s: Step, i: int) -> str:
        assert isinstance(s, UsePower)
        queued = self.driver.queued(i)
        fn: Any
        if queued is not None:
            fn = self.d.guard.functions.executeQueued(queued.op)
        else:
            signed = self.driver.sign(s)
            fn = self.d.guard.functions.execute(signed.op, signed.signatures)
        self.driver.chain.at(self.driver.now)
        with pytest.raises(Exception) as info:
            fn.call({"from": self.driver.sender}, block_identifier="pending")
        return revert_data(info.value)

    def base(self, param: int) -> int:
        return int(self.d.guard.functions.paramBase(param).call())


def test_exactly_the_bound_runs_one_unit_more_reverts(deployed: Deployed) -> None:
    both = Both(deployed, [_set(STEWARD_CAP, 2 * CAP0 + 1), _set(STEWARD_CAP, 2 * CAP0)])
    both.run(0, "SetStepTooLarge")
    both.run(1)
    assert both.base(0) == 2 * CAP0


def test_second_change_waits_for_the_period(deployed: Deployed) -> None:
    steps: list[Step] = [_set(STEWARD_CAP, 2 * CAP0), Advance(seconds=3 * DAY - 1),
                         _set(STEWARD_CAP, 2 * CAP0 + 1), Advance(seconds=1),
                         _set(STEWARD_CAP, 4 * CAP0), Advance(seconds=3 * DAY),
                         _set(STEWARD_CAP, 0)]
    both = Both(deployed, steps)
    for i, error in enumerate([None, None, "SetStepTooSoon", None, None, None, None]):
        both.run(i, error)
    assert both.base(0) == 0  # -100% is inside a symmetric 100% bound


def test_splitting_a_move_inside_the_period_is_refused(deployed: Deployed) -> None:
    """Attack: +100% as +10% steps an hour apart; only the first runs within 3 days."""
    steps: list[Step] = [_set(STEWARD_CAP, CAP0 * 11 // 10)]
    for k in range(2, 6):
        steps += [Advance(seconds=3600), _set(STEWARD_CAP, CAP0 * (10 + k) // 10)]
    both = Both(deployed, steps)
    both.run(0)
    for i in range(1, len(steps)):
        both.run(i, None if isinstance(steps[i], Advance) else "SetStepTooSoon")
    assert both.base(0) == CAP0 * 11 // 10


def test_a_value_the_clamp_cuts_down_still_meets_the_step(deployed: Deployed) -> None:
    """Attack: ask for 10^30; `within [0, 5_000]` clamps it to 5_000 USDC, still +400%."""
    both = Both(deployed, [_set(STEWARD_CAP, 10**30)])
    both.run(0, "SetStepTooLarge")
    assert both.base(0) == CAP0


def test_timelocked_step_is_checked_at_execution(deployed: Deployed) -> None:
    """Both council operations fit when queued (base 1_000 USDC); the steward halves the cap
    meanwhile, so +500 USDC from 1_000 is +1_000 from the base at execution: refused."""
    steps: list[Step] = [_set(STEWARD_CAP, CAP0 // 2), Advance(seconds=DAY),
                         _set(COUNCIL_CAP, CAP0 + 500 * USDC), _set(COUNCIL_CAP, CAP0)]
    both = Both(deployed, steps)
    both.run(0)
    both.run(1)
    both.run(2, "SetStepTooLarge")
    both.run(3)  # 500 -> 1_000 USDC: exactly the council's bound
    assert both.base(0) == CAP0


def test_absolute_step_on_a_signed_param_and_its_cooldown(deployed: Deployed) -> None:
    steps: list[Step] = [_set(STEWARD_FLOOR, -51), _set(STEWARD_FLOOR, -50),
                         Advance(seconds=DAY), _set(STEWARD_FLOOR, 0), Advance(seconds=DAY),
                         _set(STEWARD_FLOOR, 0)]
    both = Both(deployed, steps)
    for i, error in enumerate([
        "SetStepTooLarge", None, None,
        "PowerCooldown",  # the step allows it after 1d; the power's own cooldown is 2d
        None, None,
    ]):
        both.run(i, error)
    assert both.base(1) == 0
