"""The EIP-712 typed data a guard's signers sign: the one definition of `Operation` and the domain.

The Solidity generator reads it (the `Operation` struct, its typehash, the encoding in
`operationHash`, the domain separator), and so do everything that signs or submits an operation:
`interlock op` writes `typed_data(...)` into operation files (the `eth_signTypedData_v4` JSON any
wallet signs) and turns a file's message back into the ABI tuple with `message_tuple`. A field
added here (a rules hash, a role id) therefore reaches the guard, the files and the signatures
together.

What a signature binds (docs/guard.md, "Signatures"): the message's `rulesHash` is
`keccak256(abi.encode(keccak256(rules text), keccak256(abi.encode(addresses))))`: the rules text
is the program's canonical text without addresses (`interlock.ir.canonical.rules_text`: spans,
path and byte hash left out, so a comment or format edit keeps it and any change of meaning
does not), the addresses are the guard's own, in `GuardAddresses` order (`ir.addresses`), as
deployed on this network (the guard computes this hash in its constructor). Its
`powerHash` is the keccak256 of the power's canonical text. Both are *derived*: the guard holds
them as constants and puts them into the digest itself, so they are not in the `execute` tuple
(`CALL_FIELDS`); a signature made for another rule file or another power at the same index
recovers to no signer of this guard.

The domain is OpenZeppelin's `EIP712` (name, version, chainId, verifyingContract), which has no
`salt`: the rules hash therefore moved from the domain into the message. A protocol that
inherits `NAMEGuarded` next to another `EIP712` user (`ERC20Permit`) shares that contract's one
domain, so its `name` is the protocol's choice (`domain(..., name=)`); the typehash and
`rulesHash` keep a guard operation apart from every other message signed in that domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eth_utils.crypto import keccak

from interlock.ir.addresses import guard_slots
from interlock.ir.canonical import power_text, rules_text
from interlock.ir.nodes import Power, Program

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
    ("rulesHash", "bytes32"),
    ("power", "uint16"),
    ("powerHash", "bytes32"),
    ("targets", "uint256"),
    ("value", "int256"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
)
OPERATION_DOCS: dict[str, str] = {
    "rulesHash": "keccak256 of the rules' canonical text without addresses and of the "
                 "guard's addresses on this network (derived: the guard fills it in, it is not "
                 "part of the `execute` tuple)",
    "power": "the power's id (declaration order of `allow` lines, from 0)",
    "powerHash": "keccak256 of the power's canonical text (derived from the rules: the guard "
                 "fills it in, it is not part of the `execute` tuple)",
    "targets": "bitmask of scope or feed ids (0 for `set` and `cancel`)",
    "value": "seconds for pause/suspend/extend, the new base for `set`, the queued "
             "operation's hash for `cancel`, 0 otherwise",
    "nonce": "any unused number; each nonce is usable once per role of the guard (every role "
             "has its own nonce space, so no role can consume another's)",
    "deadline": "unix time after which the signatures are void",
}


def type_string(name: str, fields: tuple[tuple[str, str], ...]) -> str:
    """`Operation(uint16 power,...)`: what the typehash hashes."""
    return f"{name}({','.join(f'{t} {n}' for n, t in fields)})"


def domain_name(protocol: str) -> str:
    return f"{protocol}Guard"


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def rules_text_hash(program: Program) -> str:
    """keccak256 of the rules without addresses: the guard's constant `RULES_TEXT_HASH`."""
    return _hex(keccak(text=rules_text(program)))


def addresses_hash(program: Program) -> str:
    """keccak256 of `abi.encode` of the guard's addresses (`GuardAddresses`, every member a
    32-byte word)."""
    words = b"".join(bytes(12) + bytes.fromhex(s.address[2:]) for s in guard_slots(program))
    return _hex(keccak(words))


def rules_hash(program: Program) -> str:
    """The message's `rulesHash` (0x-prefixed hex): the rules text's hash and the addresses'
    hash, abi-encoded and hashed, as the guard's constructor computes it."""
    both = bytes.fromhex(rules_text_hash(program)[2:]) + bytes.fromhex(addresses_hash(program)[2:])
    return _hex(keccak(both))


def power_hash(power: Power) -> str:
    """The message's `powerHash`: keccak256 of the power's canonical text (0x-prefixed hex)."""
    return _hex(keccak(text=power_text(power)))


