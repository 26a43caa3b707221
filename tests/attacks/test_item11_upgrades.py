"""Issue 16 item 11 (with issue 10): `NAMEGuarded` behind a real proxy and beside OpenZeppelin.

- It compiles beside OpenZeppelin's `ERC20Permit` (one `EIP712` base: the token's domain is the
  guard's) and the guard's powers work in that domain.
- Behind an OpenZeppelin `ERC1967Proxy` (UUPS), `initialize` sets what the constructor sets
  (`paramValue` reads the rule file's base, not 0), once.
- The state lives at the ERC-7201 slot the docs name: the nonce bitmap is read back with
  `eth_getStorageAt` there, and an upgrade to rules with one more scope keeps it — a replay of
  the nonce fails (with the old layout, the bitmap moved and the operation replayed).
- Storage collisions: solc's `storageLayout` of `UpgrGuarded` (and `UpgrGuard`) holds only
  `EIP712`'s own declarations; the guard's namespace is 2**32 slots or more from every other
  namespace and ERC-1967 slot in the sources; on the proxy, the market writing the whole of its
  first slot changes no guard state, and the guard's pauses, sets and nonces change none of the
  market's slots, nor Initializable's or the implementation slot.
- Every state invariant the verifier proves for the rule file (`always` over params and scopes,
  the pause bound with its open time) holds on the proxy's state, read through the guard's
  views, after initialisation, pauses and clamped sets, and across an upgrade to V2 (one more
  scope), which moves no state; a violated invariant is false there (the check is not vacuous).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from interlock.compiler import eip712
from interlock.compiler.storage_layout import NAMESPACE, erc7201_slot
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import compile_testkit, deploy, deploy_compiled
from interlock.testing.signing import Operation
from tests.attacks.guards import FAR, chain_of
from tests.attacks.upgrade_market import (
    GUARDIAN,
    MARKET,
    PAUSE,
    SET_CAP,
    SET_FEE,
    V1,
    V2,
    Build,
    breaches,
    build,
    declared_namespaces,
    deploy_market,
    execute,
    observe,
    proved_state_invariants,
    slot_constants,
    upgrade,
)
from tests.compiler.conftest import T0, Chain, expect_revert

TOKEN = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {UpgrGuarded} from "./UpgrGuarded.sol";
import {UpgrAddresses} from "./IUpgrGuard.sol";

/// A permit token that is its own guard: one EIP712 base, the token's domain.
contract GuardedToken is ERC20Permit, UpgrGuarded {
    constructor()
        ERC20("Upgr Token", "UPT")
        ERC20Permit("Upgr Token")
        UpgrGuarded(UpgrAddresses.defaults())
    {}

    function mint(address to, uint256 amount) external whenActive(SCOPE_TRADING) {
        _mint(to, amount);
    }
}
"""
H = 3600


@pytest.fixture(scope="module")
def chain(anvil_node: Anvil) -> Iterator[Chain]:
    c = chain_of(anvil_node)
    snap = c.snapshot()
    yield c
    c.revert(snap)


def nonce_slot(base: int, role: int, nonce: int) -> int:
    """Where `nonces[role]`'s word of `nonce` lives: member 0 of the namespaced struct is
    `mapping(uint8 => BitMaps.BitMap)`, and a BitMap is one `mapping(uint256 => uint256)`."""
    bitmap = int.from_bytes(keccak(encode(["uint256", "uint256"], [role, base])), "big")
    return int.from_bytes(keccak(encode(["uint256", "uint256"], [nonce >> 8, bitmap])), "big")


def test_guarded_behind_a_proxy_initializes_once_and_an_upgrade_moves_no_slot(
        chain: Chain) -> None:
    admin, user = chain.accounts[0], chain.accounts[2]
    v1 = build(V1, {"Market.sol": MARKET})
    market = deploy_market(chain, v1, admin)
    m = market.functions
    # what the constructor set, the proxy's storage holds too (it read 0 before)
    assert m.paramValue(0).call() == 5000 and m.paramBase(0).call() == 5000
    expect_revert(chain, market, m.initializeGuardAgain(), user, "GuardAlreadyInitialized")
    expect_revert(chain, market, m.initialize(), user, "InvalidInitialization")
    # the domain is the proxy's
    assert m.eip712Domain().call()[4] == market.address

    op = Operation(0, 0b01, H, 7, FAR)
    call, sigs = execute(chain, market, v1.program, op, "UpgrGuard")
    chain.tx(call, user, at=T0 + 10)
    expect_revert(chain, market, m.trade(), user, "ScopePaused")
    paused_until = m.pausedUntil(0).call()
    assert m.nonceUsed(GUARDIAN, 7).call()
    base = erc7201_slot(NAMESPACE)
    word = chain.w3.eth.get_storage_at(market.address, nonce_slot(base, GUARDIAN, 7))
    assert int.from_bytes(word, "big") == 1 << 7  # at the namespaced slot the docs give

    # an upgrade to rules with one more scope: the state stays where it was
    v2 = build(V2, {"Market.sol": MARKET})
    impl2 = deploy(chain.w3, v2.contract("Market").abi, v2.contract("Market").bytecode, admin)
    with pytest.raises(Exception):  # noqa: B017 - only the admin upgrades ("not admin")
        m.upgradeToAndCall(impl2.address, b"").call({"from": user})
    chain.tx(m.upgradeToAndCall(impl2.address, b""), admin)
    market2 = chain.w3.eth.contract(address=market.address, abi=v2.contract("Market").abi)
    m2 = market2.functions
    assert m2.nonceUsed(GUARDIAN, 7).call()
    assert m2.pausedUntil(0).call() == paused_until
    assert m2.paramValue(0).call() == 5000
    assert not m2.isActive(0).call() and m2.isActive(2).call()
    # replay: the v1 signatures, then the same nonce signed anew for the v2 rules
    old = market2.functions.execute(op.as_tuple(), sigs)
    with pytest.raises(Exception):  # noqa: B017 - which error depends on the recovered address
        old.call({"from": user})
    again, _ = execute(chain, market2, v2.program, op, "UpgrGuard")
    expect_revert(chain, market2, again, user, "NonceUsed")
    # a fresh nonce still works on the upgraded guard
    fresh, _ = execute(chain, market2, v2.program, Operation(0, 0b100, H, 8, FAR), "UpgrGuard")
    chain.tx(fresh, user)
    assert not m2.isActive(2).call()


