"""Operations: JSON logs, /metrics and /health over real HTTP, stdout and webhook alert sinks."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from interlock.runtime.ops import Health, MonitorMetrics, OpsServer, log, make_logger
from interlock.runtime.sinks import StdoutSink, WebhookSink, dispatch_alert


def test_logs_are_one_json_object_per_line() -> None:
    out = io.StringIO()
    logger = make_logger("interlock.monitor.test_ops", out)
    log(logger, logging.INFO, "decision", rule="drain", block=7)
    log(logger, logging.WARNING, "rpc_error", error="boom")
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines[0]["event"] == "decision" and lines[0]["rule"] == "drain"
    assert lines[0]["level"] == "info" and isinstance(lines[0]["ts"], float)
    assert lines[1]["level"] == "warning"


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_metrics_and_health_endpoints() -> None:
    metrics, health = MonitorMetrics(), Health(max_silence_s=60)
    server = OpsServer(metrics, health, 0).start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        code, body = _get(base + "/health")
        assert code == 503 and json.loads(body)["status"] == "degraded"
        health.connected = True
        health.progress(42)
        metrics.events_seen.labels("log").inc(3)
        metrics.rules_evaluated.inc(6)
        metrics.trips_sent.labels("drain", "poke").inc()
        metrics.lag_blocks.set(2)
        metrics.decision_latency.observe(0.004)
        code, body = _get(base + "/health")
        assert code == 200 and json.loads(body)["last_block"] == 42
        code, body = _get(base + "/metrics")
        text = body.decode()
        assert code == 200
        for needle in ('interlock_events_seen_total{kind="log"} 3.0',
                       "interlock_rules_evaluated_total 6.0",
                       'interlock_trips_sent_total{method="poke",rule="drain"} 1.0',
                       "interlock_lag_blocks 2.0",
                       'interlock_decision_latency_seconds_bucket{le="0.005"} 1.0'):
            assert needle in text, needle
        assert _get(base + "/nope")[0] == 404
    finally:
        server.stop()


def test_alert_sinks_stdout_and_webhook() -> None:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    out, logs = io.StringIO(), io.StringIO()
    logger = make_logger("interlock.monitor.test_ops_hook", logs)
    url = f"http://127.0.0.1:{hook.server_address[1]}/alerts"
    dead = WebhookSink("http://127.0.0.1:9/unreachable", logger, timeout_s=1)
    alert = {"id": "1:rule:4::7", "rule": "watch", "texts": ["large outflow"]}
    try:
        asyncio.run(dispatch_alert([StdoutSink(out), WebhookSink(url, logger), dead], alert))
    finally:
        hook.shutdown()
        hook.server_close()
    assert json.loads(out.getvalue()) == {"alert": alert}
    assert received == [alert]
    assert '"event": "webhook_failed"' in logs.getvalue()  # logged, not raised
