"""`interlock deploy` and the build-directory lookups `interlock monitor` shares with it.

A build directory (written by `interlock build`) holds, per protocol NAME, `NAME.ir.json` (the
checked rules) and `NAMEGuard.json` (ABI and creation bytecode). `deploy_guard` sends the
creation transaction signed with the deployer key, waits for it, and records the address in
`NAME.deployment.json` (by chain id), which `interlock monitor` falls back to when `--guard` is
not given.

The guard's addresses are its constructor's arguments: the rule file's, or those an address file
gives for the node's chain (`--addresses`, `runtime.address_file`; E0602-E0604 refuse it,
`AddressFileError`). The record keeps every address used (`addresses`, key -> address), the
address file's path and sha256, and the signed `rulesHash` those addresses give;
`recorded_program` is the rules as deployed, which the monitor and `op` use.

Before sending anything it refuses (`DeployRefused`; `force` turns each refusal into a warning):
a build whose proof report (`NAME.proofs.json`) has a violated property (a `build --force`), and
rule-file contracts (assets, vaults, feeds, references, custom metrics' contracts) that hold no
code on the target chain (a wrong address or the wrong chain: the monitor would only log
`read_failed` later). It always refuses `decimals()` that differ from the rule file's, and warns
about declared signers that are contracts which cannot sign (`signer_probe`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_abi.exceptions import DecodingError
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from interlock.compiler.codehash import CodeFingerprint
from interlock.compiler.eip712 import rules_hash
from interlock.compiler.guard_abi import function
from interlock.ir.addresses import address_keys, constructor_args, with_addresses
from interlock.ir.nodes import Program
from interlock.runtime.abi import call_data, decode_result
from interlock.runtime.address_file import AddressChoice, read_address_file
from interlock.runtime.executor import RpcError
from interlock.runtime.ingest import Node
from interlock.runtime.signer_probe import signer_warnings


class DecimalsError(Exception):
    """A feed's or token's `decimals()` on chain differs from the rule file's."""


class DeployRefused(Exception):
    """The build or the chain is not fit to deploy on; `--force` deploys anyway."""


Warn = Callable[[str], None]


class AddressFileError(Exception):
    """The address file does not fit the rules on this chain (`choice.diagnostics` say why)."""

    def __init__(self, choice: AddressChoice) -> None:
        super().__init__(f"`{choice.path}` cannot be used on chain {choice.chain_id}")
        self.choice = choice


class BuildDirError(Exception):
    """The build directory does not hold what the command needs (message says what)."""


@dataclass(frozen=True)
class BuiltProtocol:
    program: Program
    ir_path: Path
    guard_artifact: Path
    deployment_record: Path


def find_protocol(build_dir: str | Path, protocol: str | None = None) -> BuiltProtocol:
    root = Path(build_dir)
    if not root.is_dir():
        raise BuildDirError(f"`{root}` is not a directory (run `interlock build -o {root}`)")
    irs = sorted(root.glob("*.ir.json"))
    names = [p.name[: -len(".ir.json")] for p in irs]
    if protocol is None:
        if len(names) != 1:
            found = ", ".join(f"`{n}`" for n in names) or "none"
            raise BuildDirError(f"`{root}` holds protocols {found}: choose one with --protocol")
        protocol = names[0]
    if protocol not in names:
        raise BuildDirError(f"`{root}` holds no build of `{protocol}`")
    ir_path = root / f"{protocol}.ir.json"
    try:
        program = Program.model_validate_json(ir_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BuildDirError(f"cannot read `{ir_path}`: {exc}") from exc
    return BuiltProtocol(program, ir_path, root / f"{protocol}Guard.json",
                         root / f"{protocol}.deployment.json")


@dataclass(frozen=True)
class Deployment:
    protocol: str
    chain_id: int
    address: str
    tx_hash: str
    block: int
    deployer: str
    warnings: tuple[str, ...] = ()  # signers that cannot sign (`runtime.signer_probe`)
    code_hash: str | None = None  # of the deployed runtime code, immutables masked (codehash)
    addresses: dict[str, str] | None = None  # key -> address the guard and monitor use
    rules_hash: str | None = None  # every operation's signed `rulesHash` on this guard
    address_file: str | None = None  # `--addresses`, and its sha256
    address_file_sha256: str | None = None


def built_guard_code(built: BuiltProtocol) -> CodeFingerprint | None:
    """The build's guard runtime code (`codeFingerprint` of `NAMEGuard.json`); None for a
    build made before it was recorded."""
    try:
        artifact = json.loads(built.guard_artifact.read_text(encoding="utf-8"))
        data = artifact.get("codeFingerprint")
        return CodeFingerprint.from_json(data) if data else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BuildDirError(f"cannot read `{built.guard_artifact}`: {exc}") from exc


def _records(path: Path) -> dict[str, Any]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def recorded_program(built: BuiltProtocol, guard: str | None = None,
                     chain_id: int | None = None) -> Program:
    """`program_as_deployed` of the build directory's rules and deployment file."""
    return program_as_deployed(built.program, built.deployment_record, guard, chain_id)


def program_as_deployed(program: Program, record: Path, guard: str | None = None,
                        chain_id: int | None = None) -> Program:
    """The rules as the guard recorded for `chain_id` (or at `guard`, or the only one recorded)
    was deployed: the rule file's with the addresses the deployment chose. Without a matching
    record, the rule file's (the monitor then checks the guard has those)."""
    entries = list(_records(record).items())
    if chain_id is not None:
        entries = [(c, e) for c, e in entries if c == str(chain_id)]
    if guard is not None:
        entries = [(c, e) for c, e in entries if str(e.get("address", "")).lower() == guard.lower()]
    if len(entries) != 1 or not isinstance(entries[0][1].get("addresses"), dict):
        return program
    return with_addresses(program, {str(k): str(v)
                                          for k, v in entries[0][1]["addresses"].items()})


def deployed_chains(record: Path, guard: str) -> frozenset[int]:
    """The chain ids on which the deployment record `record` has the guard at `guard` (empty:
    none recorded)."""
    return frozenset(int(c) for c, e in _records(record).items()
                     if c.isdigit() and isinstance(e, dict)
                     and str(e.get("address", "")).lower() == guard.lower())


def recorded_guard(built: BuiltProtocol, chain_id: int | None = None) -> str | None:
    """The guard address recorded for `chain_id` (or the only one recorded)."""
    records = _records(built.deployment_record)
    if chain_id is not None:
        entry = records.get(str(chain_id))
        return str(entry["address"]) if entry else None
    return str(next(iter(records.values()))["address"]) if len(records) == 1 else None


def _record(built: BuiltProtocol, dep: Deployment) -> None:
    records = _records(built.deployment_record)
    records[str(dep.chain_id)] = asdict(dep)
    built.deployment_record.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n",
                                       encoding="utf-8")


