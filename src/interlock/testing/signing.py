"""Sign a guard's EIP-712 `Operation` with test keys (eth_account), as its signers would.

The guard wants 65-byte (r, s, v) signatures ordered by strictly increasing signer address,
low-s. `sign_operation` returns them in that order (`by_signer` orders EOA signatures and
contract signers' entries together); `to_high_s` turns one into the equivalent high-s form
(the malleability attack the guard must refuse).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from interlock.compiler import eip712
from interlock.ir.nodes import Program

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

OPERATION_TYPES = eip712.message_types()


@dataclass(frozen=True)
class Operation:
    power: int
    targets: int
    value: int
    nonce: int
    deadline: int

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        """The ABI tuple for `execute(op, sigs)` / `queue` / `executeQueued`."""
        return (self.power, self.targets, self.value, self.nonce, self.deadline)


@dataclass(frozen=True)
class Domain:
    """Where a signature is valid: one guard of one rule file on one chain. The rules give
    each message's `rulesHash` and `powerHash` (`interlock.compiler.eip712`); `name` is the
    `EIP712` name of a protocol inheriting the guard (None: `<Protocol>Guard`)."""

    program: Program
    chain_id: int
    guard: str
    name: str | None = None

    def fields(self) -> dict[str, Any]:
        return eip712.domain(self.program, self.chain_id, self.guard, self.name)

    def message(self, op: Operation) -> dict[str, Any]:
        return eip712.operation_message(self.program, dataclasses.asdict(op))


def domain(program: Program, chain_id: int, guard: str, name: str | None = None) -> Domain:
    """The guard's EIP-712 domain (`interlock.compiler.eip712`)."""
    return Domain(program, chain_id, guard, name)


def sign_one(op: Operation, key: bytes | str, dom: Domain) -> tuple[str, bytes]:
    """(signer address, 65-byte r||s||v signature) of one key."""
    msg = encode_typed_data(
        domain_data=dom.fields(),
        message_types=OPERATION_TYPES,
        message_data=dom.message(op),
    )
    signed = Account.sign_message(msg, key)
    sig = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
    return Account.from_key(key).address, sig


def sign_operation(
    op: Operation, keys: Iterable[bytes | str], dom: Domain
) -> list[bytes]:
    """Signatures of `keys`, ordered by increasing signer address (as the guard requires)."""
    return by_signer(sign_one(op, k, dom) for k in keys)


def by_signer(entries: Iterable[tuple[str, bytes]]) -> list[bytes]:
    """`(signer address, entry)` pairs as the guard's `signatures`: the entries in increasing
    signer address order, EOAs' signatures and contract signers' `address ‖ EIP-1271
    signature` entries alike."""
    return [e for _, e in sorted(entries, key=lambda p: int(p[0], 16))]


def to_high_s(sig: bytes) -> bytes:
    """The same signature with s' = n - s and the other v: valid for ecrecover, but high-s."""
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
