"""Issue 10: `NAMEGuarded`'s initializer behind a real OpenZeppelin `ERC1967Proxy`, attacked.

- The implementation cannot be taken over: its own constructor ran `_initializeGuard()` (its
  storage is initialised) and `_disableInitializers()`; `initialize` on it reverts.
- `initialize` in the proxy's constructor data is atomic: no block sees the proxy
  uninitialised, and OpenZeppelin 5.7's `ERC1967Proxy` refuses empty data
  (`ERC1967ProxyUninitialized`). A proxy that opts out can be initialised by anyone first — and
  gets exactly the rule file's values (the initializer takes no input); the deployer's own call
  then reverts and nothing else differs.
- A second `_initializeGuard()` reverts `GuardAlreadyInitialized`.
- `decimals()` is checked by the implementation's constructor and again by the initializer,
  in the proxy: a token whose decimals changed in between makes the proxy's deployment revert
  `WrongDecimals`.
- The addresses are the implementation's immutables (per network): the proxy reports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from interlock.ir.addresses import constructor_args, guard_slots, with_addresses
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import deploy
from tests.attacks.guards import ADDRESSES, chain_of
from tests.compiler.conftest import Chain, error_selector, expect_revert, revert_data

RULES = """protocol Net

signer alice {k0} entity foundation
signer bob   {k1} entity foundation
signer carol {k2} entity auditor

role guardian = 2 of [alice, bob, carol]

scope trading

asset USDC 0x00000000000000000000000000000000000000a1 decimals 6
vault pool 0x00000000000000000000000000000000000000b2 holds USDC

param cap = 5000 in [1, 10000] safer lower

allow guardian to pause * for at most 24h
allow guardian to set cap within [1, 10000]
"""

SOURCES = {"NetMarket.sol": """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {NetGuarded} from "./NetGuarded.sol";
import {INetGuard} from "./INetGuard.sol";

/// A market behind a UUPS proxy whose guard addresses are this network's.
contract NetMarket is NetGuarded, Initializable, UUPSUpgradeable {
    address private immutable _admin;

    constructor(address admin, INetGuard.GuardAddresses memory addresses)
        NetGuarded(addresses)
        EIP712("NetGuard", "1")
    {
        _admin = admin;
        _disableInitializers();
    }

    function initialize() external initializer {
        _initializeGuard();
    }

    function initializeGuardAgain() external {
        _initializeGuard();
    }

    function _authorizeUpgrade(address) internal view override {
        require(msg.sender == _admin, "not admin");
    }
}

contract NetProxy is ERC1967Proxy {
    constructor(address impl, bytes memory data) ERC1967Proxy(impl, data) {}
}

/// A proxy that opts out of OpenZeppelin's refusal of empty init data: a front-running window.
contract UnsafeNetProxy is ERC1967Proxy {
    constructor(address impl, bytes memory data) ERC1967Proxy(impl, data) {}

    function _unsafeAllowUninitialized() internal pure override returns (bool) {
        return true;
    }
}

