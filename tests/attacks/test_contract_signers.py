"""Issue 10: a contract is a signer of a role (a real Safe, through EIP-1271), and contract
signers that misbehave cannot do more than fail their own signature.

The guard's entry for a contract signer is `address (20 bytes) ‖ its EIP-1271 signature`; the
guard asks only declared signers (OpenZeppelin's SignatureChecker, at most SIGNER_GAS gas), and
the sorted-address rule that forbids duplicate EOAs forbids a duplicate contract too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account

from interlock.compiler.oz import SIGNER_GAS
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import compile_testkit, deploy
from interlock.testing.safe import Safe, deploy_safe
from interlock.testing.signing import by_signer
from tests.attacks.guards import Guard, chain_of, deploy_rules, op
from tests.compiler.conftest import SIGNER_KEYS, T0, Chain, expect_revert

RULES = """protocol SafeSigned

signer alice    {k0} entity foundation
signer treasury {safe} entity dao
signer yes      {yes} entity vendor
signer reverter {reverting} entity vendor
signer burner   {burner} entity vendor
signer garbage  {garbage} entity vendor

role guardian = 2 of [alice, treasury, yes]
role vendors = 1 of [reverter, burner, garbage]

scope deposits
scope withdrawals

allow guardian to pause * for at most 24h
allow vendors to pause deposits for at most 1h
"""
H = 3600
BOTH = 0b11
OWNERS = (SIGNER_KEYS[1], SIGNER_KEYS[2])  # the Safe's two owners, threshold 2


@dataclass(frozen=True)
class Setup:
    chain: Chain
    guard: Guard
    safe: Safe
    signers: dict[str, Any]  # the misbehaving contracts, by name

    def digest(self, chosen: dict[str, int]) -> bytes:
        g = self.guard.contract.functions
        return bytes(g.operationHash(self.guard.call_tuple(chosen)).call())

    def entry(self, name: str, payload: bytes = b"\x01") -> bytes:
        return bytes.fromhex(self.signers[name].address[2:]) + payload


@pytest.fixture(scope="module")
def setup(anvil_node: Anvil) -> Iterator[Setup]:
    chain = chain_of(anvil_node)
    snap = chain.snapshot()
    kit = compile_testkit()
    owners = [Account.from_key(k).address for k in OWNERS]
    safe = deploy_safe(chain.w3, owners, 2)
    names = {"yes": "YesSigner", "reverting": "RevertingSigner", "burner": "GasBurner",
             "garbage": "GarbageSigner"}
    signers = {n: deploy(chain.w3, kit.contract(c).abi, kit.contract(c).bytecode)
               for n, c in names.items()}
    text = RULES.replace("{safe}", safe.address)
    for n, c in signers.items():
        text = text.replace("{" + n + "}", c.address)
    guard = deploy_rules(chain, text, chain.accounts[3])
    yield Setup(chain, guard, safe, signers)
    chain.revert(snap)


def _by_address(*entries: bytes) -> list[bytes]:
    """Contract signers' entries in the guard's order (increasing signer address)."""
    return sorted(entries, key=lambda e: int.from_bytes(e[:20], "big"))


def _with_alice(s: Setup, chosen: dict[str, int], entry: bytes) -> list[bytes]:
    """Alice's (EOA) signature and a contract signer's entry, in address order."""
    (sig,) = s.guard.sign(s.chain, chosen, SIGNER_KEYS[0])
    return by_signer([(Account.from_key(SIGNER_KEYS[0]).address, sig),
                      ("0x" + entry[:20].hex(), entry)])


def test_a_safe_signs_through_eip1271_and_the_guard_accepts_it(setup: Setup) -> None:
    s, g = setup, setup.guard.contract.functions
    snap = s.chain.snapshot()
    chosen = op(0, BOTH, 6 * H, nonce=11)
    entry = s.safe.guard_signature(s.digest(chosen), OWNERS)
    assert g.isValidContractSignature(s.safe.address, s.digest(chosen), entry[20:]).call()
    receipt = s.chain.tx(g.execute(s.guard.call_tuple(chosen), _with_alice(s, chosen, entry)),
                         s.chain.accounts[2], at=T0 + 10)
    assert g.pausedUntil(0).call() == s.chain.timestamp(receipt) + 6 * H
    # replay: the same operation and signatures again
    expect_revert(s.chain, s.guard.contract, g.execute(
        s.guard.call_tuple(chosen), _with_alice(s, chosen, entry)), s.chain.accounts[2],
        "NonceUsed")
    s.chain.revert(snap)


def test_a_safe_signature_it_did_not_approve_is_refused(setup: Setup) -> None:
    s, g = setup, setup.guard.contract.functions
    chosen = op(0, BOTH, 6 * H, nonce=12)
    other = op(0, BOTH, 24 * H, nonce=12)  # the owners approved another operation
    cases = {
        "below the Safe's threshold": s.safe.guard_signature(s.digest(chosen), OWNERS[:1]),
        "for another operation": s.safe.guard_signature(s.digest(other), OWNERS),
        "by a key that is no owner": s.safe.guard_signature(
            s.digest(chosen), (OWNERS[0], SIGNER_KEYS[4])),
        "empty (not approved on chain)": bytes.fromhex(s.safe.address[2:]),
    }
    for entry in cases.values():
        sigs = _with_alice(s, chosen, entry)
        expect_revert(s.chain, s.guard.contract, g.execute(s.guard.call_tuple(chosen), sigs),
                      s.chain.accounts[2], "BadSignature")
    assert not g.nonceUsed(0, 12).call()


def test_an_owner_change_between_signing_and_execution_voids_the_signature(
        setup: Setup) -> None:
    """A Safe's signature is checked when `execute` runs: after its owners swap one of them
    out, the gathered signature no longer counts (and the new owners can sign again)."""
    s, g = setup, setup.guard.contract.functions
    snap = s.chain.snapshot()
    chosen = op(0, BOTH, H, nonce=17)
    entry = s.safe.guard_signature(s.digest(chosen), OWNERS)
    old, new = Account.from_key(OWNERS[1]).address, Account.from_key(SIGNER_KEYS[4]).address
    s.safe.swap_owner(old, new, OWNERS, s.chain.accounts[0])
    sigs = _with_alice(s, chosen, entry)
    expect_revert(s.chain, s.guard.contract, g.execute(s.guard.call_tuple(chosen), sigs),
                  s.chain.accounts[2], "BadSignature")
    fresh = s.safe.guard_signature(s.digest(chosen), (OWNERS[0], SIGNER_KEYS[4]))
    s.chain.tx(g.execute(s.guard.call_tuple(chosen), _with_alice(s, chosen, fresh)),
               s.chain.accounts[2])
    assert g.nonceUsed(0, 17).call()
    s.chain.revert(snap)


def test_a_contract_signer_counts_once_and_in_address_order(setup: Setup) -> None:
    s, g = setup, setup.guard.contract.functions
    chosen = op(0, BOTH, H, nonce=13)
    entry = s.safe.guard_signature(s.digest(chosen), OWNERS)
    yes = s.entry("yes")
    expect_revert(s.chain, s.guard.contract, g.execute(s.guard.call_tuple(chosen),
                  [entry, entry]), s.chain.accounts[2], "SignersNotSorted")
    expect_revert(s.chain, s.guard.contract, g.execute(s.guard.call_tuple(chosen),
                  _by_address(entry, yes)[::-1]), s.chain.accounts[2], "SignersNotSorted")
    # a contract that approves anything is one declared signer: alone it is not 2 of 3
    expect_revert(s.chain, s.guard.contract, g.execute(s.guard.call_tuple(chosen), [yes]),
                  s.chain.accounts[2], "RoleNotSatisfied")


def test_an_undeclared_contract_is_never_asked(setup: Setup) -> None:
    s, g = setup, setup.guard.contract.functions
    kit = compile_testkit()
    stranger = deploy(s.chain.w3, kit.contract("YesSigner").abi,
                      kit.contract("YesSigner").bytecode)
    chosen = op(0, BOTH, H, nonce=14)
    entry = bytes.fromhex(stranger.address[2:]) + b"\x01"
    expect_revert(s.chain, s.guard.contract, g.execute(s.guard.call_tuple(chosen),
                  _with_alice(s, chosen, entry)), s.chain.accounts[2], "UnknownSigner")


@pytest.mark.parametrize("name", ["reverting", "burner", "garbage"])
def test_a_misbehaving_contract_signer_is_a_bad_signature(setup: Setup, name: str) -> None:
    s, g = setup, setup.guard.contract.functions
    chosen = op(1, 0b01, H, nonce=15)
    call = g.execute(s.guard.call_tuple(chosen), [s.entry(name)])
    expect_revert(s.chain, s.guard.contract, call, s.chain.accounts[2], "BadSignature")
    h = call.transact({"from": s.chain.accounts[2], "gas": 5_000_000})
    receipt = s.chain.w3.eth.wait_for_transaction_receipt(h)
    assert receipt["status"] == 0
    # gas-capped: a contract that burns gas costs the submitter SIGNER_GAS, not the 5M given
    assert receipt["gasUsed"] < SIGNER_GAS + 100_000
    assert not g.nonceUsed(1, 15).call()


def test_garbage_of_a_full_word_is_refused_too(setup: Setup) -> None:
    s, g = setup, setup.guard.contract.functions
    garbage = s.signers["garbage"]
    s.chain.tx(garbage.functions.setShort(False), s.chain.accounts[0])
    chosen = op(1, 0b01, H, nonce=16)
    expect_revert(s.chain, s.guard.contract, g.execute(s.guard.call_tuple(chosen),
                  [s.entry("garbage")]), s.chain.accounts[2], "BadSignature")
    s.chain.tx(garbage.functions.setShort(True), s.chain.accounts[0])
