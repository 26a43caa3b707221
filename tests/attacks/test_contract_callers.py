"""Issue 10: contract callers. A declared signer that *calls* `execute` (a real Safe 1.4.1
executing a transaction its owners signed, a governance executor) approves by calling: one
approval, alone or beside other members' signatures. On Anvil.

Attacks: a contract that is not a member calling (counts nothing); a caller counted twice (its
call and its own EIP-1271 signature: still one approval); a replay of the Safe's call (the
guard's nonce is spent, whatever the Safe's own nonce says); an outsider relaying the calldata
the Safe sent (without the Safe as caller, one approval short).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account

from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import compile_testkit, deploy
from interlock.testing.safe import Safe, deploy_safe
from interlock.testing.signing import by_signer
from tests.attacks.guards import Guard, chain_of, deploy_rules, op
from tests.compiler.conftest import SIGNER_KEYS, Chain, error_selector, revert_data

RULES = """protocol Callers

signer alice    {k0} entity foundation
signer treasury {safe} entity dao
signer council  {executor} entity governance

role guardian = 2 of [alice, treasury, council]
role dao = 1 of [treasury]

scope deposits
scope withdrawals

allow guardian to pause * for at most 24h
allow dao to pause deposits for at most 1h
"""
H = 3600
OWNERS = (SIGNER_KEYS[1], SIGNER_KEYS[2])  # the Safe's owners, threshold 2
GUARDIAN_PAUSE, DAO_PAUSE = 0, 1


@dataclass(frozen=True)
class Setup:
    chain: Chain
    guard: Guard
    safe: Safe
    executor: Any  # the governance executor, owned by chain.accounts[4]
    outsider: Safe  # a Safe no rule declares, with the same owners

    def execute_data(self, chosen: dict[str, int], sigs: list[bytes]) -> bytes:
        data = self.guard.contract.encode_abi("execute", [self.guard.call_tuple(chosen), sigs])
        return bytes.fromhex(data[2:])

    def as_caller(self, caller: str, chosen: dict[str, int], sigs: list[bytes]) -> str:
        """The guard's revert data when `caller` calls `execute` ("" when it succeeds)."""
        g = self.guard.contract.functions
        try:
            g.execute(self.guard.call_tuple(chosen), sigs).call({"from": caller})
        except Exception as exc:  # web3 raises a custom-error type per revert
            return revert_data(exc)
        return ""

    def refused(self, data: str, name: str) -> bool:
        return data.startswith(error_selector(self.guard.contract.abi, name))


@pytest.fixture(scope="module")
def setup(anvil_node: Anvil) -> Iterator[Setup]:
    chain = chain_of(anvil_node)
    snap = chain.snapshot()
    owners = [Account.from_key(k).address for k in OWNERS]
    safe, outsider = deploy_safe(chain.w3, owners, 2), deploy_safe(chain.w3, owners, 2)
    kit = compile_testkit()
    executor = deploy(chain.w3, kit.contract("Executor").abi, kit.contract("Executor").bytecode,
                      sender=chain.accounts[4])
    text = RULES.replace("{safe}", safe.address).replace("{executor}", executor.address)
    guard = deploy_rules(chain, text, chain.accounts[3])
    yield Setup(chain, guard, safe, executor, outsider)
    chain.revert(snap)


def test_a_safe_executing_a_transaction_uses_a_power_alone(setup: Setup) -> None:
    s, g = setup, setup.guard.contract.functions
    snap = s.chain.snapshot()
    chosen = op(DAO_PAUSE, 0b01, H, nonce=1)
    call = s.safe.exec_transaction(s.guard.contract.address, s.execute_data(chosen, []), OWNERS)
    receipt = s.chain.tx(call, s.chain.accounts[2])
    assert not g.isActive(0).call() and g.isActive(1).call()
    assert g.pausedUntil(0).call() == s.chain.timestamp(receipt) + H
    assert g.nonceUsed(1, 1).call()  # the dao role's nonce space
    # replay: the Safe's owners sign the same call again (a new Safe nonce): the guard's is spent
    again = s.safe.exec_transaction(s.guard.contract.address, s.execute_data(chosen, []), OWNERS)
    with pytest.raises(Exception):  # noqa: B017 - the inner revert fails the Safe's call (GS013)
        again.call({"from": s.chain.accounts[2]})
    assert s.refused(s.as_caller(s.safe.address, chosen, []), "NonceUsed")
    s.chain.revert(snap)


