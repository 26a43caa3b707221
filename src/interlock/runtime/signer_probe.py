"""Before a deployment: declared signers that are contracts which cannot sign.

A contract signs for the guard only through EIP-1271 (`isValidSignature(bytes32, bytes)`,
docs/guard.md "Signatures"). A Safe without a fallback handler, a token, a vault or a
timelock declared as `signer` has code but no such function: every signature naming it is a
`BadSignature`, while `interlock check` (which cannot see the chain) counts it as a signer.
It can still approve by calling `execute` or `queue` itself (docs/guard.md, "Contract
callers"), if it can make calls at all: the warning says both. `interlock deploy` therefore
asks each signer that has code, with an empty signature over a probe digest:

- an answer of at least 32 bytes, or a revert *with* data (a Safe: "Hash not approved"): the
  function exists, nothing to say;
- a success with less than 32 bytes, or a revert without data: no `isValidSignature` (an
  empty fallback, no fallback at all): warned.

An address without code is an EOA or a contract not yet deployed (nothing to check); an EIP-7702
delegated account (code `0xef0100 ‖ address`) keeps its key, which signs.
"""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from interlock.ir.nodes import Program
from interlock.runtime.executor import RpcError
from interlock.runtime.ingest import Node

PROBE = keccak(text="interlock: can this contract sign?")
SELECTOR = keccak(text="isValidSignature(bytes32,bytes)")[:4]
DELEGATED = "0xef0100"  # EIP-7702's delegation designator


def probe_call(digest: bytes = PROBE) -> str:
    return "0x" + (SELECTOR + encode(["bytes32", "bytes"], [digest, b""])).hex()


def cannot_sign(code: str, answer: str | None, reverted_with: str | None) -> bool:
    """Whether a signer with runtime `code` that answered the probe so (`answer`: the return
    data of a success; `reverted_with`: the revert data of a failure) lacks EIP-1271."""
    if code in ("", "0x") or code.startswith(DELEGATED):
        return False
    if answer is not None:
        return len(answer.removeprefix("0x")) < 64
    return not (reverted_with or "").removeprefix("0x")


async def signer_warnings(node: Node, program: Program) -> list[str]:
    """One line for each declared signer that is a contract which cannot sign."""
    out = []
    for s in program.signers:
        code = str(await node.request("eth_getCode", [s.address, "latest"]))
        answer: str | None = None
        reverted: str | None = None
        if code not in ("", "0x"):
            try:
                answer = str(await node.request("eth_call", [
                    {"to": s.address, "data": probe_call()}, "latest"]))
            except RpcError as err:
                reverted = err.data if isinstance(err.data, str) else ""
        if cannot_sign(code, answer, reverted):
            out.append(f"signer `{s.name}` at {s.address} is a contract without EIP-1271 "
                       "`isValidSignature`: it cannot sign; it can still approve by calling "
                       "`execute` or `queue` itself, if it can make that call")
    return out