def deploy_guard(built: BuiltProtocol, rpc: str, account: LocalAccount,
                 timeout_s: float = 120.0, *, force: bool = False,
                 warn: Warn | None = None, addresses: str | Path | None = None) -> Deployment:
    try:
        artifact = json.loads(built.guard_artifact.read_text(encoding="utf-8"))
        bytecode = str(artifact["bytecode"])
    except (OSError, ValueError, KeyError) as exc:
        raise BuildDirError(f"cannot read `{built.guard_artifact}`: {exc}") from exc
    gate = _Gate(force, warn)
    violated = proof_violations(built)
    if violated:
        gate.refuse(f"the build's proof report shows violated properties: "
                    f"{', '.join(violated)} (it was built with --force): the guard does not "
                    f"guarantee them")
    dep = asyncio.run(_deploy(rpc, account, bytecode, built.program, timeout_s, gate,
                              built_guard_code(built), addresses))
    _record(built, dep)
    return dep


@dataclass(frozen=True)
class _Gate:
    force: bool
    warn: Warn | None

    def refuse(self, why: str) -> None:
        if not self.force:
            raise DeployRefused(f"{why}; --force deploys anyway")
        if self.warn is not None:
            self.warn(why)


def proof_violations(built: BuiltProtocol) -> list[str]:
    """The names of the violated properties in the build's proof report."""
    path = built.ir_path.with_name(built.ir_path.name.replace(".ir.json", ".proofs.json"))
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        return [str(p["name"]) for p in report["properties"] if p.get("status") == "violated"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BuildDirError(f"cannot read the proof report `{path}`: {exc}") from exc


def code_targets(program: Program) -> list[tuple[str, str]]:
    """(what, address) of every contract of the rule file the guard or the monitor calls."""
    out = [(what, address) for what, address, _ in decimals_targets(program)]
    out += [(f"vault `{v.name}`", v.address) for v in program.vaults]
    out += [(f"the contract of metric `{m.name}`", m.address) for m in program.metrics]
    return out


async def _check_code(node: Node, program: Program, chain_id: int, gate: _Gate) -> None:
    targets = code_targets(program)
    codes = await node.batch([("eth_getCode", [a, "latest"]) for _, a in targets])
    empty = [f"{what} at {address}" for (what, address), code in zip(targets, codes, strict=True)
             if not isinstance(code, BaseException) and str(code or "0x") == "0x"]
    if empty:
        gate.refuse(f"no code on chain {chain_id} at {'; '.join(empty)} (a wrong address or "
                    f"the wrong chain: the guard's reads of them would fail)")


def decimals_targets(program: Program) -> list[tuple[str, str, int]]:
    """(what, address, decimals the rule file declares) for every token, feed and reference:
    the guard's constructor checks the same list (compiler/solidity_view._decimals_checks)."""
    out = [(f"asset `{a.name}`", a.address, a.decimals) for a in program.assets]
    for f in program.feeds:
        out.append((f"feed `{f.name}`", f.address, f.decimals))
        if f.reference is not None:
            out.append((f"the reference of feed `{f.name}`", f.reference, f.decimals))
    return out


async def _check_decimals(node: Node, program: Program) -> None:
    """Refuse to deploy (before sending anything) when a `decimals()` read differs."""
    fn = function("decimals")
    for what, address, expected in decimals_targets(program):
        try:
            raw = await node.request("eth_call", [
                {"to": address, "data": "0x" + call_data(fn).hex()}, "latest"])
            (actual,) = decode_result(fn, bytes.fromhex(str(raw).removeprefix("0x")))
        except (RpcError, ValueError, TypeError, DecodingError) as exc:
            raise DecimalsError(f"cannot read `decimals()` of {what} at {address}: {exc}") from exc
        if int(actual) != expected:
            raise DecimalsError(f"{what} at {address} has {actual} decimals on chain, the rule "
                                f"file says {expected}: the guard would misread it")


def _choose(program: Program, path: str | Path | None, chain_id: int,
            warn: Warn | None) -> tuple[Program, AddressChoice | None]:
    """The program with the address file's choices for `chain_id` (the rule file's without)."""
    if path is None:
        return program, None
    choice = read_address_file(path, program, chain_id)
    if not choice.ok:
        raise AddressFileError(choice)
    for d in choice.diagnostics:
        if warn is not None:
            warn(f"{d.span.file}:{d.span.line}:{d.span.column}: {d.code}: {d.message}")
    return with_addresses(program, choice.chosen), choice


def creation_code(bytecode: str, program: Program) -> str:
    """The creation transaction's data: the bytecode and the `GuardAddresses` argument."""
    args = constructor_args(program)
    if not args:
        return bytecode
    tuple_type = "(" + ",".join("address" for _ in args[0]) + ")"
    return bytecode + encode([tuple_type], list(args)).hex()


async def _deploy(rpc: str, account: LocalAccount, bytecode: str, rules: Program,
                  timeout_s: float, gate: _Gate, code: CodeFingerprint | None,
                  addresses: str | Path | None) -> Deployment:
    protocol = rules.protocol
    node = Node(rpc, timeout_s=30)
    await node.connect()
    try:
        chain_id = int(await node.request("eth_chainId", []), 16)
        program, choice = _choose(rules, addresses, chain_id, gate.warn)
        bytecode = creation_code(bytecode, program)
        await _check_decimals(node, program)  # never forced: the constructor would revert
        await _check_code(node, program, chain_id, gate)
        warnings = tuple(await signer_warnings(node, program))
        nonce = int(await node.request("eth_getTransactionCount",
                                       [account.address, "pending"]), 16)
        gas = int(await node.request("eth_estimateGas",
                                     [{"from": account.address, "data": bytecode}]), 16)
        block = await node.request("eth_getBlockByNumber", ["latest", False])
        base_fee = int(block.get("baseFeePerGas", "0x0"), 16)
        tx: dict[str, Any] = {
            "type": 2, "chainId": chain_id, "nonce": nonce, "data": bytecode, "value": 0,
            "gas": gas * 6 // 5, "maxPriorityFeePerGas": 10**9,
            "maxFeePerGas": 2 * base_fee + 10**9,
        }
        signed = account.sign_transaction(tx)
        tx_hash = await node.request("eth_sendRawTransaction",
                                     ["0x" + bytes(signed.raw_transaction).hex()])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            receipt = await node.request("eth_getTransactionReceipt", [tx_hash])
            if receipt:
                if int(receipt["status"], 16) != 1 or not receipt.get("contractAddress"):
                    raise RpcError("deploy", "the creation transaction reverted")
                address = to_checksum_address(receipt["contractAddress"])
                deployed = str(await node.request("eth_getCode", [address, "latest"]))
                mismatch = code.mismatch(deployed) if code else None
                if mismatch:  # the monitor of this build would refuse to watch it
                    warnings += (f"the deployed code is not the build's guard: {mismatch}",)
                return Deployment(
                    protocol, chain_id, address, str(tx_hash), int(receipt["blockNumber"], 16),
                    account.address, warnings,
                    code_hash=code.hash if code and not mismatch else None,
                    addresses=address_keys(program), rules_hash=rules_hash(program),
                    address_file=choice.path if choice else None,
                    address_file_sha256=choice.sha256 if choice else None)
            await asyncio.sleep(0.1)
        raise RpcError("deploy", f"not mined within {timeout_s:g}s: {tx_hash}")
    finally:
        await node.close()
