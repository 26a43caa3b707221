"""Issue 16, item 14: a vault integration must not let an account with nothing trip `drain`.

Before: the docs/guard.md snippet reported the withdrawal before checking that the caller was
entitled to it; a refused flow moves no tokens, so an account with a zero balance could ask for
110,000 USDC, fire `drain` and pause every withdrawal. Now `interlock build` emits
`NAMEReferenceVault.sol`, which checks the caller's balance first (compiled and run here).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_reference_vault
from interlock.runtime.anvil import Anvil
from interlock.testing.chain import TestChain
from interlock.testing.deploy import check_text, deploy_rules
from interlock.testing.harness import Harness

pytestmark = [pytest.mark.evm, pytest.mark.anvil]

RULES = """protocol Bank
signer s1 0x00000000000000000000000000000000000000a1
scope deposits
scope withdrawals
asset USDC 0x00000000000000000000000000000000000000c1 decimals 6
vault pool 0x00000000000000000000000000000000000000c2 holds USDC
breaker drain { when outflow(USDC, 1h) > 10% of tvl(USDC) then pause withdrawals for 6h }
"""
USDC = 10**6
BASE = 1_900_800_000


def _reference_vault(chain: TestChain) -> Any:
    sources = emit_reference_vault(check_text(RULES, "bank.guard"))
    c = compile_sources(sources, allow_warnings=False).contract("BankReferenceVault")

    def make(h: Harness, _vault: str) -> Any:
        return chain.deploy(c.abi, c.bytecode, h.tokens["USDC"].address, 0, 1)

    return make


@pytest.fixture(scope="module")
def chain() -> Iterator[TestChain]:
    with Anvil(timestamp=BASE - 10_000) as node:
        yield TestChain(node)


def _fund(chain: TestChain, token: Any, vault: Any, amount: int) -> None:
    assert chain.call_fn(token.functions.setBalance(vault.address, amount), chain.accounts[0]).ok


@pytest.mark.parametrize("reference", [False, True])
def test_zero_balance_account_cannot_trip_drain(chain: TestChain, reference: bool) -> None:
    d = deploy_rules(chain, RULES, "bank.guard",
                     vault_factory=_reference_vault(chain) if reference else None)
    token, vault = d.harness.tokens["USDC"], d.harness.vaults["pool"]
    _fund(chain, token, vault, 1_000_000 * USDC)
    attacker = chain.accounts[5]  # holds nothing, deposited nothing
    out = chain.call_fn(vault.functions.withdraw(110_000 * USDC), attacker,
                        timestamp=chain.latest_timestamp() + 10)
    paused = int(d.guard.functions.pausedUntil(1).call()) > chain.latest_timestamp()
    if reference:
        assert not out.ok and not paused  # NotEntitled, before anything is reported
    else:  # the old snippet's vault (TestVault): the zero-balance account pauses everyone
        assert out.ok and paused


def test_reference_vault_serves_entitled_withdrawals(chain: TestChain) -> None:
    d = deploy_rules(chain, RULES, "bank.guard", vault_factory=_reference_vault(chain))
    token, vault = d.harness.tokens["USDC"], d.harness.vaults["pool"]
    _fund(chain, token, vault, 1_000_000 * USDC)
    user = chain.accounts[6]
    assert chain.call_fn(token.functions.setBalance(user, 5_000 * USDC), chain.accounts[0]).ok
    assert chain.call_fn(token.functions.approve(vault.address, 2**256 - 1), user).ok
    assert chain.call_fn(vault.functions.deposit(5_000 * USDC), user).ok
    assert int(vault.functions.balanceOf(user).call()) == 5_000 * USDC
    assert chain.call_fn(vault.functions.withdraw(2_000 * USDC), user).ok
    assert int(token.functions.balanceOf(user).call()) == 2_000 * USDC
    assert not chain.call_fn(vault.functions.withdraw(3_001 * USDC), user).ok
