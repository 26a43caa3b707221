"""Talking to the node: web3.py `AsyncWeb3` over WebSocket (subscriptions) or HTTP (polling).

`Node` is one connection. Over `ws://` it subscribes to new heads (and to pending transactions
when a metric counts calls and the node serves them); over `http://` it polls the head. Either
way the monitor reads each block it processes the same way — header, its logs by block hash
(so a log of a reorganised-away block is never mixed in), and the chain reads the metrics need at
that block — so live processing, catch-up after a restart and catch-up after a reconnection are
one code path. A dropped connection surfaces as `ConnectionLost`; the monitor reconnects with
backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, Literal

from eth_abi.abi import decode
from web3 import AsyncWeb3
from web3.providers.persistent import WebSocketProvider
from web3.providers.rpc import AsyncHTTPProvider

from interlock.runtime.abi import selector
from interlock.runtime.executor import RpcError
from interlock.runtime.metrics import MetricPlan
from interlock.runtime.observe import BlockObservation, FeedRound, LogEntry, TxEntry

_BALANCE_OF = selector("balanceOf(address)")
_LATEST_ROUND = selector("latestRoundData()")


class ConnectionLost(ConnectionError):
    """The node connection dropped or stopped answering."""


@dataclass(frozen=True)
class Event:
    kind: Literal["head", "pending", "lost"]
    block: int = 0
    tx: TxEntry | None = None
    error: str = ""


def _hex(x: Any) -> str:
    if isinstance(x, (bytes, bytearray)):
        return "0x" + bytes(x).hex()
    return str(x).lower()


def _int(x: Any) -> int:
    return x if isinstance(x, int) else int(str(x), 16)


def _tx_entry(tx: Any, pending: bool = False) -> TxEntry:
    to = tx.get("to")
    return TxEntry(_hex(tx["hash"]), _hex(tx["from"]), _hex(to) if to else None, pending)


class Node:
    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.is_ws = url.startswith(("ws://", "wss://"))
        self.w3: AsyncWeb3[Any] | None = None
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.pending_served = False

    async def connect(self) -> None:
        try:
            if self.is_ws:
                provider = WebSocketProvider(
                    self.url, request_timeout=self.timeout_s, max_connection_retries=1
                )
                self.w3 = AsyncWeb3(provider)
                await provider.connect()  # not `await AsyncWeb3(...)`: no signal handlers
            else:
                http = AsyncHTTPProvider(
                    self.url,
                    request_kwargs={"timeout": self.timeout_s},
                    exception_retry_configuration=None,
                )
                self.w3 = AsyncWeb3(http)
            await self.request("eth_chainId", [])
        except RpcError:
            raise
        except Exception as exc:
            await self.close()
            raise ConnectionLost(f"cannot connect to {self.url}: {exc}") from exc

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
            self._reader = None
        w3, self.w3 = self.w3, None
        if (w3 is not None and self.is_ws) or w3 is not None:
            with contextlib.suppress(Exception):
                await w3.provider.disconnect()

    async def request(self, method: str, params: list[Any]) -> Any:
        if self.w3 is None:
            raise ConnectionLost("not connected")
        try:
            reply = await asyncio.wait_for(
                self.w3.provider.make_request(method, params),
                self.timeout_s,
            )
        except TimeoutError as exc:
            raise ConnectionLost(f"{method} timed out") from exc
        except RpcError:
            raise
        except Exception as exc:
            if type(exc).__name__ in ("Web3RPCError",):
                raise RpcError(method, getattr(exc, "rpc_response", {}).get("error", str(exc))
                               ) from exc
            raise ConnectionLost(f"{method}: {type(exc).__name__}: {exc}") from exc
        if reply.get("error"):
            raise RpcError(method, reply["error"])
        return reply.get("result")

    async def head(self) -> int:
        return _int(await self.request("eth_blockNumber", []))

    async def call(self, to: str, data: bytes, block: int) -> bytes:
        out = await self.request("eth_call", [{"to": to, "data": "0x" + data.hex()}, hex(block)])
        return bytes.fromhex(str(out)[2:])

    # --- subscriptions --------------------------------------------------------------------

    async def subscribe(self, want_pending: bool) -> None:
        """Over WebSocket: start delivering heads (and pending transactions) to `events`."""
        if not self.is_ws or self.w3 is None:
            return
        w3 = self.w3
        heads = await w3.eth.subscribe("newHeads")
        pending = None
        if want_pending:
            try:
                pending = await w3.eth.subscribe("newPendingTransactions", True)
                self.pending_served = True
            except Exception:
                self.pending_served = False
        self._reader = asyncio.create_task(self._read(w3, str(heads), str(pending)))

    async def _read(self, w3: AsyncWeb3[Any], heads: str, pending: str) -> None:
        try:
            async for msg in w3.socket.process_subscriptions():
                sub = str(msg.get("subscription"))
                result: Any = msg.get("result")
                if sub == heads:
                    await self.events.put(Event("head", block=_int(result["number"])))
                elif sub == pending and result is not None:
                    tx = result if isinstance(result, dict) or hasattr(result, "get") else None
                    if tx is not None:
                        await self.events.put(Event("pending", tx=_tx_entry(tx, True)))
            await self.events.put(Event("lost", error="subscription stream ended"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self.events.put(Event("lost", error=f"{type(exc).__name__}: {exc}"))

    async def next_event(self, timeout_s: float) -> Event | None:
        try:
            return await asyncio.wait_for(self.events.get(), timeout_s)
        except TimeoutError:
            return None

    # --- one block ------------------------------------------------------------------------

    async def fetch(self, plan: MetricPlan, number: int) -> BlockObservation:
        """Everything the metrics need of block `number`."""
        block = await self.request("eth_getBlockByNumber", [hex(number), plan.needs_transactions()])
        if block is None:
            raise ConnectionLost(f"block {number} not available")
        block_hash = _hex(block["hash"])
        addresses = list(plan.log_addresses())
        reads = plan.balance_reads()
        feeds = plan.feed_reads()
        jobs: list[Any] = [
            self.request("eth_getLogs", [{"blockHash": block_hash, "address": addresses}])
            if addresses else _none(),
            *(self.call(asset, _BALANCE_OF + bytes(12) + bytes.fromhex(vault[2:]), number)
              for asset, vault in reads),
            *(self.call(feed, _LATEST_ROUND, number) for feed in feeds),
        ]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        for res in results:
            if isinstance(res, ConnectionLost):
                raise res
        if isinstance(results[0], BaseException):
            raise ConnectionLost(f"eth_getLogs failed at block {number}: {results[0]}")
        logs_raw = results[0] or []
        errors: list[str] = []
        balances: dict[tuple[str, str], int] = {}
        for key, raw in zip(reads, results[1 : 1 + len(reads)], strict=True):
            try:
                balances[key] = int(decode(["uint256"], _ok(raw))[0])
            except Exception as exc:
                errors.append(f"balanceOf({key[1]}) on {key[0]}: {exc}")
        rounds = {}
        for feed, raw in zip(feeds, results[1 + len(reads) :], strict=True):
            try:
                _, answer, _, updated, _ = decode(
                    ["uint80", "int256", "uint256", "uint256", "uint80"], _ok(raw)
                )
            except Exception as exc:
                errors.append(f"latestRoundData() on {feed}: {exc}")
                continue
            rounds[feed] = FeedRound(int(answer), int(updated))
        txs = tuple(_tx_entry(t) for t in block.get("transactions", []) if isinstance(t, dict))
        base_fee = block.get("baseFeePerGas")
        return BlockObservation(
            number=number,
            block_hash=block_hash,
            parent_hash=_hex(block["parentHash"]),
            timestamp=_int(block["timestamp"]),
            logs=tuple(_log_entry(x) for x in logs_raw),
            txs=txs,
            balances=balances,
            rounds=rounds,
            base_fee=_int(base_fee) if base_fee is not None else None,
            errors=tuple(errors),
        )


def _ok(raw: Any) -> bytes:
    if isinstance(raw, BaseException):
        raise raw
    return bytes(raw)


async def _none() -> None:
    return None


def _log_entry(raw: Any) -> LogEntry:
    data = raw.get("data", "0x")
    return LogEntry(
        address=_hex(raw["address"]),
        topics=tuple(_hex(t) for t in raw.get("topics", [])),
        data=bytes(data) if isinstance(data, (bytes, bytearray)) else bytes.fromhex(data[2:]),
        tx_hash=_hex(raw.get("transactionHash", "")),
        log_index=_int(raw.get("logIndex", 0)),
    )
