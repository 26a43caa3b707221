"""Sending decisions to the guard with the agent key: nonces, gas, bounded retries, no duplicates.

A decision becomes `poke(ruleId)`, `trip(ruleId)` or `tripSender(ruleId, sender)`. Before
signing, `eth_estimateGas` runs the call against the latest state: if the guard would revert
(the condition no longer holds on chain, the cooldown is running, a replica already tripped it),
nothing is sent. The transaction is built deterministically from chain data (nonce, estimate,
base fee of the block being processed), so two replicas deciding the same thing at the same block
sign byte-identical transactions and the node keeps one (`already known`). Transport errors are
retried a bounded number of times with backoff; a nonce taken by someone else is re-read.

What an error means is `rpc_errors`' job (a revert is never retried, a rate limit always is);
a send whose reply was lost is looked up by its hash before anything is re-sent (it may have
been mined: then it was sent), and the next nonce skips only those of our own transactions the
node still has (one dropped by a reorg or evicted from the pool leaves its nonce free).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from eth_account.signers.local import LocalAccount

from interlock.compiler.guard_abi import function
from interlock.runtime.abi import call_data
from interlock.runtime.evaluate import Decision
from interlock.runtime.guard_events import decode_revert
from interlock.runtime.keys import KeyLoadError, load_key
from interlock.runtime.rpc_errors import (
    is_already_known,
    is_nonce_taken,
    is_revert,
    is_unfunded,
)

Request = Callable[[str, list[Any]], Awaitable[Any]]
Batch = Callable[[list[tuple[str, list[Any]]]], Awaitable[list[Any]]]
PRIORITY_FEE = 10**9  # 1 gwei
GAS_HEADROOM_NUM, GAS_HEADROOM_DEN = 6, 5  # +20% over the estimate


AgentKeyError = KeyLoadError  # the agent key could not be loaded (the message says why)


def load_agent_key(
    key_env: str | None = None,
    keystore: str | None = None,
    password_env: str | None = None,
) -> LocalAccount:
    """The agent's key from an environment variable, or from an encrypted keystore file whose
    password is in `password_env`."""
    return load_key(keystore=keystore, password_env=password_env, key_env=key_env,
                    what="agent key")


class RpcError(Exception):
    """A JSON-RPC error reply (the node answered, with an error)."""

    def __init__(self, method: str, error: Any) -> None:
        msg = error.get("message", str(error)) if isinstance(error, dict) else str(error)
        super().__init__(f"{method}: {msg}")
        self.method = method
        self.message = str(msg)
        self.data = error.get("data") if isinstance(error, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        self.code = code if isinstance(code, int) else None

    @property
    def is_revert(self) -> bool:
        return is_revert(self.code, self.message, self.data)

    @property
    def reason(self) -> str:
        """A revert decoded with the guard's errors (`RuleCooldown(ruleId=0, ...)`) when the
        reply carries its data, else the node's message."""
        data = self.data if isinstance(self.data, str) and self.data.startswith("0x") else ""
        return decode_revert(bytes.fromhex(data[2:])) if len(data) > 2 else self.message


class SendUnknown(Exception):
    """`eth_sendRawTransaction` got no reply: the node may or may not have the transaction."""

    def __init__(self, tx_hash: str, nonce: int, cause: BaseException) -> None:
        super().__init__(f"no reply to the send of {tx_hash}: {type(cause).__name__}: {cause}")
        self.tx_hash = tx_hash
        self.nonce = nonce


Dropped: TypeAlias = Literal["dropped"]


Status = Literal["sent", "dry-run", "refused", "failed"]


@dataclass(frozen=True)
class SendResult:
    decision: Decision
    status: Status
    reason: str = ""
    tx_hash: str | None = None
    nonce: int | None = None


def calldata(decision: Decision) -> bytes:
    if decision.method in ("poke", "trip"):
        return call_data(function(decision.method), decision.rule_id)
    if decision.method == "tripSender":
        if decision.sender is None:
            raise ValueError("tripSender needs a sender")
        return call_data(function("tripSender"), decision.rule_id, decision.sender)
    raise ValueError(f"no transaction for `{decision.method}`")


_TRANSIENT = (OSError, TimeoutError, asyncio.TimeoutError, ConnectionError)


