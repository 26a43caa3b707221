"""Signatures on an operation file: made with a local key, added from elsewhere, merged.

Every signature is checked when it enters a file and again when a file is read for status or
submission: it must recover (EIP-712 over the file's typed data) to a signer of the rules, and
no signer may appear twice. A contract signer's EIP-1271 signature recovers to nothing: it is
checked on chain (`contract_sigs`) before `add_contract` takes it, and here only its signer.
Signatures from other wallets are normalised to what the guard accepts (v 27/28, low-s: the
same signer, the malleable twin refused on chain).
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from interlock.ir.diagnostics import did_you_mean
from interlock.ir.nodes import Program, Signer
from interlock.operations.opfile import (
    ContractSignatureEntry,
    Entry,
    OperationFile,
    OpFileError,
    SignatureEntry,
    check_file,
)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class SigningError(Exception):
    """A signature cannot be added (the message says why)."""


def parse_hex(signature: str) -> bytes:
    try:
        sig = bytes.fromhex(signature.strip().removeprefix("0x"))
    except ValueError as exc:
        raise SigningError("the signature is not hex") from exc
    if not sig:
        raise SigningError("the signature is empty")
    return sig


def normalise(signature: str) -> bytes:
    """65 bytes r || s || v with v in {27, 28} and low s, from any common encoding."""
    sig = parse_hex(signature)
    if len(sig) != 65:
        raise SigningError(f"a signature is 65 bytes (r, s, v), this one is {len(sig)}")
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    v = v + 27 if v in (0, 1) else v
    if v not in (27, 28):
        raise SigningError(f"the signature's v is {sig[64]}, expected 27 or 28")
    if s > SECP256K1_N // 2:
        s, v = SECP256K1_N - s, 55 - v
    return r + s.to_bytes(32, "big") + bytes([v])


def recover(f: OperationFile, sig: bytes) -> str:
    try:
        return str(Account.recover_message(encode_typed_data(full_message=f.typed_data),
                                           signature=sig))
    except Exception as exc:  # eth-keys raises several types for a bad signature
        raise SigningError(f"the signature does not recover to any address: {exc}") from exc


def _signer_at(program: Program, address: str) -> Signer | None:
    return next((s for s in program.signers if s.address.lower() == address.lower()), None)


def named(program: Program, name: str) -> Signer:
    for s in program.signers:
        if s.name == name:
            return s
    hint = did_you_mean(name, [s.name for s in program.signers])
    raise SigningError(f"`{name}` is not a signer of the rules" + (f": {hint}" if hint else ""))


def add(program: Program, f: OperationFile, signature: str,
        signer: str | None = None) -> OperationFile:
    """`f` with one more signature (checked: a signer of the rules, not yet in the file)."""
    check_file(program, f)
    sig = normalise(signature)
    address = recover(f, sig)
    who = _signer_at(program, address)
    if signer is not None:
        claimed = named(program, signer)
        if who is None or who.name != claimed.name:
            raise SigningError(f"the signature was made by {address}, not by `{claimed.name}` "
                               f"({claimed.address}): it signed other data or with another key")
    if who is None:
        raise SigningError(f"the signature was made by {address}, which is not a signer of "
                           "the rules (or it signed other data)")
    if any(e.address.lower() == address.lower() for e in f.signatures):
        raise SigningError(f"`{who.name}` has already signed this operation")
    entry = SignatureEntry(signer=who.name, address=who.address, signature="0x" + sig.hex())
    return f.with_signatures((*f.signatures, entry))


def add_contract(program: Program, f: OperationFile, signer: str, sig: bytes) -> OperationFile:
    """`f` with contract signer `signer`'s EIP-1271 signature (the caller checked it on chain)."""
    check_file(program, f)
    who = named(program, signer)
    if any(e.address.lower() == who.address.lower() for e in f.signatures):
        raise SigningError(f"`{who.name}` has already signed this operation")
    entry = ContractSignatureEntry(kind="contract", signer=who.name, address=who.address,
                                   signature="0x" + sig.hex())
    return f.with_signatures((*f.signatures, entry))


def sign(program: Program, f: OperationFile, account: LocalAccount) -> OperationFile:
    """`f` signed by a local key (which must belong to a signer of the rules)."""
    if _signer_at(program, account.address) is None:
        raise SigningError(f"the key's address {account.address} is not a signer of the rules")
    signed = account.sign_message(encode_typed_data(full_message=f.typed_data))
    return add(program, f, "0x" + bytes(signed.signature).hex())


def checked_signers(program: Program, f: OperationFile) -> tuple[Entry, ...]:
    """The file's signatures, each verified again (a contract's: only that it names its
    signer's address); raises on a forged or duplicated one."""
    check_file(program, f)
    seen: set[str] = set()
    for e in f.signatures:
        address = e.address if isinstance(e, ContractSignatureEntry) else recover(
            f, normalise(e.signature))
        who = _signer_at(program, address)
        if who is None or who.name != e.signer or address.lower() != e.address.lower():
            raise OpFileError(f"the signature listed for `{e.signer}` was made by {address}: "
                              "the file was edited after signing")
        if who.name in seen:
            raise OpFileError(f"`{who.name}` is listed twice")
        seen.add(who.name)
    return f.signatures


def merge(program: Program, files: Sequence[OperationFile]) -> OperationFile:
    """One file with the signatures of all: every file must be the same operation."""
    base = files[0]
    entries: dict[str, Entry] = {}
    for f in files:
        if f.with_signatures(()) != base.with_signatures(()):
            raise OpFileError(f"cannot merge different operations: `{base.summary}` and "
                              f"`{f.summary}` (or another chain, guard or deadline)")
        for e in checked_signers(program, f):
            entries.setdefault(e.address.lower(), e)
    return base.with_signatures(tuple(entries.values()))


def ordered_signatures(f: OperationFile) -> list[bytes]:
    """The signatures as the guard wants them: by strictly increasing signer address; a
    contract's as `address (20 bytes) || its EIP-1271 signature`."""
    ordered = sorted(f.signatures, key=lambda e: int(e.address, 16))
    return [bytes.fromhex(e.address[2:]) + parse_hex(e.signature)
            if isinstance(e, ContractSignatureEntry) else normalise(e.signature)
            for e in ordered]
