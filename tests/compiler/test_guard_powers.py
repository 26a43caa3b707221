"""Manual powers on the deployed guard (py-evm): k-of-n EIP-712 signatures over nested roles,
timelocks, and the attacks (replay, other domain, duplicated/unsorted/high-s/foreign signers,
expired deadlines, early or cancelled timelocked operations)."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3
from web3.logs import DISCARD

from interlock.testing.signing import OPERATION_TYPES, Operation, domain, to_high_s
from tests.compiler.conftest import (
    SIGNER_KEYS,
    STRANGER_KEY,
    T0,
    Venue,
    expect_revert,
)
from tests.compiler.programs import (
    P_CANCEL,
    P_EXTEND,
    P_PAUSE,
    P_RESUME,
    P_SET,
    P_SET_COLLATERAL,
    P_STEWARD_RESUME,
    P_SUSPEND,
    P_UNPAUSE,
    P_UNPAUSE_LIQ,
)

pytestmark = pytest.mark.evm

H, D = 3600, 86400
ALICE, BOB, CAROL, DAVE, ERIN = SIGNER_KEYS
DEPOSITS, WITHDRAWALS, TRADING, LIQUIDATIONS = 0, 1, 2, 3
FAR = T0 + 365 * D


def op(power: int, targets: int = 0, value: int = 0, nonce: int = 1,
       deadline: int = FAR) -> Operation:
    return Operation(power, targets, value, nonce, deadline)


def reverts(v: Venue, o: Operation, sigs: list[bytes], name: str, at: int | None = None) -> None:
    fn = v.guard.functions.execute(o.as_tuple(), sigs)
    expect_revert(v.chain, v.guard, fn, v.user, name, at=at)


def test_guardian_2_of_3_pauses_and_max_clamps(venue: Venue) -> None:
    g = venue.guard.functions
    venue.execute(op(P_PAUSE, 1 << WITHDRAWALS | 1 << TRADING, 72 * H), (ALICE, DAVE), at=T0 + 10)
    assert g.pausedUntil(WITHDRAWALS).call() == T0 + 10 + 72 * H
    assert g.pausedUntil(TRADING).call() == T0 + 10 + 72 * H
    assert g.nonceUsed(0, 1).call()  # the guardian's (role 0) nonce space
    assert not g.nonceUsed(1, 1).call()
    # power cooldown 24h per target, counted from the end of the requested pause
    reverts(venue, op(P_PAUSE, 1 << TRADING, H, nonce=2), venue.sign(
        op(P_PAUSE, 1 << TRADING, H, nonce=2), (ALICE, CAROL)), "PowerCooldown", at=T0 + 20)


def test_max_clamp_and_gap_refusal(venue: Venue) -> None:
    g = venue.guard.functions
    # withdrawals: max 72h, gap 24h. The drain breaker pauses 6h at T0+10.
    venue.chain.tx(venue.vault.functions.withdraw(200_000 * 10**6), venue.user, at=T0 + 10)
    assert g.pausedUntil(WITHDRAWALS).call() == T0 + 10 + 6 * H
    # the guardian continues the pause by 72h: clamped to since + 72h
    venue.execute(op(P_PAUSE, 1 << WITHDRAWALS, 72 * H), (ALICE, CAROL), at=T0 + 5 * H)
    assert g.pausedUntil(WITHDRAWALS).call() == T0 + 10 + 72 * H
    assert g.pausedSince(WITHDRAWALS).call() == T0 + 10


def test_gap_refuses_a_new_pause_but_not_other_targets(venue: Venue) -> None:
    g = venue.guard.functions
    venue.chain.tx(venue.vault.functions.withdraw(200_000 * 10**6), venue.user, at=T0 + 10)
    venue.execute(op(P_UNPAUSE, 1 << WITHDRAWALS, nonce=2), (ALICE, CAROL), at=T0 + H)
    assert g.pausedUntil(WITHDRAWALS).call() == T0 + H
    # a new pause inside withdrawals' 24h gap is refused (no revert: nothing changes)
    r = venue.execute(op(P_PAUSE, 1 << DEPOSITS | 1 << WITHDRAWALS, H, nonce=3), (DAVE, CAROL),
                      at=T0 + 2 * H)
    refused = venue.guard.events.PauseRefused().process_receipt(r, errors=DISCARD)
    assert [e["args"]["scope"] for e in refused] == [WITHDRAWALS]
    assert g.pausedUntil(WITHDRAWALS).call() == T0 + H
    assert g.pausedUntil(DEPOSITS).call() == T0 + 3 * H  # the other target is paused
    # the refused pause does not use the power's cooldown (docs/semantics.md; issue 16,
    # item 3: a griefer must not lock the guardian out through a refused pause); the applied
    # one does
    assert g.usedUntil(P_PAUSE, WITHDRAWALS).call() == 0
    assert g.usedUntil(P_PAUSE, DEPOSITS).call() == T0 + 3 * H


def test_timelocked_extend_goes_beyond_max_after_delay(venue: Venue) -> None:
    g, c = venue.guard, venue.chain
    o = op(P_EXTEND, 1 << WITHDRAWALS, 7 * D)
    sigs = venue.sign(o, (ALICE, BOB, ERIN))
    reverts(venue, o, sigs, "Timelocked")
    r = c.tx(g.functions.queue(o.as_tuple(), sigs), venue.user, at=T0 + 100)
    op_hash = g.functions.operationHash(o.as_tuple()).call()
    assert g.functions.queuedAt(op_hash).call() == T0 + 100 + 48 * H
    queued = g.events.OperationQueued().process_receipt(r, errors=DISCARD)
    assert queued[0]["args"]["opHash"] == op_hash
    expect_revert(c, g, g.functions.executeQueued(o.as_tuple()), venue.user, "TooEarly",
                  at=T0 + 100 + 47 * H)
    c.tx(g.functions.executeQueued(o.as_tuple()), venue.agent, at=T0 + 100 + 48 * H)
    assert g.functions.pausedUntil(WITHDRAWALS).call() == T0 + 100 + 48 * H + 7 * D
    # executed once only
    expect_revert(c, g, g.functions.executeQueued(o.as_tuple()), venue.user, "NotQueued")
    # the queue's signatures cannot be replayed
    expect_revert(c, g, g.functions.queue(o.as_tuple(), sigs), venue.user, "NonceUsed")


def test_cancelled_operation_cannot_execute(venue: Venue) -> None:
    g, c = venue.guard, venue.chain
    o = op(P_SET, 0, 45, nonce=7)
    c.tx(g.functions.queue(o.as_tuple(), venue.sign(o, (BOB, CAROL, DAVE))), venue.user,
         at=T0 + 10)
    h = g.functions.operationHash(o.as_tuple()).call()
    cancel = op(P_CANCEL, 0, int.from_bytes(h, "big") - (1 << 256 if h[0] >= 0x80 else 0), 8)
    venue.execute(cancel, (ALICE, BOB, ERIN), at=T0 + 20)
    assert g.functions.queuedAt(h).call() == 0
    expect_revert(c, g, g.functions.executeQueued(o.as_tuple()), venue.user, "NotQueued",
                  at=T0 + 10 + 49 * H)
    assert g.functions.paramBase(0).call() == 20


def test_set_is_clamped_to_within_range(venue: Venue) -> None:
    g, c = venue.guard, venue.chain
    o = op(P_SET, 0, 45, nonce=9)
    c.tx(g.functions.queue(o.as_tuple(), venue.sign(o, (BOB, CAROL, DAVE))), venue.user,
         at=T0 + 10)
    c.tx(g.functions.executeQueued(o.as_tuple()), venue.user, at=T0 + 10 + 48 * H)
    assert g.functions.paramBase(0).call() == 30  # within [5, 30]
    # a live breaker override tightens the effective value (safer lower)
    c.tx(g.functions.trip(2), venue.agent)
    assert g.functions.paramValue(0).call() == 10


def test_unpause_when_condition_checked_on_chain(venue: Venue) -> None:
    g, c = venue.guard, venue.chain
    c.tx(venue.feed.functions.setAnswer(2200 * 10**8), venue.user)
    c.tx(g.functions.poke(1), venue.user, at=T0 + 10)  # suspends ETH_USD, pauses liquidations
    o = op(P_UNPAUSE_LIQ, 1 << LIQUIDATIONS, nonce=3)
    reverts(venue, o, venue.sign(o, (ALICE, CAROL)), "PowerConditionFalse", at=T0 + 20)
    # the emergency role (nested: guardian, or 3 of alice/bob/carol) resumes the feed
    r = op(P_RESUME, 1, nonce=4)
    venue.execute(r, (ALICE, BOB, CAROL), at=T0 + 30)
    assert not g.functions.isSuspended(0).call()
    venue.execute(o, (ALICE, CAROL), at=T0 + 40)
    assert g.functions.isActive(LIQUIDATIONS).call()


def test_nested_role_suspend(venue: Venue) -> None:
    g = venue.guard.functions
    venue.execute(op(P_SUSPEND, 1, 2 * H, nonce=5), (CAROL, DAVE), at=T0 + 10)  # guardian
    assert g.suspendedUntil(0).call() == T0 + 10 + 2 * H
    o = op(P_SUSPEND, 1, 2 * H, nonce=6)
    reverts(venue, o, venue.sign(o, (BOB, ERIN)), "RoleNotSatisfied")
    reverts(venue, o, venue.sign(o, (ALICE, BOB)), "RoleNotSatisfied")


def test_invalid_targets_and_values(venue: Venue) -> None:
    for o, err in [
        (op(P_UNPAUSE, 1 << LIQUIDATIONS), "InvalidTargets"),  # not this power's target
        (op(P_PAUSE, 0, H), "InvalidTargets"),
        (op(P_PAUSE, 1 << 7, H), "InvalidTargets"),
        (op(P_PAUSE, 1, 73 * H), "InvalidValue"),
        (op(P_PAUSE, 1, 0), "InvalidValue"),
        (op(P_PAUSE, 1, -5), "InvalidValue"),
        (op(99), "UnknownPower"),
    ]:
        reverts(venue, o, venue.sign(o, (ALICE, CAROL)), err)


# --- attacks on the signatures --------------------------------------------------------------


def test_replayed_signatures_are_refused(venue: Venue) -> None:
    o = op(P_PAUSE, 1, H)
    sigs = venue.sign(o, (ALICE, CAROL))
    venue.execute(o, (ALICE, CAROL), at=T0 + 10)
    reverts(venue, o, sigs, "NonceUsed")


def test_signatures_for_another_chain_or_guard_are_refused(venue: Venue) -> None:
    o = op(P_PAUSE, 1, H)
    other_chain = venue.sign(o, (ALICE, CAROL), chain_id=1)
    other_guard = venue.sign(o, (ALICE, CAROL), guard=venue.vault.address)
    # they recover to some other address: not a declared signer
    reverts(venue, o, other_chain, "UnknownSigner")
    reverts(venue, o, other_guard, "UnknownSigner")


def test_duplicated_unsorted_high_s_and_malformed_signatures(venue: Venue) -> None:
    o = op(P_PAUSE, 1, H)
    a_sig = venue.sign(o, (ALICE,))[0]
    sigs = venue.sign(o, (ALICE, CAROL))
    reverts(venue, o, [a_sig, a_sig], "SignersNotSorted")  # duplicated
    reverts(venue, o, list(reversed(sigs)), "SignersNotSorted")  # unsorted
    reverts(venue, o, [sigs[0], to_high_s(sigs[1])], "HighS")
    # not 65 bytes: a contract signer's entry (address first), and r's 20 bytes are no signer
    reverts(venue, o, [sigs[0], sigs[1][:64]], "UnknownSigner")
    reverts(venue, o, [sigs[0], sigs[1][:19]], "BadSignature")  # shorter than an address
    reverts(venue, o, [sigs[0], sigs[1][:64] + bytes([29])], "BadSignature")
    reverts(venue, o, [], "RoleNotSatisfied")
    reverts(venue, o, sigs * 3, "TooManySignatures")


def test_non_member_signers_are_refused(venue: Venue) -> None:
    o = op(P_PAUSE, 1, H)
    reverts(venue, o, venue.sign(o, (ALICE, STRANGER_KEY)), "UnknownSigner")
    # bob and erin are declared signers but not guardians
    reverts(venue, o, venue.sign(o, (ALICE, BOB, ERIN)), "RoleNotSatisfied")
    assert Account.from_key(STRANGER_KEY).address not in {s.address for s in
                                                          venue.program.signers}


def test_expired_deadline_is_refused(venue: Venue) -> None:
    o = op(P_PAUSE, 1, H, deadline=T0 + 100)
    sigs = venue.sign(o, (ALICE, CAROL))
    reverts(venue, o, sigs, "Expired", at=T0 + 101)


def test_not_timelocked_cannot_queue(venue: Venue) -> None:
    o = op(P_PAUSE, 1, H)
    fn = venue.guard.functions.queue(o.as_tuple(), venue.sign(o, (ALICE, CAROL)))
    expect_revert(venue.chain, venue.guard, fn, venue.user, "NotTimelocked")


def test_domain_and_digest_match_eip712(venue: Venue) -> None:
    o = op(P_PAUSE, 3, H, nonce=42, deadline=T0 + 5)
    dom = domain(venue.program, venue.chain.w3.eth.chain_id, venue.guard.address)
    msg = encode_typed_data(domain_data=dom.fields(), message_types=OPERATION_TYPES,
                            message_data=dom.message(o))
    assert venue.guard.functions.domainSeparator().call() == msg.header
    digest = venue.guard.functions.operationHash(o.as_tuple()).call()
    assert digest == Web3.keccak(b"\x19\x01" + msg.header + msg.body)


def test_cancel_refuses_another_roles_operation(venue: Venue) -> None:
    g, c = venue.guard, venue.chain
    venue.execute(op(P_SUSPEND, 1, 2 * H, nonce=1), (CAROL, DAVE), at=T0 + 10)
    o = op(P_STEWARD_RESUME, 1, nonce=2)
    c.tx(g.functions.queue(o.as_tuple(), venue.sign(o, (BOB, ERIN))), venue.user, at=T0 + 20)
    h = g.functions.operationHash(o.as_tuple()).call()
    as_int = int.from_bytes(h, "big") - (1 << 256 if h[0] >= 0x80 else 0)
    cancel = op(P_CANCEL, 0, as_int, nonce=3)
    reverts(venue, cancel, venue.sign(cancel, (ALICE, BOB, ERIN)), "WrongRole")
    # the steward's own delay is 1h
    c.tx(g.functions.executeQueued(o.as_tuple()), venue.user, at=T0 + 20 + H)
    assert not g.functions.isSuspended(0).call()


def test_set_safer_higher_param_clamped_and_tightened(venue: Venue) -> None:
    g = venue.guard.functions
    venue.execute(op(P_SET_COLLATERAL, 0, 1000, nonce=1), (ALICE, CAROL), at=T0 + 10)
    assert g.paramBase(1).call() == 500
    venue.execute(op(P_SET_COLLATERAL, 0, 60, nonce=2), (ALICE, CAROL), at=T0 + 20)
    assert g.paramBase(1).call() == 60
    venue.chain.tx(g.trip(6), venue.agent)
    assert g.paramValue(1).call() == 200


def test_extend_of_an_open_scope_starts_a_pause(venue: Venue) -> None:
    g, c = venue.guard, venue.chain
    o = op(P_EXTEND, 1 << WITHDRAWALS, 2 * H, nonce=11)
    c.tx(g.functions.queue(o.as_tuple(), venue.sign(o, (ALICE, BOB, ERIN))), venue.user,
         at=T0 + 10)
    c.tx(g.functions.executeQueued(o.as_tuple()), venue.user, at=T0 + 10 + 48 * H)
    assert g.functions.pausedUntil(WITHDRAWALS).call() == T0 + 10 + 50 * H
    assert g.functions.pausedSince(WITHDRAWALS).call() == T0 + 10 + 48 * H
