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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from web3 import AsyncWeb3
from web3.providers.persistent import WebSocketProvider
from web3.providers.rpc import AsyncHTTPProvider

from interlock.compiler.guard_abi import function
from interlock.ir.inputs import READ_GAS
from interlock.runtime.abi import call_data, decode_result
from interlock.runtime.executor import RpcError
from interlock.runtime.metrics import MetricPlan
from interlock.runtime.observe import BlockObservation, FeedRound, LogEntry, TxEntry
from interlock.runtime.rpc_errors import is_state_pruned
from interlock.runtime.state_reads import ReadCall

_BALANCE_OF = function("balanceOf")
_LATEST_ROUND = function("latestRoundData")
# The guard gives a feed or token read READ_GAS gas; an `eth_call`'s gas also pays the
# transaction's intrinsic cost, so a read that needs more than the guard allows fails here too
# (within a few hundred gas).
READ_TX_GAS = READ_GAS + 21_000 + 16 * 36


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


def http_twin(ws_url: str) -> str:
    """`ws://host:port/path` -> `http://host:port/path` (`wss` -> `https`): most nodes and
    providers serve JSON-RPC over HTTP at the WebSocket endpoint's address."""
    return ("https://" + ws_url[6:]) if ws_url.startswith("wss://") else (
        "http://" + ws_url[5:])


