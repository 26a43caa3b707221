"""Encoding the monitor's calls to the guard, its feeds and tokens, and hashing event signatures.

The functions themselves are defined once, in `interlock.compiler.guard_abi`, from which the
guard's interface is generated too: a monitor needs only the rules and the guard's address,
never a build directory.
"""

from __future__ import annotations

from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from interlock.compiler.guard_abi import Function

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


def event_topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def selector(signature: str) -> bytes:
    return bytes(keccak(text=signature)[:4])


def call_data(fn: Function, *args: Any) -> bytes:
    """The calldata of `fn(*args)`."""
    return selector(fn.signature) + encode(fn.input_types, list(args))


def decode_result(fn: Function, data: bytes) -> tuple[Any, ...]:
    """`fn`'s return values from the call's return data."""
    return tuple(decode(fn.output_types, data))
