"""The guard on Anvil over HTTP, compiled from rule text by the front end.

The SPEC §1 venue is written as text with the deployed mocks' addresses and the test keys'
checksummed addresses formatted in, checked by `compile_text`, generated, compiled with the
pinned solc and deployed; then a subset of the py-evm tests runs against Anvil.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from interlock.ir.addresses import constructor_args
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import compile_testkit, deploy, deploy_compiled
from interlock.testing.signing import Operation, domain, sign_operation, to_high_s
from tests.compiler.conftest import SIGNER_KEYS, T0, Chain, expect_revert

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

H = 3600
USDC = 10**6
ALICE, BOB, CAROL, DAVE, ERIN = SIGNER_KEYS

VENUE = """protocol PerpVenue
signer alice {alice} entity foundation
signer bob   {bob} entity foundation
signer carol {carol} entity auditor
signer dave  {dave} entity community
signer erin  {erin} entity community
agent  watcher {agent}
role guardian = 2 of [alice, carol, dave]
role council  = 3 of [alice, bob, carol, dave, erin]
role governor = council after 48h
scope deposits
scope withdrawals max 72h gap 24h
scope trading
scope liquidations
asset USDC {token} decimals 6
vault pool {vault} holds USDC
feed ETH_USD {feed} decimals 8 reference {reference}
param max_leverage = 20 in [2, 50] safer lower
breaker drain {{
  when outflow(USDC, 1h) > 10% of tvl(USDC)
  then pause withdrawals for 6h
  cooldown 24h
}}
breaker oracle_divergence {{
  when deviation(ETH_USD) > 3%
  then suspend ETH_USD for 30m, pause liquidations for 30m
}}
score risk {{
  40 when deviation(ETH_USD) > 2%
  30 when outflow(USDC, 1h) > 5% of tvl(USDC)
  30 when change(ETH_USD, 1h) > 8%
}}
breaker tighten {{
  when risk >= 40
  then set max_leverage to 10 for 2h
}}
breaker halt {{
  when risk >= 90
  then pause * except withdrawals for 6h
  cooldown 24h
}}
allow guardian to pause * for at most 72h cooldown 24h
allow guardian to unpause * except liquidations
allow guardian to unpause liquidations when not suspended(ETH_USD)
allow governor to set max_leverage
allow governor to extend withdrawals by at most 7d
invariant no_single_key: no unilateral signer
"""


@dataclass
class Deployed:
    chain: Chain
    guard: Any
    token: Any
    vault: Any
    feed: Any
    agent: str
    user: str
    program: Program

    def execute(self, op: Operation, keys: tuple[bytes, ...], at: int) -> None:
        sigs = sign_operation(op, keys, domain(self.program, self.chain.w3.eth.chain_id,
                                               self.guard.address))
        self.chain.tx(self.guard.functions.execute(op.as_tuple(), sigs), self.user, at=at)


@pytest.fixture(scope="module")
def deployed(anvil_node: Anvil) -> Iterator[Deployed]:
    node = anvil_node
    w3 = Web3(Web3.HTTPProvider(node.http_url, request_kwargs={"timeout": 30}))
    chain = Chain(w3, node=node)
    kit = compile_testkit()
    owner, agent, user = chain.accounts[0], chain.accounts[1], chain.accounts[2]
    token = deploy_compiled(w3, kit, "TestToken", "USD Coin", "USDC", 6)
    feed = deploy_compiled(w3, kit, "TestFeed", 8, 2000 * 10**8)
    ref = deploy_compiled(w3, kit, "TestFeed", 8, 2000 * 10**8)
    vault = deploy_compiled(w3, kit, "TestVault", token.address, 0, 1)
    names = ("alice", "bob", "carol", "dave", "erin")
    text = VENUE.format(
        **{n: Account.from_key(k).address for n, k in zip(names, SIGNER_KEYS, strict=True)},
        agent=agent, token=token.address, vault=vault.address, feed=feed.address,
        reference=ref.address,
    )
    front = compile_text(text, "venue.guard")
    assert front.program is not None, front.diagnostics
    c = compile_sources(emit_solidity(front.program), allow_warnings=False)
    guard = deploy(w3, c.contract("PerpVenueGuard").abi, c.contract("PerpVenueGuard").bytecode,
                   *constructor_args(front.program))
    chain.tx(vault.functions.setGuard(guard.address), owner)
    chain.tx(token.functions.mint(user, 10**15), owner)
    chain.tx(token.functions.approve(vault.address, 2**256 - 1), user)
    chain.tx(token.functions.mint(vault.address, 10**12), owner, at=T0)
    yield Deployed(chain, guard, token, vault, feed, agent, user, front.program)


@pytest.fixture
def d(deployed: Deployed) -> Iterator[Deployed]:
    snap = deployed.chain.snapshot()
    yield deployed
    deployed.chain.revert(snap)


def test_drain_trips_on_the_vaults_own_outflow(d: Deployed) -> None:
    g = d.guard.functions
    d.chain.tx(d.vault.functions.withdraw(60_000 * USDC), d.user, at=T0 + 10)
    d.chain.tx(d.vault.functions.withdraw(50_000 * USDC), d.user, at=T0 + 20)
    assert g.outflow(d.token.address, H).call() == 60_000 * USDC
    assert g.pausedUntil(1).call() == T0 + 20 + 6 * H
    expect_revert(d.chain, d.guard, d.vault.functions.withdraw(1), d.user, "ScopePaused",
                  at=T0 + 30)
    expect_revert(d.chain, d.guard, g.poke(0), d.user, "RuleCooldown", at=T0 + 40)


def test_oracle_poke_and_agent_limits(d: Deployed) -> None:
    g = d.guard.functions
    expect_revert(d.chain, d.guard, g.poke(1), d.user, "ConditionNotMet", at=T0 + 5)
    d.chain.tx(d.feed.functions.setAnswer(2100 * 10**8), d.user)
    d.chain.tx(g.poke(1), d.user, at=T0 + 10)
    assert g.suspendedUntil(0).call() == T0 + 10 + 1800
    expect_revert(d.chain, d.guard, g.trip(0), d.agent, "OnchainRule")
    expect_revert(d.chain, d.guard, g.trip(2), d.user, "NotAgent")
    # rule 2 reads ETH_USD, which rule 1 suspended: it does not fire until the suspension ends
    expect_revert(d.chain, d.guard, g.trip(2), d.agent, "ConditionNotMet", at=T0 + 20)
    d.chain.tx(g.trip(2), d.agent, at=T0 + 10 + 1800)
    assert g.paramValue(0).call() == 10


def test_signed_powers_and_attacks(d: Deployed) -> None:
    g = d.guard
    op = Operation(0, 1 << 2, H, 1, T0 + 1000)
    dom = domain(d.program, d.chain.w3.eth.chain_id, g.address)
    sigs = sign_operation(op, (ALICE, DAVE), dom)
    for bad, err in [
        (sign_operation(op, (ALICE, DAVE), domain(d.program, 1, g.address)), "UnknownSigner"),
        ([sigs[1], sigs[0]], "SignersNotSorted"),
        ([sigs[0], sigs[0]], "SignersNotSorted"),
        ([sigs[0], to_high_s(sigs[1])], "HighS"),
        (sign_operation(op, (ALICE, BOB), dom), "RoleNotSatisfied"),
    ]:
        expect_revert(d.chain, g, g.functions.execute(op.as_tuple(), bad), d.user, err)
    d.execute(op, (ALICE, DAVE), at=T0 + 10)
    assert g.functions.pausedUntil(2).call() == T0 + 10 + H
    expect_revert(d.chain, g, g.functions.execute(op.as_tuple(), sigs), d.user, "NonceUsed")
    late = Operation(0, 1, H, 2, T0 + 100)
    expect_revert(d.chain, g, g.functions.execute(
        late.as_tuple(), sign_operation(late, (ALICE, DAVE), dom)), d.user, "Expired",
        at=T0 + 200)


def test_timelock_on_anvil_time(d: Deployed) -> None:
    g = d.guard
    op = Operation(3, 0, 8, 5, T0 + 1000)  # governor: set max_leverage to 8
    dom = domain(d.program, d.chain.w3.eth.chain_id, g.address)
    sigs = sign_operation(op, (BOB, CAROL, ERIN), dom)
    d.chain.tx(g.functions.queue(op.as_tuple(), sigs), d.user, at=T0 + 10)
    expect_revert(d.chain, g, g.functions.executeQueued(op.as_tuple()), d.user, "TooEarly",
                  at=T0 + 10 + 48 * H - 1)
    d.chain.tx(g.functions.executeQueued(op.as_tuple()), d.user, at=T0 + 10 + 48 * H)
    assert g.functions.paramBase(0).call() == 8
