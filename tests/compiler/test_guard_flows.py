"""The deployed guard (py-evm): scope checks, flows, on-chain rules, the agent's trips, and
re-entrancy through a malicious token or feed."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from web3.logs import DISCARD

from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.ir.addresses import constructor_args
from interlock.testing.contracts import compile_testkit, deploy, deploy_compiled
from tests.compiler.conftest import (
    SIGNER_KEYS,
    T0,
    Chain,
    Venue,
    expect_revert,
    expect_view_revert,
)
from tests.compiler.programs import (
    RULE_COLLATERAL,
    RULE_DRAIN,
    RULE_HALT,
    RULE_INFLOW,
    RULE_ORACLE,
    RULE_SPAM,
    RULE_STATEFUL,
    RULE_TIGHTEN,
    Addresses,
    venue_program,
)

pytestmark = pytest.mark.evm

H = 3600
WITHDRAWALS, DEPOSITS, TRADING, LIQUIDATIONS = 1, 0, 2, 3
USDC = 10**6


def withdraw(v: Venue, amount: int, at: int) -> bool:
    r = v.chain.tx(v.vault.functions.withdraw(amount), v.user, at=at)
    refused = v.vault.events.FlowRefused().process_receipt(r, errors=DISCARD)
    return not refused


def test_fresh_guard_is_open_and_reports_declared_values(venue: Venue) -> None:
    g = venue.guard.functions
    for s in range(4):
        assert g.isActive(s).call()
        assert g.pausedUntil(s).call() == 0
        g.requireActive(s).call()
    assert g.paramBase(0).call() == 20 and g.paramValue(0).call() == 20
    assert not g.isSuspended(0).call()
    assert g.firedUntil(RULE_DRAIN).call() == 0
    assert g.inflow(venue.token.address, H).call() == 0


def test_unknown_ids_revert(venue: Venue) -> None:
    g, c, u = venue.guard, venue.chain, venue.user
    expect_revert(c, g, g.functions.poke(99), u, "UnknownRule")
    expect_revert(c, g, g.functions.trip(99), venue.agent, "UnknownRule")
    expect_view_revert(g, g.functions.pausedUntil(9), "UnknownScope")
    expect_view_revert(g, g.functions.isSuspended(1), "UnknownFeed")
    expect_view_revert(g, g.functions.paramValue(2), "UnknownParam")
    expect_view_revert(g, g.functions.outflow(venue.token.address, 7200), "UnknownWindow")


def test_outflow_that_trips_drain_is_refused_and_pause_persists(venue: Venue) -> None:
    g = venue.guard.functions
    assert withdraw(venue, 60_000 * USDC, T0 + 10)  # 6% of tvl: fine
    assert g.outflow(venue.token.address, H).call() == 60_000 * USDC
    # 60k + 50k = 110k > 10% of the 940k left: drain fires; this flow is not counted
    assert not withdraw(venue, 50_000 * USDC, T0 + 20)
    assert g.outflow(venue.token.address, H).call() == 60_000 * USDC
    assert venue.token.functions.balanceOf(venue.user).call() == 10**15 + 60_000 * USDC
    assert g.pausedUntil(WITHDRAWALS).call() == T0 + 20 + 6 * H
    assert g.pausedSince(WITHDRAWALS).call() == T0 + 20
    assert g.firedUntil(RULE_DRAIN).call() == T0 + 20 + 6 * H
    expect_revert(venue.chain, venue.guard, venue.vault.functions.withdraw(1), venue.user,
                  "ScopePaused", at=T0 + 30)


def test_window_forgets_old_flows(venue: Venue) -> None:
    g = venue.guard.functions
    assert withdraw(venue, 60_000 * USDC, T0 + 10)
    assert withdraw(venue, 1 * USDC, T0 + 2 * H)  # an hour later the first flow has left
    assert g.outflow(venue.token.address, H).call() == 1 * USDC
    assert withdraw(venue, 80_000 * USDC, T0 + 2 * H + 5)  # 80k <= 10% of the 860k after it


def test_recorded_flows_only_from_vaults(venue: Venue) -> None:
    g = venue.guard
    expect_revert(venue.chain, g, g.functions.recordOutflow(venue.token.address, 1), venue.user,
                  "NotVault")
    expect_revert(venue.chain, g, g.functions.recordInflow(venue.token.address, 1), venue.agent,
                  "NotVault")



def test_inflow_rule_checked_on_deposit(venue: Venue) -> None:
    g = venue.guard.functions
    # inflow(1h) > 50% of the tvl after it (4M): a 3M deposit trips it and is refused
    ok = venue.chain.tx(venue.vault.functions.deposit(3 * 10**12), venue.user, at=T0 + 5)
    assert venue.vault.events.FlowRefused().process_receipt(ok, errors=DISCARD)
    assert g.pausedUntil(DEPOSITS).call() == T0 + 5 + H
    assert g.firedUntil(RULE_INFLOW).call() == T0 + 5 + H


def test_poke_fires_only_when_condition_holds_and_cooldown_allows(venue: Venue) -> None:
    g, c = venue.guard, venue.chain
    expect_revert(c, g, g.functions.poke(RULE_ORACLE), venue.user, "ConditionNotMet")
    c.tx(venue.feed.functions.setAnswer(2100 * 10**8), venue.user)  # 5% above the reference
    c.tx(g.functions.poke(RULE_ORACLE), venue.user, at=T0 + 100)
    assert g.functions.isSuspended(0).call()
    assert g.functions.suspendedUntil(0).call() == T0 + 100 + 1800
    assert g.functions.pausedUntil(LIQUIDATIONS).call() == T0 + 100 + 1800
    # no cooldown, but it reads the feed it suspended: it does not fire while the suspension
    # lasts (docs/semantics.md, "Failed reads"), and fires again at once after it
    expect_revert(c, g, g.functions.poke(RULE_ORACLE), venue.user, "ConditionNotMet",
                  at=T0 + 200)
    c.tx(g.functions.poke(RULE_ORACLE), venue.user, at=T0 + 100 + 1800)
    assert g.functions.suspendedUntil(0).call() == T0 + 100 + 1800 + 1800
    # drain has a 24h cooldown counted from the end of its pause
    c.tx(venue.vault.functions.withdraw(200_000 * USDC), venue.user, at=T0 + 2000)
    until = g.functions.firedUntil(RULE_DRAIN).call()
    assert until == T0 + 2000 + 6 * H
    expect_revert(c, g, g.functions.poke(RULE_DRAIN), venue.user, "RuleCooldown", at=T0 + 2100)
    expect_revert(c, g, g.functions.poke(RULE_TIGHTEN), venue.user, "NotOnchainRule")


def test_zero_reference_answer_saturates_deviation(venue: Venue) -> None:
    venue.chain.tx(venue.reference.functions.setAnswer(0), venue.user)
    venue.chain.tx(venue.guard.functions.poke(RULE_ORACLE), venue.user, at=T0 + 50)
    assert venue.guard.functions.isSuspended(0).call()


@pytest.mark.parametrize(("ref", "fires"), [
    (2**129, True),  # a feed at 2**130: 100% off, far above the 2**128 saturation of answers
    (2**250 + 12345, None),  # the threshold itself, exactly, at huge answers
    (10**8, None),
    (1, True),  # the quotient alone saturates
])
def test_deviation_is_exact_for_any_answers(venue: Venue, ref: int, fires: bool | None) -> None:
    """deviation = floor(|p - r| * 1e18 / r) on the answers themselves (docs/semantics.md)."""
    g, c = venue.guard, venue.chain
    c.tx(venue.reference.functions.setAnswer(ref), venue.user)
    wad, threshold = 10**18, 3 * 10**16  # oracle_divergence: deviation > 3%
    if fires:
        c.tx(venue.feed.functions.setAnswer(2**130 if ref == 2**129 else 2**200), venue.user)
        c.tx(g.functions.poke(RULE_ORACLE), venue.user, at=T0 + 50)
        assert g.functions.isSuspended(0).call()
        return
    # the smallest answer above ref with deviation > 3%, and the one just below it
    above = ref + -(-(threshold + 1) * ref // wad)
    for answer, holds in ((above - 1, False), (above, True)):
        assert ((answer - ref) * wad // ref > threshold) is holds
        c.tx(venue.feed.functions.setAnswer(answer), venue.user)
        if holds:
            c.tx(g.functions.poke(RULE_ORACLE), venue.user, at=T0 + 60)
            assert g.functions.isSuspended(0).call()
        else:
            expect_revert(c, g, g.functions.poke(RULE_ORACLE), venue.user, "ConditionNotMet",
                          at=T0 + 50)


def test_agent_trips_offchain_rules_within_bounds(venue: Venue) -> None:
    g, c, a = venue.guard, venue.chain, venue.agent
    expect_revert(c, g, g.functions.trip(RULE_TIGHTEN), venue.user, "NotAgent")
    # the agent may not fire what it cannot make true on chain
    expect_revert(c, g, g.functions.trip(RULE_DRAIN), a, "OnchainRule")
    expect_revert(c, g, g.functions.trip(RULE_ORACLE), a, "OnchainRule")
    c.tx(g.functions.trip(RULE_TIGHTEN), a, at=T0 + 100)
    assert g.functions.paramValue(0).call() == 10 and g.functions.paramBase(0).call() == 20
    c.tx(g.functions.trip(RULE_HALT), a, at=T0 + 200)
    for s in (DEPOSITS, TRADING, LIQUIDATIONS):
        assert g.functions.pausedUntil(s).call() == T0 + 200 + 6 * H
    assert g.functions.pausedUntil(WITHDRAWALS).call() == 0
    # halt: cooldown 24h after its 6h effect
    expect_revert(c, g, g.functions.trip(RULE_HALT), a, "RuleCooldown", at=T0 + 30 * H)
    c.tx(g.functions.trip(RULE_HALT), a, at=T0 + 200 + 30 * H)
    # the override expires by itself
    c.tx(g.functions.trip(RULE_TIGHTEN), a, at=T0 + 40 * H)
    c.at(T0 + 40 * H + 2 * H + 1)
    c.tx(venue.token.functions.mint(a, 1), a)
    assert g.functions.paramValue(0).call() == 20


def test_trip_checks_the_state_part_of_an_offchain_condition(venue: Venue) -> None:
    """`change > 5% and not paused(trading) and max_leverage >= 10`: the agent measures
    `change`, but the guard checks the rest itself (docs/audit.md, B4)."""
    g, c, a = venue.guard, venue.chain, venue.agent
    c.tx(g.functions.trip(RULE_HALT), a, at=T0 + 10)  # pauses trading
    expect_revert(c, g, g.functions.trip(RULE_STATEFUL), a, "ConditionNotMet", at=T0 + 20)
    c.tx(g.functions.trip(RULE_STATEFUL), a, at=T0 + 10 + 6 * H)  # trading open again
    assert g.functions.pausedUntil(DEPOSITS).call() >= T0 + 10 + 7 * H


def test_trip_sender_blocks_one_sender(venue: Venue) -> None:
    g, c, a = venue.guard, venue.chain, venue.agent
    bad = venue.chain.accounts[5]
    expect_revert(c, g, g.functions.trip(RULE_SPAM), a, "SenderRequired")
    expect_revert(c, g, g.functions.tripSender(RULE_TIGHTEN, bad), a, "NoSenderEffect")
    expect_revert(c, g, g.functions.tripSender(RULE_SPAM, bad), venue.user, "NotAgent")
    c.tx(g.functions.tripSender(RULE_SPAM, bad), a, at=T0 + 10)
    assert g.functions.blockedUntil(bad, TRADING).call() == T0 + 10 + H
    assert g.functions.blockedUntil(venue.user, TRADING).call() == 0
    expect_view_revert(g, g.functions.requireActiveFor(TRADING, bad), "SenderIsBlocked")
    g.functions.requireActiveFor(TRADING, venue.user).call()


def test_absurd_amounts_saturate_and_trip(venue: Venue) -> None:
    # a report never reverts for its size (issue 16, item 7): it saturates and drains
    assert not withdraw(venue, 2**128, T0 + 10)
    assert venue.guard.functions.pausedUntil(WITHDRAWALS).call() == T0 + 10 + 6 * H


def test_safer_higher_param_takes_the_max_of_base_and_overrides(venue: Venue) -> None:
    g, c = venue.guard.functions, venue.chain
    c.tx(g.trip(RULE_COLLATERAL), venue.agent, at=T0 + 10)
    assert g.paramBase(1).call() == 100 and g.paramValue(1).call() == 200
    assert g.paramValue(0).call() == 20  # the other param is untouched


def _eoa_vault_guard(chain: Chain) -> tuple[Any, Any, Any, str]:
    """A guard whose vault is an unlocked account and whose asset and feed are malicious:
    (guard, ReentrantToken, ReentrantFeed, vault account)."""
    kit = compile_testkit()
    w3, vault_eoa = chain.w3, chain.accounts[3]
    token = deploy_compiled(w3, kit, "ReentrantToken")
    feed = deploy_compiled(w3, kit, "ReentrantFeed", 2100 * 10**8)
    ref = deploy_compiled(w3, kit, "TestFeed", 8, 2000 * 10**8)
    program = venue_program(Addresses(
        signers=tuple(Account.from_key(k).address for k in SIGNER_KEYS), agent=chain.accounts[1],
        token=token.address, vault=vault_eoa, feed=feed.address, reference=ref.address,
    ), protocol="Reentry")
    c = compile_sources(emit_solidity(program), allow_warnings=False).contract("ReentryGuard")
    return deploy(w3, c.abi, c.bytecode, *constructor_args(program)), token, feed, vault_eoa


def test_vault_reports_only_assets_it_holds(venue: Venue) -> None:
    guard, token, _, vault_eoa = _eoa_vault_guard(venue.chain)
    other = venue.chain.accounts[4]
    expect_revert(venue.chain, guard, guard.functions.recordOutflow(other, 1), vault_eoa,
                  "AssetNotHeld")
    venue.chain.tx(guard.functions.recordOutflow(token.address, 1), vault_eoa)


def test_window_sums_follow_the_bucket_rule(venue: Venue) -> None:
    """Flows over many buckets (same bucket, next bucket, gaps, a full window) against the
    rule of docs/semantics.md: the sum at `now` is over buckets k, now/b - 12 < k <= now/b."""
    guard, token, _, vault_eoa = _eoa_vault_guard(venue.chain)
    c = venue.chain
    c.tx(token.functions.setBalance(vault_eoa, 10**30), vault_eoa)
    b, t0 = H // 12, T0 + 7
    offsets = [0, 0, 1, 299, 300, 301, 900, 2000, 3599, 3600, 3601, 3900, 3900, 7500, 7800,
               8100, 8100, 8400, 8700, 12000, 12001, 30000, 30299, 30300]
    flows: list[tuple[int, int]] = []
    last = 0
    for i, off in enumerate(offsets):
        amount = 1000 + 37 * i
        fn = guard.functions.recordOutflow(token.address, amount)
        # py-evm mines each transaction in its own block, one second apart at least
        r = c.tx(fn, vault_eoa, at=t0 + off if t0 + off > last + 1 else None)
        now = last = c.timestamp(r)
        flows.append((now, amount))
        expected = sum(a for ts, a in flows if now // b - 12 < ts // b <= now // b)
        got = guard.functions.outflow(token.address, H).call(block_identifier=r["blockNumber"])
        assert got == expected, (off, now)
    assert guard.functions.inflow(token.address, H).call() == 0


def _reentrancy_guard(chain: Chain, which: str) -> None:
    """A guard whose asset (or feed) re-enters `poke` while the guard reads it."""
    user = chain.accounts[2]
    guard, token, feed, vault_eoa = _eoa_vault_guard(chain)
    chain.tx(token.functions.setBalance(vault_eoa, 1000 * USDC), user)
    if which == "bubble":
        # the token re-throws why its re-entry failed: the read fails (a STATICCALL cannot
        # re-enter), which counts as drain's condition holding: it fires, the flow is refused
        chain.tx(token.functions.setTarget(guard.address, RULE_DRAIN, True), user)
        chain.tx(token.functions.setBubble(True), user)
        r = chain.tx(guard.functions.recordOutflow(token.address, 1 * USDC), vault_eoa)
        assert guard.events.FlowRefused().process_receipt(r, errors=DISCARD)
        assert guard.functions.firedUntil(RULE_DRAIN).call() > 0
    elif which == "token":
        chain.tx(token.functions.setTarget(guard.address, RULE_DRAIN, True), user)
        # the vault reports 200 USDC out of 1000: drain's condition holds and reads balanceOf
        r = chain.tx(guard.functions.recordOutflow(token.address, 200 * USDC), vault_eoa)
        refused = guard.events.FlowRefused().process_receipt(r, errors=DISCARD)
        assert refused[0]["args"]["amount"] == 200 * USDC
        assert guard.functions.firedUntil(RULE_DRAIN).call() > 0
        # the poke that re-enters itself through balanceOf fails only by cooldown, not by
        # re-entry: its re-entrant inner call never succeeds
        expect_revert(chain, guard, guard.functions.poke(RULE_DRAIN), user, "RuleCooldown")
    else:
        chain.tx(feed.functions.setTarget(guard.address, RULE_ORACLE, True), user)
        chain.tx(guard.functions.poke(RULE_ORACLE), user)
        assert guard.functions.isSuspended(0).call()


@pytest.mark.parametrize("which", ["token", "feed", "bubble"])
def test_reentrancy_through_malicious_token_or_feed_fails(venue: Venue, which: str) -> None:
    _reentrancy_guard(venue.chain, which)
