"""An operation file against a deployed guard: where it stands, simulate, send.

Before anything is sent, `open_guard` checks that the node is the file's chain, that the guard
has code there and that its `operationHash` of the file's message equals the digest the signers
signed (so the domain and the `Operation` type agree). `plan` picks `execute`, `queue` or
`executeQueued` from the power's timelock and the queue; `simulate` runs it with `eth_call` and
turns a revert into the guard's sentence; `send` signs with the submitter's key and reports the
guard's events (a pause its scope's `gap` refused is reported, not hidden).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.logs import DISCARD
from web3.types import RPCEndpoint

from interlock.compiler import eip712
from interlock.ir.nodes import Program
from interlock.operations.describe import fmt_time, power_of
from interlock.operations.errors import decode_revert, event_signature, refused_pauses
from interlock.operations.opfile import OperationFile
from interlock.operations.signing import ordered_signatures

RECEIPT_TIMEOUT_S = 120


class ChainError(Exception):
    """The node or the guard is not what the operation needs; nothing was sent."""


class Refused(Exception):
    """The guard would refuse (or refused) the operation; `sentence` says why."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


@dataclass(frozen=True)
class Guard:
    w3: Web3
    contract: Any  # web3 contract over the compiled ABI
    program: Program
    abi: list[dict[str, Any]]

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def domain_name(self) -> str:
        """The `name` of the contract's EIP-712 domain (EIP-5267 `eip712Domain()`): a protocol
        inheriting the guard signs under its own `EIP712` name."""
        try:
            return str(self.contract.functions.eip712Domain().call()[1])
        except Exception as exc:  # a contract without EIP-5267 reverts or returns nothing
            raise ChainError(f"the contract at {self.contract.address} has no "
                             f"`eip712Domain()`: give --domain-name") from exc


def read_abi(artifact: Path) -> list[dict[str, Any]]:
    try:
        abi = json.loads(artifact.read_text(encoding="utf-8"))["abi"]
    except (OSError, ValueError, KeyError) as exc:
        raise ChainError(f"cannot read the guard's ABI from `{artifact}`: {exc}") from exc
    return list(abi)


def connect(program: Program, abi: list[dict[str, Any]], rpc: str, address: str) -> Guard:
    if not rpc.startswith(("http://", "https://")):
        raise ChainError(f"`{rpc}`: operation commands need an http(s):// node URL")
    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 30}))
    try:
        code = w3.eth.get_code(Web3.to_checksum_address(address))
    except Exception as exc:  # requests/web3 raise many types for an unreachable node
        raise ChainError(f"cannot reach the node at {rpc}: {exc}") from exc
    if not code:
        raise ChainError(f"no contract at {address} on the node at {rpc}")
    contract = w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)
    return Guard(w3, contract, program, abi)


def digest(f: OperationFile) -> bytes:
    return bytes(_hash_eip191_message(encode_typed_data(full_message=f.typed_data)))


def open_guard(program: Program, abi: list[dict[str, Any]], rpc: str,
               f: OperationFile) -> Guard:
    """The file's guard on the node at `rpc`, after checking it is the one the file is for."""
    g = connect(program, abi, rpc, f.guard)
    chain_id = int(g.w3.eth.chain_id)
    if chain_id != f.chain_id:
        raise ChainError(f"the operation is for chain {f.chain_id}, the node at {rpc} is "
                         f"chain {chain_id}")
    try:
        on_chain = bytes(g.contract.functions.operationHash(op_tuple(f)).call())
    except Exception as exc:  # a contract without `operationHash` reverts or returns nothing
        raise ChainError(f"the contract at {f.guard} is not an Interlock guard: "
                         "nothing sent") from exc
    if on_chain != digest(f):
        raise ChainError(f"the guard at {f.guard} computes another digest for this operation "
                         "(another protocol, rules version or domain): nothing sent")
    return g


def op_tuple(f: OperationFile) -> tuple[int, ...]:
    return eip712.message_tuple(f.message)


@dataclass(frozen=True)
class QueueState:
    nonce_used: bool
    eta: int | None  # when queued: the earliest execution time


def queue_state(g: Guard, f: OperationFile) -> QueueState:
    fns = g.contract.functions
    eta = int(fns.queuedAt(digest(f)).call())
    role = eip712.nonce_role(g.program, int(f.message["power"]))
    return QueueState(bool(fns.nonceUsed(role, int(f.message["nonce"])).call()), eta or None)


