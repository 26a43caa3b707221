"""The runtime code fingerprint (compiler/codehash.py): immutables masked whatever they are,
the CBOR metadata tail left out consistently; checked against code deployed on Anvil (the
guard's own: tests/runtime/test_monitor_guard_code.py)."""

from __future__ import annotations

import pytest
from web3 import Web3

from interlock.compiler.codehash import CodeFingerprint, cbor_tail_length, masked_hash
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.runtime.anvil import Anvil
from interlock.testing.contracts import deploy
from tests.runtime.monitor_kit import venue_program

pytestmark = pytest.mark.evm

# immutables of three types, one read twice (two references), set by the constructor
IMMUTABLES = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;
contract Holder {
    uint256 public immutable amount;
    address public immutable owner;
    bytes32 private immutable tag;
    constructor(uint256 a, address o) { amount = a; owner = o; tag = keccak256(abi.encode(a)); }
    function both() external view returns (uint256, address, bytes32) {
        return (amount + 1, owner, tag);
    }
}
"""


def test_masking_zeroes_each_range_and_only_those() -> None:
    code = bytes(range(1, 41))
    masked = bytearray(code)
    masked[4:8] = bytes(4)
    masked[30:40] = bytes(10)
    assert masked_hash(code, ((4, 4), (30, 10))) == "0x" + Web3.keccak(bytes(masked)).hex()
    assert masked_hash(code, ()) != masked_hash(code, ((4, 4),))


def test_a_cbor_tail_is_found_and_left_out_on_both_sides() -> None:
    body = bytes.fromhex("6080604052")
    cbor = bytes.fromhex("a164736f6c6343") + bytes.fromhex("00081c")  # {"solc": 0.8.28}
    tail = cbor + len(cbor).to_bytes(2, "big")
    assert cbor_tail_length(body + tail) == len(tail)
    assert cbor_tail_length(body) == 0  # code compiled without a tail
    fp = CodeFingerprint.of_compiled("0x" + (body + tail).hex(), {}, with_metadata=True)
    other_tail = bytes.fromhex("a164736f6c6343000819") + len(cbor).to_bytes(2, "big")
    assert fp.mismatch("0x" + (body + other_tail).hex()) is None  # only the metadata differs
    assert fp.mismatch("0x" + (bytes.fromhex("6080604053") + tail).hex()) is not None


@pytest.mark.anvil
def test_deployed_code_matches_its_build_whatever_its_immutables() -> None:
    holder = compile_sources({"Holder.sol": IMMUTABLES}).contract("Holder")
    guard = compile_sources(emit_solidity(venue_program())).contract("VenueGuard")
    refs = holder.immutable_references
    assert len(refs) == 3 and len(holder.fingerprint.immutables) > 3  # some read twice
    assert guard.fingerprint.immutables  # OpenZeppelin's EIP712 keeps its domain there
    with Anvil() as node:
        w3 = Web3(Web3.HTTPProvider(node.http_url))
        codes = [w3.eth.get_code(deploy(w3, holder.abi, holder.bytecode, n, w3.eth.accounts[n])
                                 .address) for n in (1, 2)]
    assert codes[0] != codes[1]  # the immutables differ ...
    for code in codes:  # ... and both are the build's code
        assert holder.fingerprint.mismatch("0x" + code.hex()) is None
    assert "0x" + codes[0].hex() != holder.deployed_bytecode  # unmasked, it would not match
    changed = bytearray(codes[0])
    changed[-1] ^= 1
    assert "the build's is" in str(holder.fingerprint.mismatch("0x" + changed.hex()))
    assert "bytes of code" in str(guard.fingerprint.mismatch("0x" + codes[0].hex()))
    assert CodeFingerprint.from_json(guard.fingerprint.to_json()) == guard.fingerprint
