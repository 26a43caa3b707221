"""Compile Solidity with the pinned solcjs (npm `solc`, 0.8.37) through `node`, offline.

One function does the work: `compile_sources(sources)` builds a standard-JSON input (EVM
version `prague`, optimizer on with fixed runs, no metadata hash so the bytecode is
deterministic), runs `node` on it, and returns every contract's ABI, bytecode and storage
layout together with solc's errors and warnings as data. Results are cached in-process by the
hash of the input.

The compiler is found in `node_modules/solc` of the repository (or the directory named by the
environment variable `INTERLOCK_SOLCJS`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from interlock.compiler.codehash import CodeFingerprint

SOLC_VERSION = "0.8.37"
EVM_VERSION = "prague"
OPTIMIZER_RUNS = 200
APPEND_CBOR = False  # no metadata tail: the runtime code is a function of the sources alone

_NODE_SCRIPT = r"""
const solc = require(process.argv[1]);
let data = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { data += c; });
process.stdin.on('end', () => {
  const output = JSON.parse(solc.compile(data));
  process.stdout.write(JSON.stringify({version: solc.version(), output: output}));
});
"""


class SolcError(Exception):
    """solc could not be run, or the sources did not compile (see `messages`)."""

    def __init__(self, message: str, messages: tuple[SolcMessage, ...] = ()) -> None:
        super().__init__(message)
        self.messages = messages


@dataclass(frozen=True)
class SolcMessage:
    severity: Literal["error", "warning", "info"]
    kind: str  # solc's `type`: ParserError, TypeError, Warning, ...
    message: str
    formatted: str  # solc's formatted message with the source line
    file: str = ""  # the source file it points into ("" when none)

    @property
    def in_dependency(self) -> bool:
        """Whether it is about an npm package's file (OpenZeppelin's), not ours: solc's one
        warning there, EIP-1153's on `TransientSlot`'s `tstore`, is explained in docs/guard.md."""
        return self.file.startswith("@")


@dataclass(frozen=True)
class StorageVar:
    """One persistent state variable of solc's `storageLayout` (transient ones are not in it)."""

    contract: str  # "file:name" of the contract laid out (not of the base that declares it)
    ast_id: int  # the declaration: the same id in the layout of every contract inheriting it
    label: str
    slot: int
    offset: int  # byte offset inside the slot
    type: str  # solc's type id, e.g. "t_uint256"


@dataclass(frozen=True)
class CompiledContract:
    source: str  # the file name in the input
    name: str
    abi: list[dict[str, Any]]
    bytecode: str  # creation code, 0x-prefixed
    deployed_bytecode: str  # runtime code, 0x-prefixed
    source_map: str = ""  # solc's source map of the runtime code (compiler/codesize.py)
    # where the constructor writes each immutable into the runtime code: {ast id: [{start,
    # length}]} (compiler/codehash.py masks them)
    immutable_references: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    # the sequential state variables, its own and its bases', in slot order (an output
    # selection only: asking for it changes no bytecode)
    storage_layout: tuple[StorageVar, ...] = ()

    @property
    def fingerprint(self) -> CodeFingerprint:
        """The runtime code with its immutables masked, as the monitor compares it."""
        return CodeFingerprint.of_compiled(self.deployed_bytecode, self.immutable_references,
                                           with_metadata=APPEND_CBOR)


@dataclass(frozen=True)
class CompileResult:
    version: str
    contracts: dict[str, CompiledContract]  # keyed by contract name (and "file:name")
    messages: tuple[SolcMessage, ...] = field(default=())
    sources: dict[str, str] = field(default_factory=dict)  # the input: file name -> text
    source_ids: dict[str, int] = field(default_factory=dict)  # solc's file ids (source maps)

    @property
    def errors(self) -> tuple[SolcMessage, ...]:
        return tuple(m for m in self.messages if m.severity == "error")

    @property
    def warnings(self) -> tuple[SolcMessage, ...]:
        """Warnings about our sources (not about an imported npm package's files)."""
        return tuple(m for m in self.messages if m.severity == "warning" and not m.in_dependency)

    def contract(self, name: str) -> CompiledContract:
        try:
            return self.contracts[name]
        except KeyError:
            raise KeyError(f"no contract `{name}` in the compiled sources") from None


_CACHE: dict[str, CompileResult] = {}