def test_guarded_compiles_beside_erc20permit_and_shares_its_domain(chain: Chain) -> None:
    b = build(V1, {"GuardedToken.sol": TOKEN})
    token = deploy(chain.w3, b.contract("GuardedToken").abi, b.contract("GuardedToken").bytecode)
    t = token.functions
    assert t.eip712Domain().call()[1] == "Upgr Token"
    assert t.DOMAIN_SEPARATOR().call() == t.domainSeparator().call()
    chain.tx(t.mint(chain.accounts[1], 10), chain.accounts[1])
    call, _ = execute(chain, token, b.program, Operation(0, 0b01, H, 1, FAR), "Upgr Token")
    chain.tx(call, chain.accounts[2])
    expect_revert(chain, token, t.mint(chain.accounts[1], 10), chain.accounts[1], "ScopePaused")
    # a signature for the guard's own default domain name is not valid in the token's domain
    wrong, _ = execute(chain, token, b.program, Operation(0, 0b01, H, 2, FAR), "UpgrGuard")
    with pytest.raises(Exception):  # noqa: B017 - recovers to an unknown address
        wrong.call({"from": chain.accounts[2]})
    assert eip712.domain(b.program, 1, token.address, "Upgr Token")["name"] == "Upgr Token"


def guard_words(chain: Chain, at: str, base: int) -> list[bytes]:
    """The first words of the guard's namespaced struct (the `initialized` flag, the scopes)."""
    return [chain.w3.eth.get_storage_at(at, base + i) for i in range(16)]


def test_the_guard_state_is_only_in_its_namespace_apart_from_the_market_and_openzeppelin(
        chain: Chain) -> None:
    admin, user = chain.accounts[0], chain.accounts[2]
    v1 = build(V1, {"Market.sol": MARKET})
    base, sources = erc7201_slot(NAMESPACE), v1.compiled.sources
    # solc's layout: `UpgrGuarded` declares no sequential variable; all its layout has are
    # the declarations of `EIP712`'s fallback strings (OpenZeppelin's, for names over 31 bytes)
    eip712_vars = {v.ast_id for v in v1.contract("EIP712").storage_layout}
    assert {v.ast_id for v in v1.contract("UpgrGuarded").storage_layout} == eip712_vars
    assert {v.ast_id for v in v1.contract("UpgrGuard").storage_layout} == eip712_vars
    layout = v1.contract("Market").storage_layout
    own = [v for v in layout if v.ast_id not in eip712_vars]
    assert [(v.label, v.slot) for v in own] == [("note", 2), ("trades", 3)]
    # the guard's namespace is apart from every other one the market's sources declare
    # (Initializable's) and from ERC-1967's slots: no struct spans 2**32 slots
    spaces = declared_namespaces(sources)
    assert "openzeppelin.storage.Initializable" in spaces and spaces[NAMESPACE].startswith("Upgr")
    assert f"0x{base:064x}" in sources[spaces[NAMESPACE]]
    others = {n: erc7201_slot(n) for n in spaces if n != NAMESPACE} | slot_constants(sources)
    assert others["INITIALIZABLE_STORAGE"] == erc7201_slot("openzeppelin.storage.Initializable")
    assert {"IMPLEMENTATION_SLOT", "ADMIN_SLOT", "BEACON_SLOT"} <= set(others)
    for name, slot in others.items():
        assert abs(slot - base) > 2**32, name
    assert max(v.slot for v in layout) < 2**32

    market = deploy_market(chain, v1, admin)
    reader = deploy_compiled(chain.w3, compile_testkit(), "GuardStateReader")
    m, at = market.functions, market.address
    oz_words = [chain.w3.eth.get_storage_at(at, others[k])
                for k in ("INITIALIZABLE_STORAGE", "IMPLEMENTATION_SLOT")]
    # the protocol writes the whole of its first slot: the guard's state does not change
    before, words = observe(chain, v1.program, reader, at).view, guard_words(chain, at, base)
    assert words[9] != bytes(32)  # `initialized`, member 9 of the struct
    chain.tx(m.setNote(2**256 - 1), user)
    note = chain.w3.eth.get_storage_at(at, own[0].slot)
    assert note == b"\xff" * 32 and m.note().call() == 2**256 - 1
    assert observe(chain, v1.program, reader, at).view == before
    assert guard_words(chain, at, base) == words
    # the guard writes its scopes, params and nonces: the market's slots and OZ's do not change
    market_words = [chain.w3.eth.get_storage_at(at, v.slot) for v in layout]
    for op in (Operation(PAUSE, 0b11, H, 1, FAR), Operation(SET_FEE, 0, 40, 2, FAR),
               Operation(SET_CAP, 0, 7, 3, FAR)):
        chain.tx(execute(chain, market, v1.program, op, "UpgrGuard")[0], user)
    after = observe(chain, v1.program, reader, at).view
    assert after.param_value == {"cap": 7, "fee": 40} and after.paused_until != before.paused_until
    assert [chain.w3.eth.get_storage_at(at, v.slot) for v in layout] == market_words
    assert [chain.w3.eth.get_storage_at(at, others[k])
            for k in ("INITIALIZABLE_STORAGE", "IMPLEMENTATION_SLOT")] == oz_words
    assert m.note().call() == 2**256 - 1 and m.trades().call() == 0


