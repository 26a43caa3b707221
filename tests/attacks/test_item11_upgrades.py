"""Issue 16 item 11 (with issue 10): `NAMEGuarded` behind a real proxy and beside OpenZeppelin.

- It compiles beside OpenZeppelin's `ERC20Permit` (one `EIP712` base: the token's domain is the
  guard's) and the guard's powers work in that domain.
- Behind an OpenZeppelin `ERC1967Proxy` (UUPS), `initialize` sets what the constructor sets
  (`paramValue` reads the rule file's base, not 0), once.
- The state lives at the ERC-7201 slot the docs name: the nonce bitmap is read back with
  `eth_getStorageAt` there, and an upgrade to rules with one more scope keeps it — a replay of
  the nonce fails (with the old layout, the bitmap moved and the operation replayed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from interlock.compiler import eip712
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.compiler.storage_layout import NAMESPACE, erc7201_slot
from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import deploy
from interlock.testing.signing import Operation, domain, sign_operation
from tests.attacks.guards import ADDRESSES, FAR, chain_of
from tests.compiler.conftest import SIGNER_KEYS, T0, Chain, expect_revert

V1 = """protocol Upgr

signer alice {k0} entity foundation
signer bob   {k1} entity foundation
signer carol {k2} entity auditor

role guardian = 2 of [alice, bob, carol]

scope trading
scope withdrawals

param cap = 5000 in [1, 10000] safer lower

allow guardian to pause * for at most 24h
allow guardian to set cap within [1, 10000]
"""
V2 = V1.replace("scope withdrawals\n", "scope withdrawals\nscope lending\n")

MARKET = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {UpgrGuarded} from "./UpgrGuarded.sol";
import {UpgrAddresses} from "./IUpgrGuard.sol";

/// A protocol behind a UUPS proxy that keeps the guard's state in its (the proxy's) storage.
contract Market is UpgrGuarded, Initializable, UUPSUpgradeable {
    address private immutable _admin;
    uint256 public trades;

    constructor(address admin) UpgrGuarded(UpgrAddresses.defaults()) EIP712("UpgrGuard", "1") {
        _admin = admin;
        _disableInitializers();
    }

    function initialize() external initializer {
        _initializeGuard();
    }

    /// a protocol that exposes the guard's initializer by mistake still cannot run it twice
    function initializeGuardAgain() external {
        _initializeGuard();
    }

    function trade() external whenActive(SCOPE_TRADING) {
        trades += 1;
    }

    function _authorizeUpgrade(address) internal view override {
        require(msg.sender == _admin, "not admin");
    }
}

/// ERC1967Proxy, compiled from OpenZeppelin's source in the same run.
contract MarketProxy is ERC1967Proxy {
    constructor(address impl, bytes memory data) ERC1967Proxy(impl, data) {}
}
"""

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
GUARDIAN = 0  # role id (declaration order)


def program(text: str) -> Program:
    front = compile_text(text.format(**ADDRESSES), "upgr.guard")
    assert front.program is not None, front.diagnostics
    return front.program


@dataclass(frozen=True)
class Build:
    program: Program
    compiled: Any

    def contract(self, name: str) -> Any:
        return self.compiled.contract(name)


def build(text: str, extra: dict[str, str]) -> Build:
    p = program(text)
    return Build(p, compile_sources({**emit_solidity(p), **extra}, allow_warnings=False))


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


def execute(chain: Chain, target: Any, p: Program, op: Operation, name: str) -> Any:
    dom = domain(p, chain.w3.eth.chain_id, target.address, name)
    sigs = sign_operation(op, (SIGNER_KEYS[0], SIGNER_KEYS[2]), dom)
    return target.functions.execute(op.as_tuple(), sigs), sigs


def test_guarded_behind_a_proxy_initializes_once_and_an_upgrade_moves_no_slot(
        chain: Chain) -> None:
    admin, user = chain.accounts[0], chain.accounts[2]
    v1 = build(V1, {"Market.sol": MARKET})
    market_abi = v1.contract("Market").abi
    impl1 = deploy(chain.w3, market_abi, v1.contract("Market").bytecode, admin)
    init = chain.w3.eth.contract(abi=market_abi).encode_abi("initialize", [])
    proxy = deploy(chain.w3, v1.contract("MarketProxy").abi, v1.contract("MarketProxy").bytecode,
                   impl1.address, init)
    market = chain.w3.eth.contract(address=proxy.address, abi=market_abi)
    m = market.functions
    # what the constructor set, the proxy's storage holds too (it read 0 before)
    assert m.paramValue(0).call() == 5000 and m.paramBase(0).call() == 5000
    expect_revert(chain, market, m.initializeGuardAgain(), user, "GuardAlreadyInitialized")
    expect_revert(chain, market, m.initialize(), user, "InvalidInitialization")
    # the domain is the proxy's
    assert m.eip712Domain().call()[4] == proxy.address

    op = Operation(0, 0b01, H, 7, FAR)
    call, sigs = execute(chain, market, v1.program, op, "UpgrGuard")
    chain.tx(call, user, at=T0 + 10)
    expect_revert(chain, market, m.trade(), user, "ScopePaused")
    paused_until = m.pausedUntil(0).call()
    assert m.nonceUsed(GUARDIAN, 7).call()
    base = erc7201_slot(NAMESPACE)
    word = chain.w3.eth.get_storage_at(proxy.address, nonce_slot(base, GUARDIAN, 7))
    assert int.from_bytes(word, "big") == 1 << 7  # at the namespaced slot the docs give

    # an upgrade to rules with one more scope: the state stays where it was
    v2 = build(V2, {"Market.sol": MARKET})
    impl2 = deploy(chain.w3, v2.contract("Market").abi, v2.contract("Market").bytecode, admin)
    with pytest.raises(Exception):  # noqa: B017 - only the admin upgrades ("not admin")
        m.upgradeToAndCall(impl2.address, b"").call({"from": user})
    chain.tx(m.upgradeToAndCall(impl2.address, b""), admin)
    market2 = chain.w3.eth.contract(address=proxy.address, abi=v2.contract("Market").abi)
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