def test_a_safe_caller_and_a_members_signature_make_two_of_three(setup: Setup) -> None:
    s, g = setup, setup.guard.contract.functions
    snap = s.chain.snapshot()
    chosen = op(GUARDIAN_PAUSE, 0b11, 2 * H, nonce=2)
    alice = s.guard.sign(s.chain, chosen, SIGNER_KEYS[0])
    # relayed by anyone else, alice alone is one approval short
    assert s.refused(s.as_caller(s.chain.accounts[2], chosen, alice), "RoleNotSatisfied")
    call = s.safe.exec_transaction(s.guard.contract.address, s.execute_data(chosen, alice),
                                   OWNERS)
    s.chain.tx(call, s.chain.accounts[2])
    assert not g.isActive(0).call() and not g.isActive(1).call()
    s.chain.revert(snap)


def test_a_governance_executor_calls_with_a_members_signature(setup: Setup) -> None:
    s, g = setup, setup.guard.contract.functions
    snap = s.chain.snapshot()
    chosen = op(GUARDIAN_PAUSE, 0b10, H, nonce=3)
    alice = s.guard.sign(s.chain, chosen, SIGNER_KEYS[0])
    run = s.executor.functions.run(s.guard.contract.address, s.execute_data(chosen, alice))
    s.chain.tx(run, s.chain.accounts[4])
    assert g.isActive(0).call() and not g.isActive(1).call()
    s.chain.revert(snap)


def test_a_contract_that_is_not_a_member_counts_nothing(setup: Setup) -> None:
    """The outsider Safe has the same owners as the treasury; a role counts declared signers."""
    s = setup
    chosen = op(GUARDIAN_PAUSE, 0b01, H, nonce=4)
    alice = s.guard.sign(s.chain, chosen, SIGNER_KEYS[0])
    call = s.outsider.exec_transaction(s.guard.contract.address, s.execute_data(chosen, alice),
                                       OWNERS)
    with pytest.raises(Exception):  # noqa: B017 - the inner revert fails the Safe's call
        call.call({"from": s.chain.accounts[2]})
    assert s.refused(s.as_caller(s.outsider.address, chosen, alice), "RoleNotSatisfied")
    assert s.refused(s.as_caller(s.outsider.address, op(DAO_PAUSE, 0b01, H, nonce=5), []),
                     "RoleNotSatisfied")


def test_a_caller_that_also_signs_counts_once(setup: Setup) -> None:
    """The treasury calls with its own EIP-1271 signature as the second approval: still one."""
    s = setup
    chosen = op(GUARDIAN_PAUSE, 0b01, H, nonce=6)
    digest = bytes(s.guard.contract.functions.operationHash(s.guard.call_tuple(chosen)).call())
    own = s.safe.guard_signature(digest, OWNERS)
    assert s.guard.contract.functions.isValidContractSignature(
        s.safe.address, digest, own[20:]).call()  # a valid signature of a declared signer
    assert s.refused(s.as_caller(s.safe.address, chosen, [own]), "RoleNotSatisfied")
    call = s.safe.exec_transaction(s.guard.contract.address, s.execute_data(chosen, [own]),
                                   OWNERS)
    with pytest.raises(Exception):  # noqa: B017 - the inner revert fails the Safe's call
        call.call({"from": s.chain.accounts[2]})
    # with alice's signature beside it, the treasury is one of the two
    alice = s.guard.sign(s.chain, chosen, SIGNER_KEYS[0])
    entries = by_signer([(Account.from_key(SIGNER_KEYS[0]).address, alice[0]),
                         (s.safe.address, own)])
    assert s.as_caller(s.safe.address, chosen, entries) == ""