/// A token whose `decimals()` its owner can change (an upgradeable token, say).
contract SettableDecimals {
    uint8 public decimals = 6;

    function setDecimals(uint8 d) external {
        decimals = d;
    }

    function balanceOf(address) external pure returns (uint256) {
        return 0;
    }
}
"""}


@pytest.fixture(scope="module")
def chain(anvil_node: Anvil) -> Iterator[Chain]:
    c = chain_of(anvil_node)
    snap = c.snapshot()
    yield c
    c.revert(snap)


@pytest.fixture(scope="module")
def built() -> tuple[Program, Any]:
    front = compile_text(RULES.format(**ADDRESSES), "net.guard")
    assert front.program is not None, front.diagnostics
    return front.program, compile_sources({**emit_solidity(front.program), **SOURCES},
                                          allow_warnings=False)


def _setup(chain: Chain, built: tuple[Program, Any]) -> tuple[Program, Any, Any, Any]:
    """(the program as deployed here, the compiled sources, the token, the implementation)."""
    rules, compiled = built
    c = compiled.contract("SettableDecimals")
    token = deploy(chain.w3, c.abi, c.bytecode)
    program = with_addresses(rules, {"USDC": token.address})
    m = compiled.contract("NetMarket")
    impl = deploy(chain.w3, m.abi, m.bytecode, chain.accounts[0], *constructor_args(program))
    return program, compiled, token, impl


def _proxy(chain: Chain, compiled: Any, impl: Any, data: bytes, kind: str = "NetProxy") -> Any:
    p = compiled.contract(kind)
    proxy = deploy(chain.w3, p.abi, p.bytecode, impl.address, data)
    return chain.w3.eth.contract(address=proxy.address, abi=compiled.contract("NetMarket").abi)


def _init_data(chain: Chain, compiled: Any) -> bytes:
    abi = compiled.contract("NetMarket").abi
    return bytes.fromhex(chain.w3.eth.contract(abi=abi).encode_abi("initialize", [])[2:])


def test_the_implementation_cannot_be_initialised_or_taken_over(
        chain: Chain, built: tuple[Program, Any]) -> None:
    _, _, _, impl = _setup(chain, built)
    attacker = chain.accounts[5]
    expect_revert(chain, impl, impl.functions.initialize(), attacker, "InvalidInitialization")
    # its own storage was initialised by its constructor: no second run, no other values
    expect_revert(chain, impl, impl.functions.initializeGuardAgain(), attacker,
                  "GuardAlreadyInitialized")
    assert impl.functions.paramValue(0).call() == 5000


def test_initialize_in_the_proxys_constructor_data_is_atomic(
        chain: Chain, built: tuple[Program, Any]) -> None:
    program, compiled, _, impl = _setup(chain, built)
    market = _proxy(chain, compiled, impl, _init_data(chain, compiled))
    block = chain.w3.eth.get_transaction_receipt(
        chain.w3.eth.get_block("latest")["transactions"][-1])["blockNumber"]
    # the block that created the proxy already sees it initialised: no gap to front-run
    assert market.functions.paramValue(0).call(block_identifier=block) == 5000
    attacker = chain.accounts[5]
    expect_revert(chain, market, market.functions.initialize(), attacker,
                  "InvalidInitialization")
    expect_revert(chain, market, market.functions.initializeGuardAgain(), attacker,
                  "GuardAlreadyInitialized")
    # the addresses are the implementation's immutables: this network's, through the proxy
    assert market.functions.guardAddresses().call() == [s.address for s in guard_slots(program)]


def test_a_front_run_initialize_sets_only_the_rule_files_values(
        chain: Chain, built: tuple[Program, Any]) -> None:
    _, compiled, _, impl = _setup(chain, built)
    p = compiled.contract("NetProxy")
    with pytest.raises(Exception) as info:  # OpenZeppelin's proxy refuses to leave the window
        deploy(chain.w3, p.abi, p.bytecode, impl.address, b"")
    assert revert_data(info.value).startswith(error_selector(p.abi, "ERC1967ProxyUninitialized"))
    market = _proxy(chain, compiled, impl, b"", "UnsafeNetProxy")  # a window
    assert market.functions.paramValue(0).call() == 0  # uninitialised
    attacker, deployer = chain.accounts[5], chain.accounts[0]
    chain.tx(market.functions.initialize(), attacker)  # the front-runner wins the race
    assert market.functions.paramValue(0).call() == 5000  # ... and set the rule file's value
    assert market.functions.paramBase(0).call() == 5000
    assert market.functions.isActive(0).call()
    expect_revert(chain, market, market.functions.initialize(), deployer,
                  "InvalidInitialization")
    expect_revert(chain, market, market.functions.initializeGuardAgain(), deployer,
                  "GuardAlreadyInitialized")


def test_decimals_are_checked_again_by_the_initializer_behind_the_proxy(
        chain: Chain, built: tuple[Program, Any]) -> None:
    program, compiled, token, impl = _setup(chain, built)
    chain.tx(token.functions.setDecimals(18), chain.accounts[0])  # after the implementation
    p = compiled.contract("NetProxy")
    factory = chain.w3.eth.contract(abi=p.abi, bytecode=p.bytecode)
    tx = factory.constructor(impl.address, _init_data(chain, compiled)).build_transaction(
        {"from": chain.accounts[0], "gas": 5_000_000})
    with pytest.raises(Exception) as info:  # the whole proxy deployment reverts
        chain.w3.eth.call({"from": chain.accounts[0], "data": tx["data"]})
    assert revert_data(info.value).startswith(error_selector(impl.abi, "WrongDecimals"))
    # the implementation's constructor checks the same
    m = compiled.contract("NetMarket")
    build = chain.w3.eth.contract(abi=m.abi, bytecode=m.bytecode).constructor(
        chain.accounts[0], *constructor_args(program)).build_transaction(
        {"from": chain.accounts[0], "gas": 15_000_000})
    with pytest.raises(Exception) as info:
        chain.w3.eth.call({"from": chain.accounts[0], "data": build["data"],
                           "gas": 15_000_000})
    assert revert_data(info.value).startswith(error_selector(impl.abi, "WrongDecimals"))
    chain.tx(token.functions.setDecimals(6), chain.accounts[0])
    assert _proxy(chain, compiled, impl, _init_data(chain, compiled)).functions.paramValue(
        0).call() == 5000
