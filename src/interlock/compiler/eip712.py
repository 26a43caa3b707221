"""The EIP-712 typed data a guard's signers sign: the one definition of `Operation` and the domain.

The Solidity generator reads it (the `Operation` struct, its typehash, the encoding in
`operationHash`, the domain separator), and so do everything that signs or submits an operation:
`interlock op` writes `typed_data(...)` into operation files (the `eth_signTypedData_v4` JSON any
wallet signs) and turns a file's message back into the ABI tuple with `message_tuple`. A field
added here (a rules hash, a role id) therefore reaches the guard, the files and the signatures
together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlock.ir.nodes import Program

PRIMARY_TYPE = "Operation"
DOMAIN_TYPE = "EIP712Domain"
DOMAIN_VERSION = "1"

# (name, Solidity type); static value types only: `operationHash` abi-encodes them directly
DOMAIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)
OPERATION_FIELDS: tuple[tuple[str, str], ...] = (
    ("power", "uint16"),
    ("targets", "uint256"),
    ("value", "int256"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
)
OPERATION_DOCS: dict[str, str] = {
    "power": "the power's id (declaration order of `allow` lines, from 0)",
    "targets": "bitmask of scope or feed ids (0 for `set` and `cancel`)",
    "value": "seconds for pause/suspend/extend, the new base for `set`, the queued "
             "operation's hash for `cancel`, 0 otherwise",
    "nonce": "any unused number; each nonce is usable once per guard",
    "deadline": "unix time after which the signatures are void",
}


def type_string(name: str, fields: tuple[tuple[str, str], ...]) -> str:
    """`Operation(uint16 power,...)`: what the typehash hashes."""
    return f"{name}({','.join(f'{t} {n}' for n, t in fields)})"


def domain_name(protocol: str) -> str:
    return f"{protocol}Guard"


def domain(protocol: str, chain_id: int, guard: str) -> dict[str, Any]:
    """The guard's domain: name `<Protocol>Guard`, version `1`, this chain, this guard."""
    values: dict[str, Any] = {
        "name": domain_name(protocol),
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": guard,
    }
    return {n: values[n] for n, _ in DOMAIN_FIELDS}


def message_types() -> dict[str, list[dict[str, str]]]:
    """The `types` entry without the domain (what eth-account's `encode_typed_data` takes)."""
    return {PRIMARY_TYPE: [{"name": n, "type": t} for n, t in OPERATION_FIELDS]}


# what the proposer chooses; every other Operation field (none yet) is derived from the rules
CHOSEN_FIELDS = ("power", "targets", "value", "nonce", "deadline")


def operation_message(program: Program, chosen: Mapping[str, int]) -> dict[str, int]:
    """The full message of one use of a power from the `CHOSEN_FIELDS`: a field bound to the
    rules (their hash, the power's role) is computed here, so proposers, signers' checks and
    the guard agree on it without anyone typing it."""
    return message({n: int(chosen[n]) for n in CHOSEN_FIELDS})


def message(values: Mapping[str, int]) -> dict[str, int]:
    """The `message` entry: exactly the Operation fields, in order (a missing one is a bug)."""
    return {n: int(values[n]) for n, _ in OPERATION_FIELDS}


def typed_data(program: Program, chain_id: int, guard: str,
               values: Mapping[str, int]) -> dict[str, Any]:
    """The complete `eth_signTypedData_v4` JSON of one operation on one guard."""
    return {
        "types": {
            DOMAIN_TYPE: [{"name": n, "type": t} for n, t in DOMAIN_FIELDS],
            **message_types(),
        },
        "primaryType": PRIMARY_TYPE,
        "domain": domain(program.protocol, chain_id, guard),
        "message": message(values),
    }


def message_tuple(msg: Mapping[str, Any]) -> tuple[int, ...]:
    """The ABI tuple of `execute(op, ...)`, `queue` and `executeQueued`: fields in order."""
    return tuple(int(msg[n]) for n, _ in OPERATION_FIELDS)


def solidity_view() -> dict[str, Any]:
    """What the guard templates lay out: struct members, typehash strings, encoded fields."""
    return {
        "struct_fields": [f"{t} {n};" for n, t in OPERATION_FIELDS],
        "operation_type": type_string(PRIMARY_TYPE, OPERATION_FIELDS),
        "domain_type": type_string(DOMAIN_TYPE, DOMAIN_FIELDS),
        "encoded_fields": ", ".join(f"op.{n}" for n, _ in OPERATION_FIELDS),
        "version": DOMAIN_VERSION,
    }
