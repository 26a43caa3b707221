"""Held flows on Anvil (issue 15, items 2 and 7): `flow(ASSET)` and `hold flow`, with the
generated reference vault escrowing held withdrawals (docs/guard.md, "Held flows").

Hand-worked: the rule holds a single withdrawal above 50,000 USDC for 24h. A withdrawal of
exactly 50,000 USDC is paid at once; 50,000 USDC + 1 base unit is held (the user is debited,
the vault escrows it, the guard records hold 1 due at now + 86,400 s). A claim before the
release time reverts `HoldNotReleased`, one at it pays once, a second reverts `NotHeld`; the
council's `cancel holds` (2 of 2) cancels, one council key alone cannot; a token that calls
back into the vault or the guard while the vault pays cannot be paid twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account
from eth_utils.address import to_checksum_address

from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_reference_vault, emit_solidity
from interlock.ir.addresses import constructor_args
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.runtime.guard_events import DEFAULT_SEVERITY, guard_events
from interlock.runtime.ingest import log_entry
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import revert_reason
from interlock.testing.deploy import check_text
from interlock.testing.harness import signer_key
from interlock.testing.signing import Operation, domain, sign_operation

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

KEYS = [signer_key(900 + i) for i in range(2)]
USDC = 10**6
DAY = 86_400
BASE = 1_900_800_000
RULES = """protocol Hold
signer s1 {s1}
signer s2 {s2}
role council = 2 of [s1, s2]
scope deposits
scope withdrawals
asset USDC {token} decimals 6
vault pool {vault} holds USDC
breaker big {{
  when flow(USDC) > 50_000 USDC
  then hold flow for 24h
}}
allow council to cancel holds
allow council to unpause *
invariant keys: no unilateral signer
"""

# An ERC-20 that, once armed, calls `target` with `data` from inside its next `transfer`
# (the vault paying a claim) and records whether that call succeeded.
TOKEN = """// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

