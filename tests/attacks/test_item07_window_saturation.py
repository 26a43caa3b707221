"""Issue 16, item 7: flow windows saturate instead of reverting.

Before: a window total of 2**112 reverted every report with `AmountTooLarge`, so flash
liquidity (a huge deposit, withdrawals within 10% of the inflated tvl, repaid) left the outflow
window full and every honest withdrawal reverted for the rest of the window. Now a bucket
saturates at `BUCKET_CAP` (docs/semantics.md): the honest report is evaluated (the saturated
outflow reads as a drain, so the breaker's bounded pause applies) and never reverts.
"""

from __future__ import annotations

import pytest
from web3.logs import DISCARD

from interlock.ir.metric_arith import BUCKET_CAP
from interlock.runtime.windows import WindowSum
from tests.compiler.conftest import T0, Venue

pytestmark = pytest.mark.evm

H = 3600


def test_saturated_window_does_not_revert_honest_withdrawals(venue: Venue) -> None:
    c, g, token = venue.chain, venue.guard.functions, venue.token
    c.tx(token.functions.mint(venue.vault.address, 2**126), venue.deployer, at=T0 + 5)  # flash
    for at in (T0 + 10, T0 + 11, T0 + 12):
        c.tx(venue.vault.functions.withdraw(2**111), venue.user, at=at)
    c.tx(token.functions.setBalance(venue.vault.address, 10**12), venue.deployer, at=T0 + 13)
    assert g.outflow(token.address, H).call() == BUCKET_CAP
    r = c.tx(venue.vault.functions.withdraw(100 * 10**6), venue.user, at=T0 + 20)  # no revert
    refused = venue.vault.events.FlowRefused().process_receipt(r, errors=DISCARD)
    assert refused and g.pausedUntil(1).call() == T0 + 20 + 6 * H
    assert g.outflow(token.address, H).call() == BUCKET_CAP


def test_monitor_window_saturates_like_the_guard() -> None:
    w = WindowSum(H, cap=BUCKET_CAP)
    for t in (T0 + 10, T0 + 11, T0 + 12):
        w.add(t, 2**111)
    assert w.total(T0 + 20) == BUCKET_CAP
