"""The upgradeable market of the issue 10 proxy tests (tests/attacks/test_item11_upgrades.py):
rules V1 and V2 (one more scope), a protocol inheriting `UpgrGuarded` behind OpenZeppelin's
`ERC1967Proxy` (UUPS), and what the tests read from it — the proved state invariants of a rule
file, and the guard's and OpenZeppelin's storage slots."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Invariant, Program
from interlock.testing.chain_driver import read_view
from interlock.testing.contracts import deploy
from interlock.testing.replay_chain import ChainReplay, Observation, breach_on_chain
from interlock.testing.signing import Operation, domain, sign_operation
from interlock.verifier.engine import verify
from tests.attacks.guards import ADDRESSES
from tests.compiler.conftest import SIGNER_KEYS, Chain

# the invariants are over params and scopes: `always` predicates, and a pause bound whose state
# part (`pausedUntil - pausedSince`, the open time between pauses) is judged on chain too;
# `fee_not_cap` is violated (at depth 0), and shows that the check on chain is not vacuous
V1 = """protocol Upgr

signer alice {k0} entity foundation
signer bob   {k1} entity foundation
signer carol {k2} entity auditor

role guardian = 2 of [alice, bob, carol]

scope trading
scope withdrawals max 24h gap 6h

param cap = 5000 in [1, 10000] safer lower
param fee = 30 in [1, 100] safer higher

allow guardian to pause * for at most 24h
allow guardian to set cap within [1, 10000]
allow guardian to set fee within [5, 50]

invariant cap_in_range:     always (cap >= 1 and cap <= 10000)
invariant fee_in_range:     always (fee >= 5 and fee <= 50)
invariant cap_and_fee:      always (cap + fee >= 6)
invariant paused_cap:       always (paused(withdrawals) -> cap <= 10000)
invariant fee_not_cap:      always (fee >= cap)
invariant withdrawals_open: withdrawals paused at most 24h then open 6h
invariant no_single_key:    no unilateral signer
"""
V2 = V1.replace("gap 6h\n", "gap 6h\nscope lending\n")
PAUSE, SET_CAP, SET_FEE = 0, 1, 2  # power ids (declaration order)
GUARDIAN = 0  # role id

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
    uint256 public note; // the market's first own slot: the collision test writes all of it
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

    function setNote(uint256 value) external {
        note = value;
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


def build(text: str, extra: Mapping[str, str]) -> Build:
    p = program(text)
    return Build(p, compile_sources({**emit_solidity(p), **extra}, allow_warnings=False))


def deploy_market(chain: Chain, b: Build, admin: str) -> Any:
    """A `Market` implementation and an `ERC1967Proxy` to it initialised in its constructor:
    the market at the proxy's address."""
    abi = b.contract("Market").abi
    impl = deploy(chain.w3, abi, b.contract("Market").bytecode, admin)
    init = chain.w3.eth.contract(abi=abi).encode_abi("initialize", [])
    proxy = deploy(chain.w3, b.contract("MarketProxy").abi, b.contract("MarketProxy").bytecode,
                   impl.address, init)
    return chain.w3.eth.contract(address=proxy.address, abi=abi)


def upgrade(chain: Chain, market: Any, b: Build, admin: str) -> Any:
    """`upgradeToAndCall` to a new implementation built as `b`: the market with its ABI."""
    impl = deploy(chain.w3, b.contract("Market").abi, b.contract("Market").bytecode, admin)
    chain.tx(market.functions.upgradeToAndCall(impl.address, b""), admin)
    return chain.w3.eth.contract(address=market.address, abi=b.contract("Market").abi)


def execute(chain: Chain, target: Any, p: Program, op: Operation, name: str) -> Any:
    """`execute(op)` signed by alice and carol (two entities), and the signatures."""
    dom = domain(p, chain.w3.eth.chain_id, target.address, name)
    sigs = sign_operation(op, (SIGNER_KEYS[0], SIGNER_KEYS[2]), dom)
    return target.functions.execute(op.as_tuple(), sigs), sigs


# --- the proved invariants, judged on the proxy's state ----------------------------------------

# the kinds whose every part is a function of the state `GuardView` shows (without senders:
# `blocked at most` needs `blockedUntil` of a victim, and this rule file has no blocks)
STATE_KINDS = frozenset({"always", "paused_at_most"})


def proved_state_invariants(p: Program) -> tuple[Invariant, ...]:
    """The invariants of `p` the verifier proves whose state parts a view can judge."""
    results = verify(p, timeout_s=60)
    return tuple(v for v, r in zip(p.invariants, results, strict=True)
                 if r.status == "proved" and v.prop.kind in STATE_KINDS)


def observe(chain: Chain, p: Program, reader: Any, guard: str) -> Observation:
    """The guard's state (through its views) as of the latest block, at that block's time."""
    now = int(chain.w3.eth.get_block("latest")["timestamp"])
    return Observation(index=0, now=now, ok=True, view=read_view(p, reader, guard))


def breaches(p: Program, invariants: Iterable[Invariant],
             observations: Iterable[Observation]) -> dict[str, str]:
    """Each invariant the observations (in time order) break, and how (`breach_on_chain`:
    an `always` predicate false in one, a pause longer than the bound or reopened too soon)."""
    obs = tuple(Observation(index=i, now=o.now, ok=o.ok, view=o.view)
                for i, o in enumerate(observations))
    replay = ChainReplay(steps=(), applied=(), loop_starts=(), observations=obs)
    return {v.name: why for v in invariants if (why := breach_on_chain(p, v, replay))}


# --- storage slots --------------------------------------------------------------------------

_NAMESPACE = re.compile(r"@custom:storage-location erc7201:([\w.]+)")
_SLOT_CONSTANT = re.compile(r"bytes32 (?:private|internal) constant (\w+) =\s*(0x[0-9a-fA-F]{64});")


def declared_namespaces(sources: Mapping[str, str]) -> dict[str, str]:
    """namespace -> the file that declares it (`@custom:storage-location erc7201:NAME`)."""
    return {m.group(1): name for name, text in sources.items() for m in _NAMESPACE.finditer(text)}


def slot_constants(sources: Mapping[str, str]) -> dict[str, int]:
    """Every 32-byte literal constant of OpenZeppelin's compiled files (`IMPLEMENTATION_SLOT`,
    `INITIALIZABLE_STORAGE`, ...), by name."""
    return {m.group(1): int(m.group(2), 16) for name, text in sources.items()
            if name.startswith("@openzeppelin/") for m in _SLOT_CONSTANT.finditer(text)}