contract CallbackToken {
    uint8 public constant decimals = 6;
    mapping(address => uint256) public balanceOf;
    address public target;
    bytes public data;
    bool public tried;
    bool public reentered;

    function setBalance(address account, uint256 amount) external {
        balanceOf[account] = amount;
    }

    function arm(address target_, bytes calldata data_) external {
        target = target_;
        data = data_;
        tried = false;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        if (target != address(0) && !tried) {
            tried = true;
            (bool ok,) = target.call(data);
            reentered = ok;
        }
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }
}
"""


@dataclass
class Bank:
    chain: TestChain
    program: Program
    guard: Any
    vault: Any
    token: Any
    base: int  # this test's time origin (the node's clock only moves forward)
    nonce: int = 1

    def at(self, offset: int) -> int:
        return self.base + offset

    def send(self, fn: Any, sender: str, offset: int) -> bool:
        return self.chain.call_fn(fn, sender, timestamp=self.at(offset)).ok

    def events(self, fn: Any, sender: str, offset: int) -> list[tuple[str, Any, Any]]:
        """The monitor's reading of the guard's logs of one transaction: (event, subject,
        source line)."""
        out = self.chain.call_fn(fn, sender, timestamp=self.at(offset))
        assert out.ok
        guard = self.guard.address.lower()
        logs = [log_entry(dict(lg)) for lg in out.logs if str(lg["address"]).lower() == guard]
        return [(e.name, e.subject, e.source) for e in guard_events(self.program, 0, logs)]

    def cancel(self, hold_id: int, keys: list[bytes], offset: int) -> bool:
        op = Operation(power=0, targets=0, value=hold_id, nonce=self.nonce, deadline=2**64 - 1)
        self.nonce += 1
        dom = domain(self.program, self.chain.w3.eth.chain_id, self.guard.address)
        fn = self.guard.functions.execute(op.as_tuple(), sign_operation(op, keys, dom))
        return self.send(fn, self.chain.accounts[0], offset)

    def held(self, hold_id: int) -> tuple[Any, ...]:
        return tuple(self.guard.functions.heldFlow(hold_id).call())


@pytest.fixture(scope="module")
def node() -> Iterator[Anvil]:
    with Anvil(timestamp=BASE - 10_000) as n:
        yield n


@pytest.fixture
def bank(node: Anvil) -> Bank:
    chain = TestChain(node)
    placeholder = check_text(RULES.format(
        s1=Account.from_key(KEYS[0]).address, s2=Account.from_key(KEYS[1]).address,
        token="0x" + "c1" * 20, vault="0x" + "c2" * 20), "hold.guard")
    kit = compile_sources({**emit_reference_vault(placeholder), "CallbackToken.sol": TOKEN})
    t = kit.contract("CallbackToken")
    token = chain.deploy(t.abi, t.bytecode)
    v = kit.contract("HoldReferenceVault")
    vault = chain.deploy(v.abi, v.bytecode, token.address, 0, 1)
    program = check_text(RULES.format(
        s1=Account.from_key(KEYS[0]).address, s2=Account.from_key(KEYS[1]).address,
        token=to_checksum_address(token.address), vault=to_checksum_address(vault.address)),
        "hold.guard")
    g = compile_sources(emit_solidity(program), allow_warnings=False).contract("HoldGuard")
    guard = chain.deploy(g.abi, g.bytecode, *constructor_args(program))
    assert chain.call_fn(vault.functions.setGuard(guard.address), chain.accounts[0]).ok
    return Bank(chain, program, guard, vault, token, chain.latest_timestamp() + 100)


def _deposit(b: Bank, user: str, amount: int) -> None:
    assert b.send(b.token.functions.setBalance(user, amount), user, 1)
    assert b.send(b.vault.functions.deposit(amount), user, 2)
    assert b.send(b.token.functions.setBalance(b.vault.address, 10_000_000 * USDC), user, 3)


def test_exactly_the_threshold_is_paid_one_unit_more_is_held(bank: Bank) -> None:
    user = bank.chain.accounts[3]
    _deposit(bank, user, 200_000 * USDC)
    assert bank.send(bank.vault.functions.withdraw(50_000 * USDC), user, 10)
    assert int(bank.token.functions.balanceOf(user).call()) == 50_000 * USDC
    assert int(bank.guard.functions.heldFlow(1).call()[5]) == 0  # nothing held
    assert bank.send(bank.vault.functions.withdraw(50_000 * USDC + 1), user, 20)
    assert int(bank.token.functions.balanceOf(user).call()) == 50_000 * USDC  # not paid yet
    assert int(bank.vault.functions.balanceOf(user).call()) == 100_000 * USDC - 1  # debited
    assert int(bank.vault.functions.escrowed().call()) == 50_000 * USDC + 1
    vault, asset, recipient, amount, release, status = bank.held(1)
    assert (vault, asset, recipient) == (bank.vault.address, bank.token.address, user)
    assert (amount, release, status) == (50_000 * USDC + 1, bank.at(20) + DAY, 1)
    # a held flow counts in the outflow window when it is held (docs/semantics.md)
    assert int(bank.guard.functions.firedUntil(0).call()) == bank.at(20)  # hold: no duration


def test_claim_after_the_delay_once(bank: Bank) -> None:
    user, anyone = bank.chain.accounts[3], bank.chain.accounts[4]
    _deposit(bank, user, 100_000 * USDC)
    assert bank.send(bank.vault.functions.withdraw(60_000 * USDC), user, 10)
    release = bank.at(10) + DAY
    bank.chain.mine(release - 1)
    assert revert_reason(bank.vault.functions.claim(1), anyone).startswith("HoldNotReleased")
    assert not bank.send(bank.vault.functions.claim(1), anyone, DAY + 9)
    assert bank.send(bank.vault.functions.claim(1), anyone, DAY + 10)  # anyone may trigger it
    assert int(bank.token.functions.balanceOf(user).call()) == 60_000 * USDC
    assert bank.held(1)[5] == 2 and int(bank.vault.functions.escrowed().call()) == 0
    assert revert_reason(bank.vault.functions.claim(1), anyone).startswith("NotHeld")
    assert not bank.send(bank.vault.functions.claim(1), anyone, DAY + 11)
    assert int(bank.token.functions.balanceOf(user).call()) == 60_000 * USDC  # paid once
    # only the vault that holds it may claim it from the guard
    assert revert_reason(bank.guard.functions.claimHold(1), anyone).startswith("NotHeld")


def test_only_the_vault_claims_from_the_guard(bank: Bank) -> None:
    user = bank.chain.accounts[3]
    _deposit(bank, user, 100_000 * USDC)
    assert bank.send(bank.vault.functions.withdraw(60_000 * USDC), user, 10)
    bank.chain.mine(bank.at(DAY + 20))
    assert bank.guard.functions.heldFlow(1).call()[5] == 1
    assert revert_reason(bank.guard.functions.claimHold(1), user).startswith("NotHoldVault")


def test_cancel_by_the_role_only(bank: Bank) -> None:
    user, anyone = bank.chain.accounts[3], bank.chain.accounts[4]
    _deposit(bank, user, 100_000 * USDC)
    assert bank.send(bank.vault.functions.withdraw(60_000 * USDC), user, 10)
    assert not bank.cancel(1, KEYS[:1], 20)  # one council key does not satisfy `2 of`
    assert bank.held(1)[5] == 1
    assert bank.cancel(1, KEYS, 30)
    assert bank.held(1)[5] == 3
    assert not bank.cancel(1, KEYS, 40)  # NotHeld: a hold is cancelled once
    assert not bank.send(bank.vault.functions.claim(1), anyone, DAY + 100)
    assert int(bank.token.functions.balanceOf(user).call()) == 0  # never paid
    assert int(bank.vault.functions.escrowed().call()) == 60_000 * USDC  # stays in the vault


@pytest.mark.parametrize("into", ["vault", "guard"])
def test_a_token_calling_back_is_not_paid_twice(bank: Bank, into: str) -> None:
    user, anyone = bank.chain.accounts[3], bank.chain.accounts[4]
    _deposit(bank, user, 100_000 * USDC)
    assert bank.send(bank.vault.functions.withdraw(60_000 * USDC), user, 10)
    target = bank.vault if into == "vault" else bank.guard
    data = target.encode_abi("claim" if into == "vault" else "claimHold", [1])
    assert bank.send(bank.token.functions.arm(target.address, data), anyone, 11)
    assert bank.send(bank.vault.functions.claim(1), anyone, DAY + 10)
    assert bank.token.functions.tried().call() and not bank.token.functions.reentered().call()
    assert int(bank.token.functions.balanceOf(user).call()) == 60_000 * USDC
    assert bank.held(1)[5] == 2


def test_the_monitor_names_the_rule_and_power_of_hold_events(bank: Bank) -> None:
    user, anyone = bank.chain.accounts[3], bank.chain.accounts[4]
    _deposit(bank, user, 200_000 * USDC)
    rule_line = f"hold.guard:{bank.program.breaker('big').span.line}"
    held = bank.events(bank.vault.functions.withdraw(60_000 * USDC), user, 10)
    assert ("FlowHeld", "big", rule_line) in held
    assert bank.send(bank.vault.functions.withdraw(70_000 * USDC), user, 20)  # hold 2
    claimed = bank.events(bank.vault.functions.claim(1), anyone, DAY + 10)
    assert claimed == [("HoldClaimed", "big", rule_line)]
    op = Operation(power=0, targets=0, value=2, nonce=bank.nonce, deadline=2**64 - 1)
    dom = domain(bank.program, bank.chain.w3.eth.chain_id, bank.guard.address)
    cancel = bank.guard.functions.execute(op.as_tuple(), sign_operation(op, KEYS, dom))
    power_line = f"hold.guard:{bank.program.powers[0].span.line}"
    cancelled = bank.events(cancel, anyone, DAY + 20)
    assert ("HoldCancelled", "council cancel_holds", power_line) in cancelled
    assert [DEFAULT_SEVERITY[e] for e in ("FlowHeld", "HoldClaimed", "HoldCancelled")] == [
        "critical", "info", "warning"]
