"""Contract signers' EIP-1271 signatures: checked on chain, and what a Safe's owners sign.

A contract (a Safe) signs the guard's digest by answering `isValidSignature(digest, sig)` with
`0x1626ba7e`; nothing recovers it offline. So an entry enters a file only after an `eth_call`
of that function on the member's address at the latest block, with the gas the guard gives it
(`SIGNER_GAS`), and `op status --rpc` and `op submit` call it again (an owner change revokes
it). A Safe 1.3.0 or later approves `digest` when its owners sign its `SafeMessage` hash:
EIP-712 `SafeMessage(bytes message)` with `message = abi.encode(digest)`, in the domain
`(chainId, verifyingContract = the Safe)`; `safe_message` is that typed data, which any wallet
signs, and a contract is taken for such a Safe when its `domainSeparator()` is that domain's.
"""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils.crypto import keccak
from web3 import Web3
from web3.types import RPCEndpoint

from interlock.compiler.oz import SIGNER_GAS
from interlock.ir.nodes import Program
from interlock.operations.chain import Guard, digest
from interlock.operations.opfile import ContractSignatureEntry, OperationFile
from interlock.operations.signing import SigningError, add_contract, named, parse_hex
from interlock.runtime.signer_probe import DELEGATED, SELECTOR

MAGIC_WORD = SELECTOR + b"\x00" * 28  # what OpenZeppelin's SignatureChecker wants back
SAFE_DOMAIN = [{"name": "chainId", "type": "uint256"},
               {"name": "verifyingContract", "type": "address"}]


def is_contract(g: Guard, address: str) -> bool:
    code = "0x" + bytes(g.w3.eth.get_code(Web3.to_checksum_address(address))).hex()
    return code != "0x" and not code.startswith(DELEGATED)  # a 7702 account keeps its key


def _call(g: Guard, to: str, data: bytes) -> bytes | None:
    """The return data of an `eth_call` capped at SIGNER_GAS; None when it reverts."""
    call = {"to": Web3.to_checksum_address(to), "data": "0x" + data.hex(), "gas": hex(SIGNER_GAS)}
    reply = g.w3.provider.make_request(RPCEndpoint("eth_call"), [call, "latest"])
    result = reply.get("result")
    return bytes.fromhex(result.removeprefix("0x")) if isinstance(result, str) else None


def valid_on_chain(g: Guard, address: str, op_digest: bytes, sig: bytes) -> bool:
    """Whether the contract at `address` accepts `sig` for `op_digest` now, as the guard asks."""
    answer = _call(g, address, SELECTOR + encode(["bytes32", "bytes"], [op_digest, sig]))
    return answer is not None and answer[:32] == MAGIC_WORD


def safe_message(chain_id: int, safe: str, op_digest: bytes) -> dict[str, Any]:
    """The typed data a Safe's owners sign to approve `op_digest` (`eth_signTypedData_v4`)."""
    return {"types": {"EIP712Domain": SAFE_DOMAIN,
                      "SafeMessage": [{"name": "message", "type": "bytes"}]},
            "primaryType": "SafeMessage",
            "domain": {"chainId": chain_id, "verifyingContract": Web3.to_checksum_address(safe)},
            "message": {"message": "0x" + op_digest.hex()}}


def safe_message_hash(chain_id: int, safe: str, op_digest: bytes) -> bytes:
    typed = safe_message(chain_id, safe, op_digest)
    return bytes(_hash_eip191_message(encode_typed_data(full_message=typed)))


def is_safe(g: Guard, address: str, chain_id: int) -> bool:
    """Whether the contract's `domainSeparator()` is a Safe 1.3.0+ one (`safe_message` holds)."""
    typehash = keccak(text="EIP712Domain(uint256 chainId,address verifyingContract)")
    mine = keccak(encode(["bytes32", "uint256", "address"], [typehash, chain_id, address]))
    return _call(g, address, keccak(text="domainSeparator()")[:4]) == mine


def what_to_sign(g: Guard, f: OperationFile, address: str) -> dict[str, Any]:
    """What the contract at `address` must approve: the operation hash, and for a Safe the
    `SafeMessage` its owners sign (None for another contract: its own EIP-1271 scheme)."""
    d = digest(f)
    safe = is_safe(g, address, f.chain_id)
    return {"digest": "0x" + d.hex(),
            "safe_message_hash": "0x" + safe_message_hash(f.chain_id, address, d).hex()
            if safe else None,
            "safe_message": safe_message(f.chain_id, address, d) if safe else None}


def approval_words(approve: dict[str, Any]) -> str:
    """`it must approve operation hash 0x…; as a Safe, its owners sign SafeMessage hash 0x…`."""
    words = f"its EIP-1271 signature must approve operation hash {approve['digest']}"
    if approve["safe_message_hash"] is not None:
        words += (f"; it is a Safe: its owners sign its SafeMessage hash "
                  f"{approve['safe_message_hash']} (65 bytes each, joined by increasing "
                  "owner address)")
    return words


def add_checked(g: Guard, program: Program, f: OperationFile, signer: str,
                signature: str) -> OperationFile:
    """`f` with contract member `signer`'s EIP-1271 signature, after the contract accepted it."""
    member = named(program, signer)
    sig = parse_hex(signature)
    if not valid_on_chain(g, member.address, digest(f), sig):
        raise SigningError(
            f"`{member.name}` ({member.address}) does not accept this signature on chain: its "
            "`isValidSignature` refuses it (too few owners, not its owners, or another "
            f"operation); {approval_words(what_to_sign(g, f, member.address))}")
    return add_contract(program, f, member.name, sig)


def check_entries(g: Guard, f: OperationFile) -> None:
    """Raise unless every contract signature in `f` is still accepted on chain."""
    for e in f.signatures:
        if isinstance(e, ContractSignatureEntry) and not valid_on_chain(
                g, e.address, digest(f), parse_hex(e.signature)):
            raise SigningError(
                f"the contract signature listed for `{e.signer}` ({e.address}) is not valid on "
                "chain now: its `isValidSignature` refuses it (its owners changed, or the file "
                "was edited); remove the entry and sign again: "
                f"{approval_words(what_to_sign(g, f, e.address))}")
