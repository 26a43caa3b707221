"""Contract signatures in the operation file, offline: the format (version 1 files still read
and written while they hold none), the checks on an entry, the guard's encoding, the status."""

from __future__ import annotations

import json

import jsonschema
import pytest

from interlock.operations import opfile, signing
from interlock.operations.contract_sigs import safe_message_hash
from interlock.operations.opstatus import op_status, render
from tests.operations.test_opstatus import GUARDIAN_PAUSE, _program, _signed

SAFE_SIG = bytes(range(130))  # what a 2-owner Safe's signature looks like: not recoverable


def test_a_version_1_file_reads_and_stays_version_1_without_contract_signatures() -> None:
    program = _program()
    f = _signed(program, GUARDIAN_PAUSE, "alice")
    data = json.loads(opfile.dump(f))
    assert data["format"] == "interlock-operation/1"
    assert set(data["signatures"][0]) == {"signer", "address", "signature"}  # as version 1 had
    g = signing.add_contract(program, opfile.OperationFile.model_validate(data), "treasury",
                             SAFE_SIG)
    out = json.loads(opfile.dump(g))
    assert out["format"] == "interlock-operation/2"
    assert out["signatures"][1] == {"kind": "contract", "signer": "treasury",
                                    "address": program.signer("treasury").address,
                                    "signature": "0x" + SAFE_SIG.hex()}
    jsonschema.validate(out, opfile.file_json_schema())
    merged = signing.merge(program, [f, g])  # a version 1 and a version 2 copy of one operation
    assert merged.format == "interlock-operation/2" and len(merged.signatures) == 2
    assert [e.signer for e in signing.checked_signers(program, merged)] == ["alice", "treasury"]


def test_the_guard_gets_address_then_signature_in_signer_order() -> None:
    program = _program()
    f = signing.add_contract(program, _signed(program, GUARDIAN_PAUSE, "alice", "bob"),
                             "treasury", SAFE_SIG)
    by_address = sorted(f.signatures, key=lambda e: int(e.address, 16))
    sigs = signing.ordered_signatures(f)
    for e, sig in zip(by_address, sigs, strict=True):
        if e.signer == "treasury":
            assert sig == bytes.fromhex(e.address[2:]) + SAFE_SIG
        else:
            assert len(sig) == 65


def test_contract_entries_are_held_to_their_signer() -> None:
    program = _program()
    f = signing.add_contract(program, _signed(program, GUARDIAN_PAUSE, "alice"), "treasury",
                             SAFE_SIG)
    with pytest.raises(signing.SigningError, match="`treasury` has already signed"):
        signing.add_contract(program, f, "treasury", SAFE_SIG)
    with pytest.raises(signing.SigningError, match="`alice` has already signed"):
        signing.add_contract(program, f, "alice", SAFE_SIG)
    moved = f.model_copy(update={"signatures": (f.signatures[0], f.signatures[1].model_copy(
        update={"address": program.signer("bob").address}))})
    with pytest.raises(opfile.OpFileError, match="listed for `treasury` was made by"):
        signing.checked_signers(program, moved)
    data = json.loads(opfile.dump(f))
    data["format"] = "interlock-operation/1"
    with pytest.raises(Exception, match="a contract signature needs format"):
        opfile.OperationFile.model_validate(data)


def test_status_counts_a_contract_signature_and_says_it_is_not_rechecked_offline() -> None:
    program = _program()
    f = signing.add_contract(program, _signed(program, GUARDIAN_PAUSE, "alice"), "treasury",
                             SAFE_SIG)
    st = op_status(program, f, None)
    assert st["satisfied"] and not st["contract_signatures_checked"]
    assert st["signed"][1] == {"signer": "treasury", "entity": "dao", "contract_signature": True}
    lines = render(program, st)
    assert "signed by: alice (foundation), treasury (dao, contract signature)" in lines
    assert any("give --rpc to check them again" in line for line in lines)


def test_the_safe_message_hash_is_safes() -> None:
    """keccak256(0x1901 || domainSeparator(chainId, safe) || keccak256(abi.encode(
    SAFE_MSG_TYPEHASH, keccak256(abi.encode(digest))))), Safe 1.3.0+ (on Anvil it is compared
    with the Safe 1.4.1 fallback handler's own: tests/operations/test_safe_signer.py)."""
    from eth_abi.abi import encode
    from eth_utils.crypto import keccak

    safe, digest = "0x" + "12" * 20, bytes(range(32))
    domain = keccak(encode(["bytes32", "uint256", "address"], [keccak(
        text="EIP712Domain(uint256 chainId,address verifyingContract)"), 1, safe]))
    struct = keccak(encode(["bytes32", "bytes32"], [keccak(text="SafeMessage(bytes message)"),
                                                    keccak(encode(["bytes32"], [digest]))]))
    assert safe_message_hash(1, safe, digest) == keccak(b"\x19\x01" + domain + struct)