def test_every_proved_invariant_holds_on_the_proxy_after_initialisation_and_an_upgrade(
        chain: Chain) -> None:
    """The verifier's proved state invariants of the rule file, judged on the proxy's state
    read through the guard's views (`breach_on_chain`, as a counterexample replay is judged)."""
    admin, user = chain.accounts[0], chain.accounts[2]
    v1, v2 = build(V1, {"Market.sol": MARKET}), build(V2, {"Market.sol": MARKET})
    proved = proved_state_invariants(v1.program)
    names = {"cap_in_range", "fee_in_range", "cap_and_fee", "paused_cap", "withdrawals_open"}
    assert {v.name for v in proved} == names
    proved2 = proved_state_invariants(v2.program)
    assert {v.name for v in proved2} == names  # one more scope: the same proofs
    violated = [v for v in v1.program.invariants if v.name == "fee_not_cap"]
    market = deploy_market(chain, v1, admin)
    reader = deploy_compiled(chain.w3, compile_testkit(), "GuardStateReader")
    seen = [observe(chain, v1.program, reader, market.address)]
    assert seen[0].view.param_value == {"cap": 5000, "fee": 30}  # initialised, not 0
    assert breaches(v1.program, proved, seen) == {}
    assert set(breaches(v1.program, violated, seen)) == {"fee_not_cap"}  # the check bites

    def use(b: Build, target: Any, op: Operation, at: int | None = None) -> None:
        chain.tx(execute(chain, target, b.program, op, "UpgrGuard")[0], user, at=at)
        seen.append(observe(chain, b.program, reader, market.address))

    use(v1, market, Operation(PAUSE, 0b11, 24 * H, 1, FAR))
    use(v1, market, Operation(SET_FEE, 0, 1000, 2, FAR))  # clamped to the power's 50
    use(v1, market, Operation(SET_CAP, 0, 0, 3, FAR))  # and to the range's 1
    assert seen[-1].view.param_value == {"cap": 1, "fee": 50}
    # withdrawals reopen; a pause within the gap is refused (trading's is not)
    reopened = seen[-1].view.paused_until["withdrawals"]
    use(v1, market, Operation(PAUSE, 0b11, 24 * H, 4, FAR), at=reopened + H)
    assert seen[-1].view.paused_until["withdrawals"] == reopened
    assert seen[-1].view.paused_until["trading"] > reopened
    assert breaches(v1.program, proved, seen) == {}

    market2 = upgrade(chain, market, v2, admin)
    seen.append(observe(chain, v2.program, reader, market.address))
    moved = {k: {n: x for n, x in table.items() if n != "lending"}
             for k, table in vars(seen[-1].view).items()}
    assert moved == vars(seen[-2].view)  # the upgrade moves no state
    use(v2, market2, Operation(PAUSE, 0b110, 24 * H, 5, FAR))  # lending; withdrawals: gap
    use(v2, market2, Operation(SET_FEE, 0, 5, 6, FAR))
    use(v2, market2, Operation(SET_CAP, 0, 10**9, 7, FAR))
    assert seen[-1].view.param_value == {"cap": 10000, "fee": 5}
    assert seen[-1].now < seen[-1].view.paused_until["lending"]
    # a pause of withdrawals once the gap has passed, then the whole history judged
    use(v2, market2, Operation(PAUSE, 0b10, 24 * H, 8, FAR), at=reopened + 6 * H)
    assert seen[-1].view.paused_since["withdrawals"] == reopened + 6 * H
    assert breaches(v2.program, proved2, seen) == {}
    assert breaches(v1.program, proved, seen[:-5]) == {}
