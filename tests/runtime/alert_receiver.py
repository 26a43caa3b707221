"""A local HTTP server standing in for the webhook, Slack, Discord and PagerDuty receivers.

Each path validates what its real receiver requires and records the payload; a payload that
fails validation is recorded under `invalid` with the reason (and answered 400, as the
services do), so a test asserts both the alerts and that none was malformed. `attach` points a
monitor's sinks at it; `assert_once_at_each_sink` checks that each guard event read from the
chain (`chain_events`) reached every sink exactly once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

from interlock.runtime.guard_events import ALERTED
from interlock.runtime.sinks import DiscordSink, PagerDutySink, SlackSink, WebhookSink
from interlock.testing.monitor_thread import MonitorThread, wait_for

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "alert.v1.json").read_text())
SECRET = b"test-webhook-secret"
PD_SEVERITIES = {"critical", "error", "warning", "info"}


def _webhook(body: bytes, headers: Any) -> dict[str, Any]:
    ts = headers["X-Interlock-Timestamp"]
    want = "sha256=" + hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, headers["X-Interlock-Signature"]):
        raise ValueError("bad HMAC signature")
    alert: dict[str, Any] = json.loads(body)
    jsonschema.validate(alert, SCHEMA)
    if headers["X-Interlock-Alert-Id"] != alert["id"]:
        raise ValueError("X-Interlock-Alert-Id differs from the body's id")
    return alert


def _slack(body: bytes, headers: Any) -> dict[str, Any]:
    msg: dict[str, Any] = json.loads(body)
    if not isinstance(msg.get("text"), str) or not msg["text"]:
        raise ValueError("slack: `text` is required")
    for block in msg.get("blocks", []):
        if block["type"] not in ("header", "section") or block["text"]["type"] not in (
                "plain_text", "mrkdwn"):
            raise ValueError(f"slack: unexpected block {block}")
        if len(block["text"]["text"]) > 3000:
            raise ValueError("slack: block text over 3000 characters")
    return msg


def _discord(body: bytes, headers: Any) -> dict[str, Any]:
    msg: dict[str, Any] = json.loads(body)
    if not msg.get("content") and not msg.get("embeds"):
        raise ValueError("discord: `content` or `embeds` is required")
    for embed in msg.get("embeds", []):
        if len(embed.get("fields", [])) > 25 or not isinstance(embed.get("color"), int):
            raise ValueError("discord: at most 25 fields and an integer color")
        for f in embed.get("fields", []):
            if not f["name"] or not f["value"] or len(f["value"]) > 1024:
                raise ValueError(f"discord: bad field {f}")
    return msg


def _pagerduty(body: bytes, headers: Any) -> dict[str, Any]:
    msg: dict[str, Any] = json.loads(body)
    payload = msg["payload"]
    if msg["event_action"] != "trigger" or not msg["routing_key"] or not msg["dedup_key"]:
        raise ValueError("pagerduty: routing_key, event_action trigger and dedup_key")
    if payload["severity"] not in PD_SEVERITIES or not payload["summary"] or not payload[
            "source"] or len(payload["summary"]) > 1024:
        raise ValueError(f"pagerduty: bad payload {payload}")
    return msg


VALIDATORS = {"/webhook": _webhook, "/slack": _slack, "/discord": _discord,
              "/pagerduty": _pagerduty}


class Receiver:
    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.invalid: list[str] = []
        self.down: dict[str, int] = defaultdict(int)  # path -> posts still answered 503
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.down[self.path] > 0:  # a receiver down for a moment
                    receiver.down[self.path] -= 1
                    self.send_response(503)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    receiver.received[self.path].append(VALIDATORS[self.path](body, self.headers))
                    code = 202
                except Exception as exc:  # recorded for the test to report
                    receiver.invalid.append(f"{self.path}: {exc!r}")
                    code = 400
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def attach(m: MonitorThread, receiver: Receiver) -> MonitorThread:
    """Add the four HTTP sinks, pointed at `receiver`, to `m`'s monitor (before it starts)."""
    logger = logging.getLogger(m.name)
    m.monitor.alerter.sinks += [
        WebhookSink(receiver.url + "/webhook", logger, secret=SECRET),
        SlackSink(receiver.url + "/slack", logger),
        DiscordSink(receiver.url + "/discord", logger),
        PagerDutySink("test-routing-key", logger, url=receiver.url + "/pagerduty"),
    ]
    return m


def chain_events(guard: Any, since: int) -> list[tuple[str, str, int]]:
    """(event, tx, log index) of every event the guard emitted since block `since`."""
    out = []
    for event in ALERTED:
        for ev in getattr(guard.events, event.name).get_logs(from_block=since):
            out.append((event.name, "0x" + bytes(ev["transactionHash"]).hex(),
                        int(ev["logIndex"])))
    return sorted(out)


def settle(m: MonitorThread, head: int, receiver: Receiver, count: int) -> None:
    """Wait until the monitor processed `head` and the webhook received `count` alerts."""
    m.caught_up(head)
    wait_for(lambda: len(receiver.received["/webhook"]) >= count, 10,
             f"{receiver.received['/webhook']} {m.log.getvalue()[-2000:]}")
    time.sleep(0.3)  # a duplicate, if any, would arrive now


def assert_once_at_each_sink(receiver: Receiver, events: list[tuple[str, str, int]],
                             chain_id: int) -> dict[tuple[str, int], dict[str, Any]]:
    """Each of `events` reached every sink exactly once, in each sink's format, and nothing
    else did; returns the webhook's alerts by (tx, log index)."""
    assert receiver.invalid == []
    webhook = receiver.received["/webhook"]
    assert sorted(a["id"] for a in webhook) == sorted(
        f"{chain_id}:{tx}:{i}" for _, tx, i in events)
    assert sorted(a["event"] for a in webhook) == sorted(e for e, _, _ in events)
    summaries = sorted(a["summary"] for a in webhook)
    assert sorted(x["text"] for x in receiver.received["/slack"]) == summaries
    assert sorted(x["content"] for x in receiver.received["/discord"]) == summaries
    assert sorted(x["embeds"][0]["title"] for x in receiver.received["/discord"]) == sorted(
        f"{a['event']} {a['rule'] or ''}".strip() for a in webhook)
    pagerduty = receiver.received["/pagerduty"]
    assert sorted(x["dedup_key"] for x in pagerduty) == sorted(a["id"] for a in webhook)
    assert all(x["payload"]["custom_details"] == a for x in pagerduty for a in webhook
               if a["id"] == x["dedup_key"])
    return {(str(a["tx"]), int(a["id"].rsplit(":", 1)[1])): a for a in webhook}
