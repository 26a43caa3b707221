"""Operations: structured JSON logs, Prometheus metrics and a health endpoint (alert sinks:
`runtime.sinks`).

Every log line is one JSON object (`ts`, `level`, `event`, then the event's fields), so a log
pipeline can index them. Metrics live in a registry of their own per monitor (two monitors in one
process do not share counters); `OpsServer` serves `/metrics` (Prometheus text format) and
`/health` (JSON; 200 when the monitor has processed a block recently, 503 otherwise).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LOGGER_NAME = "interlock.monitor"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(payload, default=str, sort_keys=False)


def make_logger(name: str = LOGGER_NAME, stream: TextIO | None = None) -> logging.Logger:
    logger = logging.getLogger(name)
    for old in [h for h in logger.handlers if getattr(h, "_interlock", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._interlock = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def log(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    logger.log(level, event, extra={"fields": fields})


DECISION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class MonitorMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.events_seen = Counter(
            "interlock_events_seen", "Logs and transactions ingested", ["kind"], registry=r
        )
        self.blocks_processed = Counter(
            "interlock_blocks_processed", "Blocks fully processed", registry=r
        )
        self.rules_evaluated = Counter(
            "interlock_rules_evaluated", "Breaker conditions evaluated", registry=r
        )
        self.trips_sent = Counter(
            "interlock_trips_sent", "Transactions sent to the guard", ["rule", "method"],
            registry=r,
        )
        self.trips_skipped = Counter(
            "interlock_trips_skipped", "Decisions not sent", ["rule", "reason"], registry=r
        )
        self.errors = Counter("interlock_errors", "Errors survived", ["where"], registry=r)
        self.lag_blocks = Gauge("interlock_lag_blocks", "Blocks behind the head", registry=r)
        self.head_block = Gauge("interlock_head_block", "Latest head seen", registry=r)
        self.last_block = Gauge(
            "interlock_last_processed_block", "Last fully processed block", registry=r
        )
        self.decision_latency = Histogram(
            "interlock_decision_latency_seconds",
            "From receiving a block to the decision's transaction being sent",
            buckets=DECISION_BUCKETS,
            registry=r,
        )
        self.reconnects = Counter("interlock_reconnects", "Node reconnections", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class Health:
    """What `/health` reports; the monitor updates it as it goes.

    `ok` needs all of: connected; the node answered (a head) within `max_silence_s`, so an idle
    chain without new blocks stays healthy; at most `max_lag_blocks` blocks left to process,
    so a monitor stuck behind the head does not; no standing problem (a checkpoint that cannot
    be written, a guard that is gone)."""

    max_silence_s: float = 60.0
    max_lag_blocks: int = 10
    started_at: float = field(default_factory=time.time)
    last_progress: float = 0.0
    last_contact: float = 0.0
    last_block: int | None = None
    lag_blocks: int = 0
    connected: bool = False
    mode: str = "starting"
    problems: dict[str, str] = field(default_factory=dict)

    def progress(self, block: int) -> None:
        self.last_block = block
        self.last_progress = time.time()

    def contact(self, lag_blocks: int) -> None:
        """The node told us its head; `lag_blocks` are left to process."""
        self.last_contact = time.time()
        self.lag_blocks = lag_blocks

    def snapshot(self) -> dict[str, Any]:
        now = time.time()
        since = now - (self.last_progress or self.started_at)
        silent = now - (self.last_contact or self.started_at)
        ok = (self.connected and self.last_progress > 0 and silent <= self.max_silence_s
              and self.lag_blocks <= self.max_lag_blocks and not self.problems)
        return {
            "status": "ok" if ok else "degraded",
            "connected": self.connected,
            "mode": self.mode,
            "last_block": self.last_block,
            "lag_blocks": self.lag_blocks,
            "seconds_since_progress": round(since, 3),
            "seconds_since_node": round(silent, 3),
            "problems": dict(self.problems),
        }


class OpsServer:
    """`/metrics` and `/health` over HTTP on 127.0.0.1 (or `host`), in a daemon thread."""

    def __init__(self, metrics: MonitorMetrics, health: Health, port: int, host: str = "127.0.0.1"):
        handler = _make_handler(metrics, health)
        self._server = ThreadingHTTPServer((host, port), handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OpsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _make_handler(metrics: MonitorMetrics, health: Health) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith("/metrics"):
                self._reply(200, metrics.render(), CONTENT_TYPE_LATEST)
            elif self.path.startswith("/health"):
                snap = health.snapshot()
                code = 200 if snap["status"] == "ok" else 503
                self._reply(code, json.dumps(snap).encode(), "application/json")
            else:
                self._reply(404, b"not found\n", "text/plain")

        def _reply(self, code: int, body: bytes, ctype: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
