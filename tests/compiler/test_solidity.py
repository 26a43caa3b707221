"""The Solidity generator: deterministic output with a header, NatSpec on every external
function, no compiler warnings for every example, size under EIP-170, and the inheritable
`NAMEGuarded` enforcing the same rules inside a protocol (deployed on py-evm)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3

from interlock.compiler.codesize import too_large
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity, guard_file_names
from interlock.dsl.frontend import compile_file
from interlock.testing.contracts import compile_testkit, deploy, deploy_compiled
from interlock.testing.signing import Operation, domain, sign_operation
from tests.compiler.conftest import SIGNER_KEYS, T0, Chain, expect_revert
from tests.compiler.programs import Addresses, venue_program

pytestmark = pytest.mark.evm

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.guard"))


def _ad(i: int) -> str:
    return Web3.to_checksum_address(f"0x{i:040x}")


ADDRS = Addresses(signers=tuple(_ad(i) for i in range(1, 6)), agent=_ad(6), token=_ad(7),
                  vault=_ad(8), feed=_ad(9), reference=_ad(10))


def test_output_is_deterministic_and_names_its_source() -> None:
    program = venue_program(ADDRS)
    a, b = emit_solidity(program), emit_solidity(program)
    assert a == b
    assert set(a) == set(guard_file_names("PerpVenue"))
    for text in a.values():
        assert "venue.guard" in text.splitlines()[1]
        assert program.source_sha256 in text.splitlines()[2]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_compile_without_warnings(path: Path) -> None:
    front = compile_file(str(path))
    assert front.program is not None, front.diagnostics
    program = front.program
    files = emit_solidity(program)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert all(sha in text for text in files.values())
    result = compile_sources(files, allow_warnings=False)
    # solc's one message is about OpenZeppelin's TransientSlot (docs/guard.md, "Building blocks")
    assert all(m.in_dependency and "EIP-1153" in m.message for m in result.messages)
    assert too_large(program, result) == []  # every contract under EIP-170, as `build` checks
    # every external or public function of the guard carries NatSpec
    text = files[f"{program.protocol}Guard.sol"]
    for m in re.finditer(r"\n([^\n]*)\n\s+function (\w+)\(([^{;]*)\{", text):
        before, name, signature = m.groups()
        if re.search(r"\b(external|public)\b", signature):
            assert before.strip().startswith("///"), f"no NatSpec on `{name}`"


SAMPLE = """// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {PerpVenueGuarded} from "./PerpVenueGuarded.sol";
import {PerpVenueAddresses} from "./IPerpVenueGuard.sol";

contract SampleVenue is PerpVenueGuarded {
    uint256 public trades;

    constructor() PerpVenueGuarded(PerpVenueAddresses.defaults()) EIP712("PerpVenueGuard", "1") {}

    function trade() external whenActive(SCOPE_TRADING) {
        trades += 1;
    }
}
"""


def test_inherited_guard_enforces_pauses_in_the_protocol() -> None:
    tester = EthereumTester(PyEVMBackend())
    chain = Chain(Web3(EthereumTesterProvider(tester)), tester=tester)
    kit = compile_testkit()  # the constructor checks the token's and feeds' decimals
    token = deploy_compiled(chain.w3, kit, "TestToken", "USD Coin", "USDC", 6)
    feed = deploy_compiled(chain.w3, kit, "TestFeed", 8, 2000 * 10**8)
    ref = deploy_compiled(chain.w3, kit, "TestFeed", 8, 2000 * 10**8)
    addrs = Addresses(
        signers=tuple(Account.from_key(k).address for k in SIGNER_KEYS),
        agent=chain.accounts[1], token=token.address, vault=_ad(8), feed=feed.address,
        reference=ref.address,
    )
    program = venue_program(addrs)
    files = {**emit_solidity(program), "SampleVenue.sol": SAMPLE}
    c = compile_sources(files, allow_warnings=False).contract("SampleVenue")
    venue = deploy(chain.w3, c.abi, c.bytecode)
    user = chain.accounts[2]
    chain.tx(venue.functions.trade(), user, at=T0)
    assert venue.functions.trades().call() == 1
    # the EIP-712 domain's verifying contract is the protocol itself
    op = Operation(0, 1 << 2, 3600, 1, T0 + 10_000)
    dom = domain(program, chain.w3.eth.chain_id, venue.address)
    sigs = sign_operation(op, (SIGNER_KEYS[0], SIGNER_KEYS[2]), dom)
    chain.tx(venue.functions.execute(op.as_tuple(), sigs), user, at=T0 + 10)
    expect_revert(chain, venue, venue.functions.trade(), user, "ScopePaused", at=T0 + 20)
    chain.at(T0 + 10 + 3600)
    chain.tx(venue.functions.trade(), user)
    assert venue.functions.trades().call() == 2
    # the agent's trip works the same way inside the protocol
    chain.tx(venue.functions.trip(3), chain.accounts[1])
    expect_revert(chain, venue, venue.functions.trade(), user, "ScopePaused")


GOLDEN_IN = "tests/compiler/data/golden.guard"
GOLDEN_DIR = ROOT / "tests" / "golden" / "solidity"


def test_golden_output() -> None:
    """`INTERLOCK_UPDATE_GOLDEN=1` rewrites tests/golden/solidity/ from the golden rule file."""
    import os

    front = compile_file(GOLDEN_IN)
    assert front.program is not None, front.diagnostics
    files = emit_solidity(front.program)
    if os.environ.get("INTERLOCK_UPDATE_GOLDEN") == "1":
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (GOLDEN_DIR / name).write_text(text, encoding="utf-8")
    for name, text in files.items():
        path = GOLDEN_DIR / name
        assert path.exists(), f"missing golden file {path}; run with INTERLOCK_UPDATE_GOLDEN=1"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"
    compile_sources(files, allow_warnings=False)


EDGE_CASES = {
    "powers_only": """protocol Mini