def find_solcjs() -> Path:
    """The `node_modules/solc` directory to use (raises `SolcError` when there is none)."""
    env = os.environ.get("INTERLOCK_SOLCJS")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    candidates += [p / "node_modules" / "solc" for p in (Path.cwd(), *here.parents)]
    for c in candidates:
        if (c / "soljson.js").is_file():
            return c
    raise SolcError("solcjs not found: run `npm ci` in the repository (node_modules/solc)")


def standard_input(sources: Mapping[str, str], *, runs: int = OPTIMIZER_RUNS) -> dict[str, Any]:
    """The standard-JSON input for `sources` (file name -> text)."""
    return {
        "language": "Solidity",
        "sources": {name: {"content": sources[name]} for name in sorted(sources)},
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": runs},
            "metadata": {"bytecodeHash": "none", "appendCBOR": APPEND_CBOR},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object",
                                            "evm.deployedBytecode.object",
                                            "evm.deployedBytecode.sourceMap",
                                            "evm.deployedBytecode.immutableReferences",
                                            "storageLayout"]}},
        },
    }


def run_standard_json(input_json: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Run solcjs on a standard-JSON input; returns (version, output)."""
    node = shutil.which("node")
    if node is None:
        raise SolcError("node not found on PATH (needed to run solcjs)")
    proc = subprocess.run(
        [node, "-e", _NODE_SCRIPT, str(find_solcjs())],
        input=json.dumps(input_json),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise SolcError(f"solcjs failed: {proc.stderr.strip()[:2000]}")
    data = json.loads(proc.stdout)
    return str(data["version"]), dict(data["output"])


def compile_sources(
    sources: Mapping[str, str], *, runs: int = OPTIMIZER_RUNS, allow_warnings: bool = True
) -> CompileResult:
    """Compile `sources` and the npm files they import (`solc_imports.with_imports`, e.g.
    OpenZeppelin's); raise `SolcError` on any error (or warning unless allowed)."""
    from interlock.compiler.solc_imports import with_imports  # it imports this module

    sources = with_imports(sources)
    input_json = standard_input(sources, runs=runs)
    key = hashlib.sha256(json.dumps(input_json, sort_keys=True).encode()).hexdigest()
    result = _CACHE.get(key)
    if result is None:
        version, output = run_standard_json(input_json)
        result = _parse_output(version, output, dict(sources))
        _CACHE[key] = result
    if result.errors:
        raise SolcError(_summary(result.errors), result.messages)
    if result.warnings and not allow_warnings:
        raise SolcError(_summary(result.warnings), result.messages)
    return result


def _summary(messages: tuple[SolcMessage, ...]) -> str:
    return "solc: " + "\n".join(m.formatted or m.message for m in messages)


def _parse_output(
    version: str, output: Mapping[str, Any], sources: dict[str, str]
) -> CompileResult:
    messages = tuple(
        SolcMessage(
            severity=e.get("severity", "error"),
            kind=e.get("type", ""),
            message=e.get("message", ""),
            formatted=e.get("formattedMessage", ""),
            file=e.get("sourceLocation", {}).get("file", ""),
        )
        for e in output.get("errors", ())
    )
    contracts: dict[str, CompiledContract] = {}
    for file_name in sorted(output.get("contracts", {})):
        for name, c in sorted(output["contracts"][file_name].items()):
            cc = CompiledContract(
                source=file_name,
                name=name,
                abi=c.get("abi", []),
                bytecode="0x" + c["evm"]["bytecode"]["object"],
                deployed_bytecode="0x" + c["evm"]["deployedBytecode"]["object"],
                source_map=c["evm"]["deployedBytecode"].get("sourceMap", ""),
                immutable_references=c["evm"]["deployedBytecode"].get(
                    "immutableReferences", {}),
                storage_layout=_storage_layout(c.get("storageLayout", {})),
            )
            contracts[f"{file_name}:{name}"] = cc
            contracts.setdefault(name, cc)
    ids = {name: int(s["id"]) for name, s in output.get("sources", {}).items()}
    return CompileResult(version, contracts, messages, sources, ids)


def _storage_layout(layout: Mapping[str, Any]) -> tuple[StorageVar, ...]:
    return tuple(
        StorageVar(contract=v["contract"], ast_id=int(v["astId"]), label=v["label"],
                   slot=int(v["slot"]), offset=int(v["offset"]), type=v["type"])
        for v in layout.get("storage", ())
    )
