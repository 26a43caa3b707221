"""The operation file: one proposed use of a power, its EIP-712 typed data and its signatures.

    {"format": "interlock-operation/1", "protocol": "PerpVenue", "rules_sha256": "...",
     "summary": "pause withdrawals for 6h -- power 0 ...", "chain_id": 1, "guard": "0x...",
     "typed_data": {types, domain, primaryType, message}, "signatures": [{signer, address,
     signature}, {"kind": "contract", signer, address, signature}]}

`typed_data` is exactly what `eth_signTypedData_v4` (or `cast wallet sign --data --from-file`
on the extracted JSON) signs. `check_file` holds a file to the rules it names: the typed data
must be `compiler.eip712.typed_data` of its own message and the summary `describe.summary` of
it; every signature must recover to a distinct signer of the rules. The JSON Schema is
`docs/operation.schema.json` (`file_json_schema`).

Version 2 adds contract signers' EIP-1271 signatures (`"kind": "contract"` entries, checked on
chain by `contract_sigs`). A file is written as version 1 while it holds none, so an older
Interlock still reads (and signs) every file it could express; version 1 files are read as
they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from interlock.compiler import eip712
from interlock.ir.nodes import Program
from interlock.operations.describe import UnknownPower, power_of, summary

FORMAT_V1: Literal["interlock-operation/1"] = "interlock-operation/1"
FORMAT_V2: Literal["interlock-operation/2"] = "interlock-operation/2"
SCHEMA_ID = "https://interlock.dev/schema/operation-v2.json"
HEX_SIG = r"^0x[0-9a-fA-F]{130}$"
HEX_BYTES = r"^0x([0-9a-fA-F]{2})+$"
ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class OpFileError(Exception):
    """The operation file is unreadable or does not hold what it claims (message says why)."""


class SignatureEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    signer: str = Field(description="the signer's name in the rules")
    address: str = Field(pattern=ADDRESS, description="the address the signature recovers to")
    signature: str = Field(pattern=HEX_SIG, description="65 bytes r || s || v, low-s, v 27/28")


class ContractSignatureEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["contract"] = Field(description="an EIP-1271 signature of a signer that is a "
                                      "contract (a Safe); format 2")
    signer: str = Field(description="the signer's name in the rules")
    address: str = Field(pattern=ADDRESS, description="the contract: the signer's address")
    signature: str = Field(pattern=HEX_BYTES, description=(
        "what the contract's `isValidSignature(digest, signature)` accepts (a Safe: its "
        "owners' 65-byte signatures of its SafeMessage hash, by increasing owner address); "
        "checked on chain, the guard gets `address || signature`"))


Entry = SignatureEntry | ContractSignatureEntry


def _message_field(sol_type: str) -> dict[str, Any]:
    """JSON Schema of one Operation field: bytes32 as 0x-hex, every other type an integer."""
    if sol_type == "bytes32":
        return {"type": "string", "pattern": "^0x[0-9a-f]{64}$"}
    return {"type": "integer"}


class OperationFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    format: Literal["interlock-operation/1", "interlock-operation/2"] = FORMAT_V1
    protocol: str
    rules_sha256: str = Field(description="sha256 of the rule file the power ids refer to")
    summary: str = Field(description="what the typed data signs, in words")
    chain_id: int
    guard: str = Field(pattern=ADDRESS)
    typed_data: dict[str, Any] = Field(description="eth_signTypedData_v4 JSON", json_schema_extra={
        "required": ["types", "primaryType", "domain", "message"],
        "additionalProperties": False,
        "properties": {
            "types": {"type": "object", "additionalProperties": {"type": "array", "items": {
                "type": "object", "required": ["name", "type"],
                "properties": {"name": {"type": "string"}, "type": {"type": "string"}}}}},
            "primaryType": {"const": eip712.PRIMARY_TYPE},
            "domain": {"type": "object"},
            "message": {"type": "object", "required": [n for n, _ in eip712.OPERATION_FIELDS],
                        "additionalProperties": False,
                        "properties": {n: _message_field(t) for n, t in eip712.OPERATION_FIELDS}},
        }})
    signatures: tuple[Entry, ...] = ()

    @model_validator(mode="after")
    def _contract_signatures_need_v2(self) -> OperationFile:
        if self.format == FORMAT_V1 and any(isinstance(e, ContractSignatureEntry)
                                            for e in self.signatures):
            raise ValueError(f"a contract signature needs format `{FORMAT_V2}`")
        return self

    def with_signatures(self, entries: tuple[Entry, ...]) -> OperationFile:
        """The same operation with `entries`, in the lowest format that holds them."""
        contract = any(isinstance(e, ContractSignatureEntry) for e in entries)
        return self.model_copy(update={"signatures": entries,
                                       "format": FORMAT_V2 if contract else FORMAT_V1})

    @property
    def message(self) -> dict[str, Any]:
        msg = self.typed_data.get("message")
        return msg if isinstance(msg, dict) else {}


def file_json_schema() -> dict[str, Any]:
    schema = OperationFile.model_json_schema(mode="serialization")
    return {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_ID, "title": "Interlock operation file v2 (reads v1)"}


def file_json_schema_text() -> str:
    return json.dumps(file_json_schema(), indent=2, sort_keys=True) + "\n"


def new_file(program: Program, chain_id: int, guard: str, chosen: dict[str, int],
             domain_name: str | None = None) -> OperationFile:
    """A new operation from the proposer's `eip712.CHOSEN_FIELDS` (power, targets, ...), in the
    domain named `domain_name` (default `<Protocol>Guard`; a contract inheriting the guard
    signs under its own `EIP712` name)."""
    td = eip712.typed_data(program, chain_id, guard, eip712.operation_message(program, chosen),
                           domain_name)
    return OperationFile(protocol=program.protocol, rules_sha256=program.source_sha256,
                         summary=summary(program, td["message"]), chain_id=chain_id,
                         guard=guard, typed_data=td)


def load(path: str | Path) -> OperationFile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise OpFileError(f"cannot read `{path}`: {exc.strerror or exc}") from exc
    try:
        return OperationFile.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise OpFileError(f"`{path}` is not an operation file: {where}: {first['msg']}") from exc


def dump(f: OperationFile) -> str:
    return json.dumps(f.model_dump(mode="json"), indent=2) + "\n"


def save(f: OperationFile, path: str | Path) -> None:
    Path(path).write_text(dump(f), encoding="utf-8")


def domain_name(f: OperationFile) -> str | None:
    """The domain name the file's typed data states (the guard's contract checks it: a wrong
    one makes every signature recover to no signer)."""
    domain = f.typed_data.get("domain")
    name = domain.get("name") if isinstance(domain, dict) else None
    return name if isinstance(name, str) else None


def check_file(program: Program, f: OperationFile) -> None:
    """Raise `OpFileError` unless `f` is a faithful operation of `program` (see module doc)."""
    if f.protocol != program.protocol or f.rules_sha256 != program.source_sha256:
        raise OpFileError(
            f"the operation was proposed for {f.protocol}'s rules with sha256 "
            f"{f.rules_sha256[:12]}..., the build holds {program.protocol}'s rules with sha256 "
            f"{program.source_sha256[:12]}...: power ids may differ, propose it again")
    try:
        power_of(program, int(f.message["power"]))  # before the derived powerHash is compared
        msg = eip712.operation_message(program, f.message)
        expected = eip712.typed_data(program, f.chain_id, f.guard, msg, domain_name(f))
    except UnknownPower as exc:
        raise OpFileError(str(exc)) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise OpFileError(f"the typed data's message is not an Operation: {exc}") from exc
    for key in ("types", "primaryType", "domain", "message"):
        if f.typed_data.get(key) != expected[key]:
            raise OpFileError(f"the typed data's `{key}` is not the guard's (expected "
                              f"{json.dumps(expected[key])}): the file was edited")
    if set(f.typed_data) != set(expected):
        raise OpFileError("the typed data has extra entries: the file was edited")
    meant = summary(program, expected["message"])
    if f.summary != meant:
        raise OpFileError(f"the summary does not say what the typed data signs: the typed "
                          f"data means `{meant}`; the file was edited")
