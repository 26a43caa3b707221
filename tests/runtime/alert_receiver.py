"""A local HTTP server standing in for the webhook, Slack, Discord and PagerDuty receivers.

Each path validates what its real receiver requires and records the payload; a payload that
fails validation is recorded under `invalid` with the reason (and answered 400, as the
services do), so a test asserts both the alerts and that none was malformed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

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
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
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
