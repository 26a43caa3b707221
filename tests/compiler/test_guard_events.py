"""Every state change of the deployed guard emits its event, with the values it stored."""

from __future__ import annotations

from typing import Any

import pytest
from web3.logs import DISCARD

from interlock.testing.signing import Operation
from tests.compiler.conftest import SIGNER_KEYS, T0, Venue
from tests.compiler.programs import (
    P_CANCEL,
    P_PAUSE,
    P_RESUME,
    P_SET,
    P_UNPAUSE,
    RULE_ORACLE,
    RULE_SPAM,
    RULE_TIGHTEN,
)

pytestmark = pytest.mark.evm

H = 3600
ALICE, BOB, CAROL, DAVE, ERIN = SIGNER_KEYS
FAR = T0 + 10**6


def events(v: Venue, receipt: Any, name: str) -> list[dict[str, Any]]:
    logs = getattr(v.guard.events, name)().process_receipt(receipt, errors=DISCARD)
    return [dict(e["args"]) for e in logs]


def test_breaker_events(venue: Venue) -> None:
    c, g = venue.chain, venue.guard.functions
    r = c.tx(g.trip(RULE_TIGHTEN), venue.agent, at=T0 + 10)
    assert events(venue, r, "ParamOverridden") == [
        {"param": 0, "ruleId": RULE_TIGHTEN, "value": 10, "until": T0 + 10 + 2 * H}]
    assert events(venue, r, "BreakerFired") == [
        {"ruleId": RULE_TIGHTEN, "caller": venue.agent, "firedUntil": T0 + 10 + 2 * H}]
    c.tx(venue.feed.functions.setAnswer(2200 * 10**8), venue.user)
    r = c.tx(g.poke(RULE_ORACLE), venue.user, at=T0 + 20)
    assert events(venue, r, "Suspended") == [{"feed": 0, "until": T0 + 20 + 1800}]
    assert events(venue, r, "Paused") == [{"scope": 3, "until": T0 + 20 + 1800, "since": T0 + 20}]
    bad = c.accounts[6]
    r = c.tx(g.tripSender(RULE_SPAM, bad), venue.agent, at=T0 + 30)
    assert events(venue, r, "SenderBlocked") == [{"sender": bad, "scope": 2, "until": T0 + 30 + H}]


def test_power_events(venue: Venue) -> None:
    c, g = venue.chain, venue.guard.functions
    r = venue.execute(Operation(P_PAUSE, 1 << 2, H, 1, FAR), (ALICE, CAROL), at=T0 + 10)
    h = g.operationHash((P_PAUSE, 1 << 2, H, 1, FAR)).call()
    assert events(venue, r, "OperationExecuted") == [{"opHash": h, "power": P_PAUSE}]
    assert events(venue, r, "Paused") == [{"scope": 2, "until": T0 + 10 + H, "since": T0 + 10}]
    r = venue.execute(Operation(P_UNPAUSE, 1 << 2, 0, 2, FAR), (ALICE, CAROL), at=T0 + 20)
    assert events(venue, r, "Unpaused") == [{"scope": 2}]
    venue.execute(Operation(5, 1, H, 3, FAR), (ALICE, CAROL), at=T0 + 30)  # suspend
    r = venue.execute(Operation(P_RESUME, 1, 0, 4, FAR), (ALICE, CAROL), at=T0 + 40)
    assert events(venue, r, "Resumed") == [{"feed": 0}]
    # timelocked set: queued, executed; another queued and cancelled
    s1, s2 = Operation(P_SET, 0, 7, 5, FAR), Operation(P_SET, 0, 9, 6, FAR)
    for op in (s1, s2):
        r = c.tx(venue.guard.functions.queue(op.as_tuple(), venue.sign(op, (BOB, CAROL, DAVE))),
                 venue.user, at=T0 + 50 + op.nonce)
        assert events(venue, r, "OperationQueued")[0]["eta"] == T0 + 50 + op.nonce + 48 * H
    h2 = g.operationHash(s2.as_tuple()).call()
    cancel = Operation(P_CANCEL, 0, int.from_bytes(h2, "big", signed=True), 7, FAR)
    r = venue.execute(cancel, (ALICE, BOB, ERIN), at=T0 + 60)
    assert events(venue, r, "OperationCancelled") == [{"opHash": h2}]
    r = c.tx(g.executeQueued(s1.as_tuple()), venue.user, at=T0 + 55 + 48 * H)
    assert events(venue, r, "ParamBaseSet") == [{"param": 0, "value": 7}]
