"""Real network faults between the monitor and Anvil, for the fault tests.

- `TcpProxy` forwards a local port to Anvil byte for byte (HTTP and WebSocket alike); `cut()`
  drops every live connection and refuses new ones until `restore()`; `mute_websockets()`
  keeps the open WebSockets open but passes nothing more from the node to them (a node whose
  subscriptions went silent), while new connections work.
- `RpcProxy` is an HTTP JSON-RPC proxy that can answer the next requests with a JSON-RPC error
  (`fail_next`) and corrupt the `Transfer` logs it passes on (`corrupt_logs`): the node's answers
  are real, the faults are injected on the wire. `null_results` names methods whose results
  it replaces by `null` (a node answering `eth_estimateGas` with nothing). `error_next[method]`
  answers the next single calls of `method` with those JSON-RPC errors without forwarding them
  (a provider's rate limit); `lose_reply[method]` forwards the next N calls of `method` and
  closes the connection instead of answering (a reply lost on the way back).
  `delay_logs_s` holds batches of `eth_getLogs` that long (a node filtering a block of many
  logs); `logs_answered[block]` is when the last one of that block was answered.
  `header_lies[block] = n` makes the next `n` replies with that block's header (in a batch)
  say its timestamp is `lie_back_s` earlier than it is (a lying node; `lies` counts them).
  `extra_logs[block] = [n, address, log]` adds `log` to the next `n` replies of `eth_getLogs`
  for that block and address (in a batch), a log the node should not have sent (`added`).
- `HealthLog` is the monitor's `/health` state that keeps a snapshot at every processed block,
  so a test sees what `/health` said while a gap or a rebuild was read, not only afterwards.
- `proxied_monitor` runs the venue's monitor (`monitor_chain`) behind an `RpcProxy`,
  `tcp_monitor` over a WebSocket through a `TcpProxy`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from monitor_chain import AGENT_KEY, MonitorThread, Venue, wait_for

from interlock.runtime.abi import TRANSFER_TOPIC
from interlock.runtime.monitor import MonitorConfig
from interlock.runtime.ops import Health


@dataclass
class HealthLog(Health):
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)  # block -> snapshot

    def progress(self, block: int) -> None:
        super().progress(block)
        self.seen[block] = self.snapshot()


class TcpProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._conns: list[socket.socket] = []
        self._streams: list[dict[str, bool]] = []  # per connection: websocket?, muted?
        self.websockets_opened = 0
        self._lock = threading.Lock()
        self.is_cut = False
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.is_cut:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            stream = {"ws": False, "muted": False}
            with self._lock:
                self._conns += [client, upstream]
                self._streams.append(stream)
            for a, b, up in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pipe, args=(a, b, stream, up), daemon=True).start()

    def mute_websockets(self) -> None:
        with self._lock:
            for stream in self._streams:
                stream["muted"] = stream["ws"]

    def _pipe(self, src: socket.socket, dst: socket.socket, stream: dict[str, bool],
              up: bool) -> None:
        first = True
        try:
            while data := src.recv(65536):
                if up and first and b"upgrade: websocket" in data.lower():
                    stream["ws"] = True
                    self.websockets_opened += 1
                first = False
                if not (stream["muted"] and not up):
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.is_cut = True
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()

    def restore(self) -> None:
        self.is_cut = False

    def redirect(self, target_port: int) -> None:
        """The URL leads to another node from now on; the live connections are dropped (the
        monitor reconnects to it)."""
        self.target_port = target_port
        self.cut()
        self.restore()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()


class RpcProxy:
    def __init__(self, target_url: str) -> None:
        self.target_url = target_url
        self.fail_budget = 0
        self.corrupt_logs = False
        self.null_results: set[str] = set()
        self.nulled = 0
        self.failed = 0
        self.corrupted = 0
        self.error_next: dict[str, list[dict[str, Any]]] = {}
        self.lose_reply: dict[str, int] = {}
        self.lost = 0
        self.delay_logs_s = 0.0
        self.logs_answered: dict[int, float] = {}
        self.header_lies: dict[int, int] = {}
        self.lie_back_s = 2 * 3600
        self.lies = 0
        self.extra_logs: dict[int, list[Any]] = {}
        self.added = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                reply = proxy._handle(body)
                if reply is None:  # the request was forwarded; its reply is lost
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def fail_next(self, n: int) -> None:
        self.fail_budget = n

    def _single(self, request: Any, body: bytes) -> bytes | None:
        """A single (not batched) call: injected error, lost reply, or forwarded."""
        method = request.get("method")
        errors = self.error_next.get(method)
        if errors:
            self.failed += 1
            return json.dumps({"jsonrpc": "2.0", "id": request.get("id"),
                               "error": errors.pop(0)}).encode()
        raw = self._forward(body)
        if self.lose_reply.get(method, 0) > 0:
            self.lose_reply[method] -= 1
            self.lost += 1
            return None
        return raw

    def _forward(self, body: bytes) -> bytes:
        req = urllib.request.Request(self.target_url, data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return bytes(resp.read())

    def _handle(self, body: bytes) -> bytes | None:
        request = json.loads(body)
        if isinstance(request, dict):
            return self._single(request, body)
        if self.fail_budget > 0 and isinstance(request, list):
            self.fail_budget -= 1
            self.failed += 1
            error = {"jsonrpc": "2.0", "id": None,
                     "error": {"code": -32603, "message": "injected internal error"}}
            return json.dumps(error).encode()
        logs = [r for r in request if r.get("method") == "eth_getLogs"]
        if logs and len(logs) == len(request):
            time.sleep(self.delay_logs_s)
        raw = self._forward(body)
        if logs:
            self.logs_answered[int(logs[0]["params"][0]["fromBlock"], 16)] = time.time()
        if not (self.corrupt_logs or self.null_results or self.header_lies or self.extra_logs):
            return bytes(raw)
        replies = json.loads(raw)
        self._lie_about_headers(request, replies)
        self._add_logs(request, replies)
        for req_item, rep in zip(request, replies, strict=False):
            if req_item.get("method") in self.null_results:
                rep.pop("error", None)
                rep["result"] = None
                self.nulled += 1
        for req_item, rep in zip(request, replies, strict=False):
            logs = req_item.get("method") == "eth_getLogs" and isinstance(rep.get("result"), list)
            if self.corrupt_logs and logs:
                for log in rep["result"]:
                    if log["topics"] and log["topics"][0] == TRANSFER_TOPIC:
                        log["data"] = "0x01"  # a Transfer without its amount
                        self.corrupted += 1
                        break
        return json.dumps(replies).encode()

    def _lie_about_headers(self, request: list[Any], replies: list[Any]) -> None:
        for req_item, rep in zip(request, replies, strict=False):
            block = rep.get("result") if req_item.get("method") == "eth_getBlockByNumber" else None
            number = int(block["number"], 16) if isinstance(block, dict) else -1
            if self.header_lies.get(number, 0) > 0:
                self.header_lies[number] -= 1
                self.lies += 1
                assert isinstance(block, dict)
                block["timestamp"] = hex(int(block["timestamp"], 16) - self.lie_back_s)

    def _add_logs(self, request: list[Any], replies: list[Any]) -> None:
        for req_item, rep in zip(request, replies, strict=False):
            if req_item.get("method") != "eth_getLogs" or not isinstance(rep.get("result"), list):
                continue
            query = req_item["params"][0]
            extra = self.extra_logs.get(int(query["fromBlock"], 16))
            if extra and extra[0] > 0 and str(query.get("address")).lower() == extra[1].lower():
                extra[0] -= 1
                self.added += 1
                rep["result"].append(extra[2])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def proxied_monitor(venue: Venue, tmp_path: Path, name: str, *, key: str | None = AGENT_KEY,
                    **config: Any) -> Iterator[tuple[RpcProxy, MonitorThread]]:
    """A monitor of `venue` polling over HTTP through an `RpcProxy` in front of its Anvil,
    started (checkpoint `tmp_path/NAME.db`; `config`: more `MonitorConfig` fields); the proxy
    is closed on leaving (the test stops the monitor itself, to see what it raised)."""
    proxy = RpcProxy(venue.node.http_url)
    try:
        cfg = MonitorConfig(rpc=proxy.url, guard=venue.guard.address,
                            checkpoint=str(tmp_path / f"{name}.db"),
                            **{"poll_interval_s": 0.02, **config})
        yield proxy, MonitorThread(venue.program, cfg, key=key,
                                   name=f"interlock.monitor.{name}").start()
    finally:
        proxy.close()


@contextmanager
def tcp_monitor(venue: Venue, port: int, tmp_path: Path, name: str,
                **config: Any) -> Iterator[tuple[TcpProxy, MonitorThread]]:
    """A monitor of `venue` over a WebSocket through a `TcpProxy` to the node at `port`,
    started, quick to reconnect (checkpoint `tmp_path/NAME.db`; `config`: more
    `MonitorConfig` fields); the proxy is closed on leaving."""
    proxy = TcpProxy(port)
    try:
        cfg = MonitorConfig(rpc=proxy.ws_url, guard=venue.guard.address,
                            checkpoint=str(tmp_path / f"{name}.db"),
                            **{"max_backoff_s": 0.3, "idle_check_s": 0.2, **config})
        yield proxy, MonitorThread(venue.program, cfg, name=f"interlock.monitor.{name}").start()
    finally:
        proxy.close()


def degraded_until_poked(m: MonitorThread, venue: Venue, problem: str) -> None:
    """`/health` is degraded with `problem` while the fault lasts, the drain (rule 0) is poked
    once it is over, and `/health` is ok once the monitor caught up."""
    wait_for(lambda: problem in m.health.snapshot()["problems"], 20, m.log.getvalue()[-3000:])
    assert m.health.snapshot()["status"] == "degraded"
    wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
    m.caught_up(venue.head())
    assert m.health.snapshot()["status"] == "ok", m.health.snapshot()