class Executor:
    def __init__(
        self,
        request: Request,
        guard: str,
        account: LocalAccount | None,
        *,
        dry_run: bool = False,
        max_retries: int = 3,
        backoff_s: float = 0.05,
        simulate_from: str | None = None,
        batch: Batch | None = None,
    ) -> None:
        self.request = request
        self.guard = guard
        self.account = account
        self.dry_run = dry_run or account is None
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.simulate_from = simulate_from  # `from` of the estimate when there is no key
        self.batch = batch
        self.chain_id: int | None = None
        self._sent: dict[int, str] = {}  # nonce -> hash of our transactions not seen mined
        self._lock = asyncio.Lock()

    @property
    def address(self) -> str | None:
        return self.account.address if self.account else None

    async def _chain_id(self) -> int:
        if self.chain_id is None:
            self.chain_id = int(await self.request("eth_chainId", []), 16)
        return self.chain_id

    @property
    def sender(self) -> str:
        return self.address or self.simulate_from or "0x" + "00" * 20

    def precheck_requests(self, decisions: list[Decision], block: int
                          ) -> list[tuple[str, list[Any]]]:
        """Requests to batch with block `block`'s reads: the estimate of each possible
        decision and the account's nonce, at that block. When the block is the head, they stand
        in for the re-check against the latest state (one round trip less)."""
        tag = hex(block)
        out: list[tuple[str, list[Any]]] = [
            ("eth_estimateGas", [{"from": self.sender, "to": self.guard,
                                  "data": "0x" + calldata(d).hex()}, tag])
            for d in decisions
        ]
        out.append(("eth_getTransactionCount", [self.sender, tag]))
        return out

    async def submit(self, decision: Decision, base_fee: int | None,
                     precheck: tuple[Any, Any] | None = None) -> SendResult:
        """Estimate, sign and send one decision; never raises for chain-side refusals.
        `precheck` is (estimate or error, nonce) read at the block just processed when it is
        the head; a retry re-checks against the latest state."""
        data = "0x" + calldata(decision).hex()
        call = {"from": self.sender, "to": self.guard, "data": data}
        lost: SendUnknown | None = None  # a send whose reply never came
        for attempt in range(self.max_retries + 1):
            try:
                if lost is not None:  # it may have reached the node (and been mined): then
                    # re-checking would refuse our own trip as "already in effect"
                    if await self._known(lost.tx_hash):
                        return SendResult(decision, "sent", tx_hash=lost.tx_hash,
                                          nonce=lost.nonce)
                    lost = None
                pre = precheck if attempt == 0 else None
                return await self._attempt(decision, call, base_fee, pre)
            except SendUnknown as exc:
                lost = exc
                if attempt >= self.max_retries:
                    return SendResult(decision, "failed", str(exc), tx_hash=exc.tx_hash)
            except RpcError as exc:
                if exc.is_revert:
                    return SendResult(decision, "refused", exc.reason)
                if is_unfunded(exc.message):  # waiting does not help: say so at once
                    return SendResult(decision, "failed", exc.message)
                if is_nonce_taken(exc.message) and attempt < self.max_retries:
                    continue  # re-read from chain, re-check the rule
                if attempt >= self.max_retries:
                    return SendResult(decision, "failed", exc.message)
            except _TRANSIENT as exc:
                if attempt >= self.max_retries:
                    return SendResult(decision, "failed", f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.backoff_s * 2**attempt)
        return SendResult(decision, "failed", "retries exhausted")

    async def _known(self, tx_hash: str) -> bool:
        """The node has the transaction (pending or mined); transport errors propagate."""
        return await self.request("eth_getTransactionByHash", [tx_hash]) is not None

    async def _next_nonce(self, mined: int) -> int:
        """The nonce after our own transactions the node still has. One that a reorg dropped or
        the pool evicted is not waited for: its nonce is used again (else every later
        transaction would sit behind the gap, never mined)."""
        for n in [n for n in self._sent if n < mined]:
            del self._sent[n]
        nonce = mined
        while nonce in self._sent and await self._known(self._sent[nonce]):
            nonce += 1
        for n in [n for n in self._sent if n >= nonce]:
            del self._sent[n]
        return nonce

    async def _fresh_check(self, decision: Decision, call: dict[str, str]
                           ) -> tuple[int, int, int] | str:
        """Against the latest state, in one batch: (gas estimate, the account's mined nonce,
        latest base fee), or why not to send. A rule whose effects are live on chain (another
        replica fired it since the block we evaluated) is not sent again, even when the guard
        would accept a re-fire (rules without cooldown), and is refused as such, not with the
        error the guard would give a second firing. The nonce is read before the rule's
        state, so a replica's transaction landing in between makes ours fail `nonce too low`
        and be re-checked, never fire twice."""
        fired_call = {"to": self.guard, "data": "0x" + (
            call_data(function("firedUntil"), decision.rule_id)).hex()}
        checks: list[tuple[str, list[Any]]] = [
            ("eth_getTransactionCount", [self.sender, "latest"]),
            ("eth_getBlockByNumber", ["latest", False]),
            ("eth_call", [fired_call, "latest"]),
            ("eth_estimateGas", [call, "latest"]),
        ]
        if self.batch is not None:
            replies = await self.batch(checks)
        else:
            replies = [await _safe(self.request, m, p) for m, p in checks]
        count, block, fired, gas = replies
        for item in (count, block, fired):
            if isinstance(item, BaseException):
                raise item
        now, until = int(block["timestamp"], 16), int(str(fired), 16)
        if decision.method != "tripSender" and until and now < until:
            return f"already in effect on chain until {until}"
        if isinstance(gas, BaseException):
            raise gas
        base_fee = int(block.get("baseFeePerGas", "0x0"), 16)
        return int(str(gas), 16), int(str(count), 16), base_fee

    async def _attempt(self, decision: Decision, call: dict[str, str], base_fee: int | None,
                       precheck: tuple[Any, Any] | None = None) -> SendResult:
        checked: tuple[int, int, int] | str | None = None
        if precheck is not None and base_fee is not None:
            checked = _from_precheck(precheck, base_fee)
        if checked is None:  # concurrently for several decisions
            checked = await self._fresh_check(decision, call)
        if isinstance(checked, str):
            return SendResult(decision, "refused", checked)
        gas, mined_nonce, latest_fee = checked
        if self.dry_run or self.account is None:
            return SendResult(decision, "dry-run", f"would send with gas {gas}")
        async with self._lock:  # nonces in order: one signature and send at a time
            # our own transactions not mined yet come first; a replica's are not counted
            nonce = await self._next_nonce(mined_nonce)
            fee = base_fee if base_fee is not None else latest_fee
            tx: dict[str, Any] = {
                "type": 2,
                "chainId": await self._chain_id(),
                "nonce": nonce,
                "to": self.guard,
                "data": call["data"],
                "value": 0,
                "gas": gas * GAS_HEADROOM_NUM // GAS_HEADROOM_DEN,
                "maxPriorityFeePerGas": PRIORITY_FEE,
                "maxFeePerGas": 2 * fee + PRIORITY_FEE,
            }
            signed = self.account.sign_transaction(tx)
            raw = "0x" + bytes(signed.raw_transaction).hex()
            tx_hash = "0x" + bytes(signed.hash).hex()
            self._sent[nonce] = tx_hash
            try:
                await self.request("eth_sendRawTransaction", [raw])
            except RpcError as exc:
                if not is_already_known(exc.message):  # a replica's bytes: ours too
                    del self._sent[nonce]
                    raise
            except _TRANSIENT as exc:
                raise SendUnknown(tx_hash, nonce, exc) from exc
        return SendResult(decision, "sent", tx_hash=tx_hash, nonce=nonce)

    async def revert_reason(self, tx_hash: str, receipt: dict[str, Any]) -> str:
        """Why a mined transaction reverted: the call replayed on the state of its block
        (the node keeps no revert data in receipts), decoded with the guard's errors."""
        tx = await self.request("eth_getTransactionByHash", [tx_hash])
        call = {"from": tx["from"], "to": tx["to"], "data": tx.get("input", tx.get("data"))}
        try:
            await self.request("eth_call", [call, receipt["blockNumber"]])
        except RpcError as exc:
            return exc.reason
        return "reverted when mined; the call succeeds on the block's final state"

    async def wait_receipt(self, tx_hash: str, timeout_s: float = 60.0, poll_s: float = 0.02,
                           presence_s: float = 0.5) -> dict[str, Any] | Dropped | None:
        """The receipt; `"dropped"` once the node has twice in a row (`presence_s` apart) not
        known the transaction (evicted from its pool, or dropped by a reorg), so the decision
        is made again at once instead of after the timeout; None after the timeout."""
        deadline = time.monotonic() + timeout_s
        next_presence, misses = time.monotonic() + presence_s, 0
        while time.monotonic() < deadline:
            try:
                receipt = await self.request("eth_getTransactionReceipt", [tx_hash])
                if not receipt and time.monotonic() >= next_presence:
                    next_presence = time.monotonic() + presence_s
                    misses = 0 if await self._known(tx_hash) else misses + 1
                    if misses >= 2:
                        return "dropped"
            except (RpcError, *_TRANSIENT):
                receipt = None
            if receipt:
                return dict(receipt)
            await asyncio.sleep(poll_s)
        return None


def _from_precheck(precheck: tuple[Any, Any], base_fee: int) -> tuple[int, int, int] | None:
    """(estimate, nonce, fee) from the block's own batch; None when its estimate reverted: a
    refusal is reported only once `_fresh_check` confirms it in a request of its own, at the
    latest state (a replica's trip mined meanwhile is `already in effect`, not the guard's
    `RuleCooldown`; a read the node answered inconsistently is not trusted alone); any other
    error raises."""
    estimate, count = precheck
    if isinstance(estimate, RpcError) and estimate.is_revert and not isinstance(
            count, BaseException):
        return None
    for item in precheck:
        if isinstance(item, BaseException):
            raise item
    return int(str(estimate), 16), int(str(count), 16), base_fee


async def _safe(request: Request, method: str, params: list[Any]) -> Any:
    try:
        return await request(method, params)
    except RpcError as exc:
        return exc

