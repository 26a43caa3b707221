"""Issue 16, item 10: the report and `poke` see the same tvl (the balance after the flow).

Before: `recordOutflow` compared the outflow with the tvl before the transfer and `poke` with
the tvl after, so a withdrawal of 9.5% of the pool was allowed and anyone's `poke` right after
it fired `drain` (outflow > 10% of tvl): the effective threshold was 1/11 = 9.09%.
"""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from tests.compiler.conftest import T0, Venue, expect_revert
from tests.compiler.programs import RULE_DRAIN

pytestmark = pytest.mark.evm

USDC = 10**6
WITHDRAWALS = 1


def _withdraw(v: Venue, amount: int, at: int) -> bool:
    r = v.chain.tx(v.vault.functions.withdraw(amount), v.user, at=at)
    return not v.vault.events.FlowRefused().process_receipt(r, errors=DISCARD)


def test_poke_after_an_allowed_flow_does_not_fire(venue: Venue) -> None:
    g = venue.guard.functions
    allowed = _withdraw(venue, 95_000 * USDC, T0 + 10)  # 95k of 1M: 95k > 10% of the 905k left
    assert not allowed, "the report must apply the threshold poke applies"
    assert g.pausedUntil(WITHDRAWALS).call() > 0
    # nothing was counted, so poke has nothing left to fire on
    assert g.outflow(venue.token.address, 3600).call() == 0


def test_largest_allowed_flow_leaves_nothing_for_poke(venue: Venue) -> None:
    g = venue.guard.functions
    assert _withdraw(venue, 90_000 * USDC, T0 + 10)  # 90k <= 10% of the 910k left
    expect_revert(venue.chain, venue.guard, g.poke(RULE_DRAIN), venue.user, "ConditionNotMet",
                  at=T0 + 20)
    assert g.pausedUntil(WITHDRAWALS).call() == 0