NO_POWER_HASH = _hex(bytes(32))  # the guard's `_powerHash` of an unknown power id


def domain(program: Program, chain_id: int, guard: str, name: str | None = None
           ) -> dict[str, Any]:
    """The guard's domain: name `<Protocol>Guard` (or the `EIP712` name the inheriting
    protocol gave), version `1`, this chain, this guard."""
    values: dict[str, Any] = {
        "name": name or domain_name(program.protocol),
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": guard,
    }
    return {n: values[n] for n, _ in DOMAIN_FIELDS}


def message_types() -> dict[str, list[dict[str, str]]]:
    """The `types` entry without the domain (what eth-account's `encode_typed_data` takes)."""
    return {PRIMARY_TYPE: [{"name": n, "type": t} for n, t in OPERATION_FIELDS]}


# what the proposer chooses; every other Operation field is derived from the rules
CHOSEN_FIELDS = ("power", "targets", "value", "nonce", "deadline")
# derived fields the guard computes from `power` instead of reading them from the call
DERIVED_FIELDS = ("rulesHash", "powerHash")
# the Solidity `Operation` struct: the ABI tuple of `execute`, `queue` and `executeQueued`
CALL_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (n, t) for n, t in OPERATION_FIELDS if n not in DERIVED_FIELDS)


def power_hash_of(program: Program, power_id: int) -> str:
    """`powerHash` of a power id (`NO_POWER_HASH` for an id the rules do not have)."""
    if 0 <= power_id < len(program.powers):
        return power_hash(program.powers[power_id])
    return NO_POWER_HASH


def nonce_role(program: Program, power_id: int) -> int:
    """The role id (declaration order of roles) whose nonce space a use of the power spends:
    the guard's `nonceUsed(role, nonce)`."""
    return next(i for i, r in enumerate(program.roles) if r.name == program.powers[power_id].role)


def operation_message(program: Program, chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The full message of one use of a power from the `CHOSEN_FIELDS`: a field bound to the
    rules (the power's hash) is computed here, so proposers, signers' checks and the guard
    agree on it without anyone typing it."""
    values: dict[str, Any] = {n: int(chosen[n]) for n in CHOSEN_FIELDS}
    values["rulesHash"] = rules_hash(program)
    values["powerHash"] = power_hash_of(program, values["power"])
    return message(values)


def message(values: Mapping[str, Any]) -> dict[str, Any]:
    """The `message` entry: exactly the Operation fields, in order (a missing one is a bug);
    integers as integers, `bytes32` as 0x-prefixed hex."""
    return {n: str(values[n]) if t == "bytes32" else int(values[n])
            for n, t in OPERATION_FIELDS}


def typed_data(program: Program, chain_id: int, guard: str,
               values: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    """The complete `eth_signTypedData_v4` JSON of one operation on one guard (`name`: the
    domain's, when the guard's contract chose another than `<Protocol>Guard`)."""
    return {
        "types": {
            DOMAIN_TYPE: [{"name": n, "type": t} for n, t in DOMAIN_FIELDS],
            **message_types(),
        },
        "primaryType": PRIMARY_TYPE,
        "domain": domain(program, chain_id, guard, name),
        "message": message(values),
    }


def message_tuple(msg: Mapping[str, Any]) -> tuple[int, ...]:
    """The ABI tuple of `execute(op, ...)`, `queue` and `executeQueued`: the call fields."""
    return tuple(int(msg[n]) for n, _ in CALL_FIELDS)


# how the guard encodes each field in `operationHash` and in the domain separator
_ENCODED = {"rulesHash": "OPERATION_RULES_HASH", "powerHash": "_powerHash(op.power)"}


def solidity_view(program: Program) -> dict[str, Any]:
    """What the guard templates lay out: struct members, the typehash string, encoded fields,
    the rules hash and each power's hash (the domain is OpenZeppelin's `EIP712`)."""
    return {
        "rules_text_hash": rules_text_hash(program),
        "power_hashes": [(w.id, power_hash(w)) for w in program.powers],
        "struct_fields": [f"{t} {n};" for n, t in CALL_FIELDS],
        "operation_type": type_string(PRIMARY_TYPE, OPERATION_FIELDS),
        "encoded_fields": ", ".join(_ENCODED.get(n, f"op.{n}") for n, _ in OPERATION_FIELDS),
        "version": DOMAIN_VERSION,
    }