signer a 0x1111111111111111111111111111111111111111
signer b 0x2222222222222222222222222222222222222222
role r = 2 of [a, b]
scope s
allow r to pause s for at most 1h
""",
    "breakers_only": """protocol NoPowers
agent w 0x6666666666666666666666666666666666666666
scope s
feed F 0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419 decimals 8
breaker stale {
  when staleness(F) > 1h
  then pause s for 1h
}
breaker note {
  when price(F) < 1000
  then alert "cheap"
}
""",
    "feeds_only": """protocol FeedsOnly
signer a 0x1111111111111111111111111111111111111111
role r = a
feed F 0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419 decimals 8
allow r to suspend F for at most 1h
allow r to resume F
""",
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_programs_compile_without_warnings(name: str) -> None:
    from interlock.dsl.frontend import compile_text

    front = compile_text(EDGE_CASES[name], f"{name}.guard")
    assert front.program is not None, front.diagnostics
    result = compile_sources(emit_solidity(front.program), allow_warnings=False)
    # solc's one message is about OpenZeppelin's TransientSlot (docs/guard.md, "Building blocks")
    assert all(m.in_dependency and "EIP-1153" in m.message for m in result.messages)


OZ_PROTOCOL = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {GoldenVenueGuarded} from "./GoldenVenueGuarded.sol";
import {GoldenVenueAddresses} from "./IGoldenVenueGuard.sol";

/// The guard's lock is OpenZeppelin's ReentrancyGuardTransient: one base, one `nonReentrant`.
contract Venue is ReentrancyGuardTransient, Pausable, GoldenVenueGuarded {
    uint256 public n;
    constructor()
        GoldenVenueGuarded(GoldenVenueAddresses.defaults())
        EIP712("GoldenVenueGuard", "1")
    {}
    function trade() external nonReentrant whenNotPaused whenActive(SCOPE_TRADING) { n += 1; }
    function stop() external { _pause(); }
}
"""


def test_guarded_coexists_with_openzeppelin_bases() -> None:
    """No name of NAMEGuarded clashes with OpenZeppelin v5's Pausable, and its reentrancy lock
    is OpenZeppelin's ReentrancyGuardTransient, which the protocol may inherit too."""
    front = compile_file(GOLDEN_IN)
    assert front.program is not None
    files = {**emit_solidity(front.program), "Venue.sol": OZ_PROTOCOL}
    assert compile_sources(files, allow_warnings=False).contract("Venue").bytecode


ALERT_ONLY = """protocol AlertOnly
agent w 0x6666666666666666666666666666666666666666
scope s
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
breaker watch {
  when outflow(USDC, 1h) > 5% of tvl(USDC)
  then alert "USDC outflow above 5%/h"
}
breaker drain {
  when outflow(USDC, 1h) > 10% of tvl(USDC)
  then pause s for 6h
}
"""


def test_flow_reports_check_only_rules_with_on_chain_effects() -> None:
    """An alert acts off chain only, so an alert-only rule must not refuse the flow that
    meets its condition; the pausing rule over the same flow still does."""
    from interlock.compiler.solidity_view import build_view
    from interlock.dsl.frontend import compile_text

    program = compile_text(ALERT_ONLY, "alert_only.guard").program
    assert program is not None
    view = build_view(program, "test")
    checks = [c for block in view.flow_blocks for c in block["checks"]]  # type: ignore[attr-defined]
    assert checks == [f"if (_try({program.breaker('drain').id})) fired = true;"]


def test_the_pragma_floats_from_the_lowest_release_the_code_needs() -> None:
    """`^0.8.28` (transient state variables; docs/guard.md), satisfied by the pinned solc."""
    from interlock.compiler.solc import SOLC_VERSION

    front = compile_file(str(EXAMPLES[0]))
    assert front.program is not None
    for name, text in emit_solidity(front.program).items():
        assert "\npragma solidity ^0.8.28;\n" in text, name
    assert "transient" in emit_solidity(front.program)[f"{front.program.protocol}Guarded.sol"]
    major, minor, patch = map(int, SOLC_VERSION.split("."))
    assert (major, minor) == (0, 8) and patch >= 28