def plan(g: Guard, f: OperationFile) -> tuple[str, tuple[Any, ...]]:
    """(guard method, arguments) that moves the operation forward."""
    power = power_of(g.program, int(f.message["power"]))
    if power.delay == 0:
        return "execute", (op_tuple(f), ordered_signatures(f))
    if queue_state(g, f).eta is None:
        return "queue", (op_tuple(f), ordered_signatures(f))
    return "executeQueued", (op_tuple(f),)


def simulate(g: Guard, method: str, args: tuple[Any, ...], sender: str) -> None:
    data = g.contract.encode_abi(method, args=list(args))
    call = {"from": sender, "to": g.contract.address, "data": data}
    reply = g.w3.provider.make_request(RPCEndpoint("eth_call"), [call, "latest"])
    error = reply.get("error")
    if error:
        revert = error.get("data") if isinstance(error, dict) else None
        if isinstance(revert, dict):  # some nodes nest it
            revert = revert.get("data")
        if isinstance(revert, str) and revert.startswith("0x"):
            raise Refused(decode_revert(g.program, g.abi, revert))
        raise ChainError(f"the simulation failed: {error}")


def predicted_refusals(g: Guard, method: str, args: tuple[Any, ...],
                       sender: str) -> tuple[str, ...]:
    """Pauses the call would have its scopes' `gap` refuse (`PauseRefused` in the simulated
    logs, via `eth_simulateV1`); () when the node cannot simulate with logs."""
    data = g.contract.encode_abi(method, args=list(args))
    call = {"from": sender, "to": g.contract.address, "data": data}
    reply = g.w3.provider.make_request(
        RPCEndpoint("eth_simulateV1"), [{"blockStateCalls": [{"calls": [call]}]}, "latest"])
    try:
        logs = reply["result"][0]["calls"][0].get("logs", [])
    except (KeyError, IndexError, TypeError):
        return ()
    topic = "0x" + keccak(text=event_signature(g.abi, "PauseRefused")).hex()
    scopes = [int(log["topics"][1], 16) for log in logs
              if log.get("topics") and log["topics"][0].lower() == topic
              and log.get("address", "").lower() == g.contract.address.lower()]
    return tuple(refused_pauses(g.program, scopes))


@dataclass(frozen=True)
class Sent:
    tx_hash: str
    block: int
    notes: tuple[str, ...]  # what the guard's events say happened
    refusals: tuple[str, ...]  # effects the guard refused without reverting


GAS_MARGIN = 25_000  # on top of 25% of the estimate


def send(g: Guard, method: str, args: tuple[Any, ...], account: LocalAccount) -> Sent:
    fn = getattr(g.contract.functions, method)(*args)
    try:
        estimate = int(fn.estimate_gas({"from": account.address}))
        tx = fn.build_transaction({
            "from": account.address, "chainId": int(g.w3.eth.chain_id),
            "nonce": g.w3.eth.get_transaction_count(account.address, "pending"),
            # the estimate is made at the latest block's time; the guard's cost depends on the
            # time it is mined at (a pause clamped or not, a window rolled): without a margin a
            # `pause *` ran out of gas in `interlock drill`
            "gas": estimate * 5 // 4 + GAS_MARGIN,
        })
        tx_hash = g.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    except Exception as exc:  # the node refused it (funds, fees, nonce): web3 raises many types
        raise Refused(f"the node did not accept the transaction from {account.address}: "
                      f"{exc}") from exc
    try:
        receipt = g.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_S)
    except Exception as exc:  # a time-out or a lost node: the transaction may still be mined
        raise ChainError(f"sent {tx_hash.to_0x_hex()} but saw no receipt ({exc}): check it "
                         "with `interlock op status` before sending again") from exc
    if receipt["status"] != 1:
        raise Refused(f"the transaction {tx_hash.to_0x_hex()} reverted on chain (the state "
                      "changed since the simulation): run `interlock op status`")
    return Sent(tx_hash.to_0x_hex(), int(receipt["blockNumber"]), *_events(g, receipt))


def _events(g: Guard, receipt: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ev = g.contract.events
    notes: list[str] = []
    for e in ev.OperationQueued().process_receipt(receipt, errors=DISCARD):
        notes.append(f"queued operation 0x{e.args.opHash.hex()}: it may run from "
                     f"{fmt_time(e.args.eta)}")
    for e in ev.OperationExecuted().process_receipt(receipt, errors=DISCARD):
        notes.append(f"executed operation 0x{e.args.opHash.hex()}")
    for e in ev.OperationCancelled().process_receipt(receipt, errors=DISCARD):
        notes.append(f"cancelled queued operation 0x{e.args.opHash.hex()}")
    refused = [e.args.scope for e in ev.PauseRefused().process_receipt(receipt, errors=DISCARD)]
    return tuple(notes), tuple(refused_pauses(g.program, refused))