class Node:
    """Over `ws://`: subscriptions on the WebSocket, requests over HTTP at the same address
    (`request_url`, default `http_twin(url)`), falling back to the WebSocket when that does not
    answer — web3's persistent provider waits for replies by polling the event loop, which
    costs tens of milliseconds per request under load. Over `http://`: everything over HTTP."""

    def __init__(self, url: str, *, timeout_s: float = 10.0,
                 request_url: str | None = None) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.is_ws = url.startswith(("ws://", "wss://"))
        self.request_url = request_url or (http_twin(url) if self.is_ws else url)
        self.w3: AsyncWeb3[Any] | None = None  # requests
        self.sub_w3: AsyncWeb3[Any] | None = None  # subscriptions (WebSocket only)
        self.requests_over_ws = False
        self.ws_error: str | None = None
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._batch_lock = asyncio.Lock()
        self._sessions: list[aiohttp.ClientSession] = []

    async def _http(self, url: str) -> AsyncWeb3[Any]:
        """An HTTP provider on a keep-alive session of our own (web3's default session closes
        the connection after every request: a new TCP connection per call)."""
        provider = AsyncHTTPProvider(
            url, request_kwargs={"timeout": self.timeout_s}, exception_retry_configuration=None,
        )
        session = aiohttp.ClientSession(
            raise_for_status=True,
            connector=aiohttp.TCPConnector(limit=32, keepalive_timeout=30),
        )
        self._sessions.append(session)
        await provider.cache_async_session(session)
        return AsyncWeb3(provider)

    async def connect(self) -> None:
        """Connect; over `ws://`, a WebSocket that cannot be opened leaves HTTP polling at the
        same address (`ws_error` says why), and an HTTP address that does not answer leaves
        requests on the socket."""
        try:
            if self.is_ws:
                provider = WebSocketProvider(
                    self.url, request_timeout=self.timeout_s, max_connection_retries=1
                )
                try:
                    await provider.connect()  # not `await AsyncWeb3(...)`: no signal handlers
                    self.sub_w3 = AsyncWeb3(provider)
                except Exception as exc:
                    self.ws_error = f"{type(exc).__name__}: {exc}"
                self.w3 = await self._http(self.request_url)
                try:
                    await self.request("eth_chainId", [])
                except (ConnectionLost, RpcError):
                    if self.sub_w3 is None:
                        raise
                    with contextlib.suppress(Exception):
                        await self.w3.provider.disconnect()
                    self.w3, self.requests_over_ws = self.sub_w3, True
            else:
                self.w3 = await self._http(self.url)
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
        for w3 in {id(x): x for x in (self.w3, self.sub_w3) if x is not None}.values():
            with contextlib.suppress(Exception):
                await w3.provider.disconnect()
        self.w3 = self.sub_w3 = None
        sessions, self._sessions = self._sessions, []
        for session in sessions:
            with contextlib.suppress(Exception):
                await session.close()

    async def request(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC call; an error reply raises `RpcError`, a transport failure
        `ConnectionLost`."""
        if self.w3 is None:
            raise ConnectionLost("not connected")
        w3 = self.w3
        try:
            if self.requests_over_ws:  # through the manager: web3 ties an error to its request;
                # it returns the result and raises on an error reply
                return await asyncio.wait_for(
                    w3.manager.socket_request(method, params),  # type: ignore[arg-type]
                    self.timeout_s,
                )
            reply = await asyncio.wait_for(
                w3.provider.make_request(method, params),
                self.timeout_s,
            )
        except TimeoutError as exc:
            raise ConnectionLost(f"{method} timed out") from exc
        except Exception as exc:
            raise self._translate(method, exc) from exc
        if reply.get("error"):
            raise RpcError(method, reply["error"])
        return reply.get("result")

    async def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Several calls in one JSON-RPC batch; each item is a result or an `RpcError`."""
        if self.w3 is None:
            raise ConnectionLost("not connected")
        if not calls:
            return []
        w3 = self.w3
        try:
            if self.requests_over_ws:  # web3 matches one batch at a time on a socket
                async with self._batch_lock:
                    replies = await asyncio.wait_for(
                        w3.provider.make_batch_request(calls), self.timeout_s)
            else:
                replies = await asyncio.wait_for(
                    w3.provider.make_batch_request(calls), self.timeout_s)
        except TimeoutError as exc:
            raise ConnectionLost("batch timed out") from exc
        except Exception as exc:
            raise self._translate("batch", exc) from exc
        if not isinstance(replies, list):
            raise RpcError("batch", replies.get("error", replies))
        if len(replies) != len(calls):
            raise ConnectionLost(f"batch of {len(calls)} answered with {len(replies)} replies")
        return [
            RpcError(method, r["error"]) if r.get("error") else r.get("result")
            for (method, _), r in zip(calls, replies, strict=True)
        ]

    @staticmethod
    def _translate(method: str, exc: Exception) -> Exception:
        if isinstance(exc, (RpcError, ConnectionLost)):
            return exc
        rpc_response = getattr(exc, "rpc_response", None)
        if isinstance(rpc_response, dict) and "error" in rpc_response:
            return RpcError(method, rpc_response["error"])
        return ConnectionLost(f"{method}: {type(exc).__name__}: {exc}")

    async def head(self) -> int:
        return _int(await self.request("eth_blockNumber", []))

    async def call(self, to: str, data: bytes, block: int) -> bytes:
        out = await self.request("eth_call", [{"to": to, "data": "0x" + data.hex()}, hex(block)])
        return bytes.fromhex(str(out)[2:])

    # --- subscriptions --------------------------------------------------------------------

    async def subscribe(self, want_pending: bool) -> bool:
        """Over WebSocket: start delivering heads (and pending transactions) to `events`.
        False when heads cannot be subscribed to (then the caller polls)."""
        if not self.is_ws or self.sub_w3 is None:
            return False
        w3 = self.sub_w3
        try:
            heads = await w3.eth.subscribe("newHeads")
        except Exception as exc:
            self.ws_error = f"eth_subscribe: {type(exc).__name__}: {exc}"
            return False
        pending = None
        if want_pending:
            try:
                pending = await w3.eth.subscribe("newPendingTransactions", True)
            except Exception:  # pending transactions are optional: heads alone still work
                pending = None
        self._reader = asyncio.create_task(self._read(w3, str(heads), str(pending)))
        return True

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

    async def fetch_logs(self, plan: MetricPlan, number: int,
                         extra: Sequence[dict[str, Any]] = ()) -> list[Any]:
        """The raw `eth_getLogs` replies of block `number` for the metrics' filters, then for
        the `extra` filters, in one batch (see `block_logs`). Separate from `fetch_state`, so
        the rules that read no logs are decided without waiting for the node to filter a block
        of many logs (docs/performance.md)."""
        tag = hex(number)
        return await self.batch([("eth_getLogs", [{"fromBlock": tag, "toBlock": tag, **f}])
                                 for f in (*plan.log_filters(), *extra)])

    async def fetch_state(
        self, plan: MetricPlan, number: int, extra: Sequence[tuple[str, bytes]] = (),
        requests: Sequence[tuple[str, list[Any]]] = (),
    ) -> tuple[BlockObservation, list[Any]]:
        """Block `number`'s header and the chain reads the metrics need at that block (no
        logs: `logs` is empty), in one batch, plus the results of the `extra` calls
        `(to, calldata)` at that block and of the raw `requests` (results or `RpcError`s, in
        that order)."""
        reads = plan.balance_reads()
        feeds = plan.feed_reads()
        customs = plan.reads
        tag = hex(number)

        def call(to: str, data: bytes, gas: int | None = None) -> tuple[str, list[Any]]:
            tx: dict[str, str] = {"to": to, "data": "0x" + data.hex()}
            if gas is not None:
                tx["gas"] = hex(gas)
            return ("eth_call", [tx, tag])

        calls: list[tuple[str, list[Any]]] = [
            ("eth_getBlockByNumber", [tag, plan.needs_transactions()]),
            *(call(asset, call_data(_BALANCE_OF, bytes.fromhex(vault[2:])), READ_TX_GAS)
              for asset, vault in reads),
            *(call(feed, call_data(_LATEST_ROUND), READ_TX_GAS) for feed in feeds),
            *(call(r.to, r.data, READ_TX_GAS) for r in customs),
            *(call(to, data) for to, data in extra),
            *requests,
        ]
        results = await self.batch(calls)
        block = results[0]
        if isinstance(block, BaseException) or block is None:
            raise ConnectionLost(f"block {number} not available: {block}")
        block_hash = _hex(block["hash"])
        start = 1
        errors: list[str] = []
        balances: dict[tuple[str, str], int] = {}
        for key, raw in zip(reads, results[start : start + len(reads)], strict=True):
            try:
                balances[key] = int(decode_result(_BALANCE_OF, _ok(raw))[0])
            except Exception as exc:
                errors.append(f"balanceOf({key[1]}) on {key[0]}: {exc}")
        rounds = {}
        start += len(reads)
        for feed, raw in zip(feeds, results[start : start + len(feeds)], strict=True):
            try:
                _, answer, _, updated, _ = decode_result(_LATEST_ROUND, _ok(raw))
            except Exception as exc:
                errors.append(f"latestRoundData() on {feed}: {exc}")
                continue
            rounds[feed] = FeedRound(int(answer), int(updated))
        start += len(feeds)
        values = _custom_reads(customs, results[start : start + len(customs)], errors)
        start += len(customs)
        txs = tuple(_tx_entry(t) for t in block.get("transactions", []) if isinstance(t, dict))
        base_fee = block.get("baseFeePerGas")
        obs = BlockObservation(
            number=number,
            block_hash=block_hash,
            parent_hash=_hex(block["parentHash"]),
            timestamp=_int(block["timestamp"]),
            txs=txs,
            balances=balances,
            rounds=rounds,
            reads=values,
            base_fee=_int(base_fee) if base_fee is not None else None,
            errors=tuple(errors),
            state_pruned=any(isinstance(r, RpcError) and is_state_pruned(r.message)
                             for r in results[1:]),
        )
        return obs, results[start:]


def _custom_reads(calls: Sequence[ReadCall], replies: Sequence[Any],
                  errors: list[str]) -> dict[str, int]:
    """The custom reads' values; a failed one is left out and its error appended."""
    out: dict[str, int] = {}
    for r, raw in zip(calls, replies, strict=True):
        try:
            out[r.name] = r.decode(_ok(raw))
        except Exception as exc:
            errors.append(f"read {r.name} at {r.to}: {exc}")
    return out


def _merge_logs(replies: Sequence[Any], number: int, block_hash: str) -> tuple[LogEntry, ...]:
    """The logs of several filters of one block, each once, in block order."""
    seen: dict[tuple[str, int], LogEntry] = {}
    for raw in replies:
        if isinstance(raw, BaseException) or raw is None:
            raise ConnectionLost(f"eth_getLogs failed at block {number}: {raw}")
        if any(_hex(x.get("blockHash", block_hash)) != block_hash for x in raw):
            raise ConnectionLost(f"block {number} changed while it was read (reorg)")
        for x in raw:
            entry = log_entry(x)
            seen.setdefault((entry.tx_hash, entry.log_index), entry)
    return tuple(sorted(seen.values(), key=lambda e: e.log_index))


def _ok(raw: Any) -> bytes:
    if isinstance(raw, BaseException):
        raise raw
    data = bytes.fromhex(str(raw)[2:])
    if not data:
        raise ValueError("empty return data (no contract at the address?)")
    return data


def log_entry(raw: Any) -> LogEntry:
    data = raw.get("data", "0x")
    if type(data) is str:  # JSON from the node: the fast path, a bank run is 10,000 of these
        topics = raw.get("topics", ())
        return LogEntry(
            address=raw["address"].lower(), topics=tuple([t.lower() for t in topics]),
            data=bytes.fromhex(data[2:]), tx_hash=raw.get("transactionHash", "").lower(),
            log_index=_int(raw.get("logIndex", 0)),
        )
    return LogEntry(
        address=_hex(raw["address"]),
        topics=tuple(_hex(t) for t in raw.get("topics", [])),
        data=bytes(data) if isinstance(data, (bytes, bytearray)) else bytes.fromhex(data[2:]),
        tx_hash=_hex(raw.get("transactionHash", "")),
        log_index=_int(raw.get("logIndex", 0)),
    )


def block_logs(replies: Sequence[Any], plan: MetricPlan, number: int, block_hash: str
               ) -> tuple[tuple[LogEntry, ...], list[tuple[LogEntry, ...]]]:
    """From `fetch_logs`' replies: the metrics' logs (each once, in block order) and each extra
    filter's; a log of another block hash (the block was replaced meanwhile) raises
    `ConnectionLost`, and the block is read again."""
    n = len(plan.log_filters())
    return (_merge_logs(replies[:n], number, block_hash),
            [_merge_logs([r], number, block_hash) for r in replies[n:]])
