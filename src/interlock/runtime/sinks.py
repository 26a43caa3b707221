"""Alert sinks: stdout, a generic signed webhook, Slack, Discord and PagerDuty Events v2.

Each sink receives the alert envelope of `runtime.alerts` (schemas/alert.v1.json) and formats
it for its receiver. A failing sink is logged, never fatal: the monitor's job is to keep
deciding. The webhook body is the envelope itself, signed with HMAC-SHA256 over
`<timestamp>.<body>` (`X-Interlock-Signature: sha256=<hex>`, `X-Interlock-Timestamp`), so a
receiver can check it came from the monitor and is not a replay (docs/monitor.md, "Alerts").
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

import aiohttp

from interlock.runtime.ops import log

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
# Discord embed colours per severity
_COLOURS = {"info": 0x3498DB, "warning": 0xF1C40F, "error": 0xE67E22, "critical": 0xE74C3C}


class AlertSink(Protocol):
    async def send(self, alert: dict[str, Any]) -> None: ...


class StdoutSink:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    async def send(self, alert: dict[str, Any]) -> None:
        out = self.stream or sys.stdout
        out.write(json.dumps({"alert": alert}, default=str) + "\n")
        out.flush()


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The webhook's `X-Interlock-Signature` value."""
    mac = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _Poster:
    """POSTs a JSON body. A receiver that is down for a moment (a 5xx or 429 answer, or no
    answer) is tried again after 0.5 s, 1 s and 2 s, so a page is not lost to a blip; each
    failure is logged, and a refusal (another status >= 300: a bad URL or key) is not retried.
    Sends run beside the monitor's deciding, so retries delay nothing else."""

    name = "webhook"
    retry_delays_s: tuple[float, ...] = (0.5, 1.0, 2.0)

    def __init__(self, url: str, logger: logging.Logger, timeout_s: float = 5.0) -> None:
        self.url = url
        self.logger = logger
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    def body(self, alert: dict[str, Any]) -> dict[str, Any]:
        return alert

    def headers(self, alert: dict[str, Any], body: bytes) -> dict[str, str]:
        return {}

    async def send(self, alert: dict[str, Any]) -> None:
        body = json.dumps(self.body(alert), default=str, sort_keys=True).encode()
        for delay in (*self.retry_delays_s, None):
            if await self._post(alert, body) or delay is None:
                return
            await asyncio.sleep(delay)

    async def _post(self, alert: dict[str, Any], body: bytes) -> bool:
        """One attempt; True when there is nothing to try again."""
        headers = {"Content-Type": "application/json", **self.headers(alert, body)}
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as session,
                session.post(self.url, data=body, headers=headers) as resp,
            ):
                if resp.status < 300:
                    return True
                log(self.logger, logging.WARNING, f"{self.name}_refused",
                    status=resp.status, alert=alert.get("id"))
                return not (resp.status >= 500 or resp.status == 429)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log(self.logger, logging.WARNING, f"{self.name}_failed", url=self.url,
                error=str(exc), alert=alert.get("id"))
            return False


class WebhookSink(_Poster):
    """The envelope as is, signed when a secret is given."""

    def __init__(self, url: str, logger: logging.Logger, timeout_s: float = 5.0,
                 secret: bytes | None = None) -> None:
        super().__init__(url, logger, timeout_s)
        self.secret = secret

    def headers(self, alert: dict[str, Any], body: bytes) -> dict[str, str]:
        out = {"X-Interlock-Alert-Id": str(alert["id"])}
        if self.secret:
            ts = str(int(time.time()))
            out |= {"X-Interlock-Timestamp": ts, "X-Interlock-Signature": sign(
                self.secret, ts, body)}
        return out


def _lines(alert: dict[str, Any]) -> list[tuple[str, str]]:
    """The facts every chat format shows."""
    facts = [("severity", alert["severity"]), ("rule", alert.get("rule") or "-"),
             ("source", alert.get("source") or "-"), ("block", str(alert["block"])),
             ("tx", alert.get("tx") or "-"), ("chain", str(alert["chain_id"])),
             ("guard", alert["guard"])]
    if alert.get("reason"):
        facts.append(("reason", str(alert["reason"])))
    facts += [("arg " + k, json.dumps(v, default=str)) for k, v in alert["args"].items()]
    return facts


class SlackSink(_Poster):
    """A Slack incoming webhook: `text` (the notification) and a section of facts."""

    name = "slack"

    def body(self, alert: dict[str, Any]) -> dict[str, Any]:
        texts = "".join(f"\n> {t}" for t in alert.get("texts", []))
        facts = "\n".join(f"*{k}*: `{v}`" for k, v in _lines(alert))
        return {"text": alert["summary"], "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": alert["summary"][:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (facts + texts)[:3000]}},
        ]}


class DiscordSink(_Poster):
    """A Discord incoming webhook: `content` and one embed coloured by severity."""

    name = "discord"

    def body(self, alert: dict[str, Any]) -> dict[str, Any]:
        return {"content": alert["summary"][:2000], "embeds": [{
            "title": f"{alert['event']} {alert.get('rule') or ''}".strip()[:256],
            "description": "\n".join(alert.get("texts", []))[:4096],
            "color": _COLOURS.get(alert["severity"], 0),
            "fields": [{"name": k, "value": v[:1024], "inline": len(v) < 40}
                       for k, v in _lines(alert)][:25],
        }]}


class PagerDutySink(_Poster):
    """PagerDuty Events API v2: a `trigger` deduplicated on the alert's id."""

    name = "pagerduty"

    def __init__(self, routing_key: str, logger: logging.Logger, url: str = PAGERDUTY_URL,
                 timeout_s: float = 5.0) -> None:
        super().__init__(url, logger, timeout_s)
        self.routing_key = routing_key

    def body(self, alert: dict[str, Any]) -> dict[str, Any]:
        return {
            "routing_key": self.routing_key, "event_action": "trigger",
            "dedup_key": str(alert["id"])[:255],
            "payload": {
                "summary": alert["summary"][:1024], "source": alert["guard"],
                "severity": alert["severity"], "component": alert.get("rule") or "guard",
                "group": alert["protocol"], "class": alert["event"],
                "custom_details": alert,
            },
        }


async def dispatch_alert(sinks: Sequence[AlertSink], alert: dict[str, Any]) -> None:
    await asyncio.gather(*(s.send(alert) for s in sinks))


class SinkConfigError(ValueError):
    """A sink's secret is missing from the environment (message says which variable)."""


@dataclass(frozen=True)
class SinkOptions:
    """Where alerts go besides stdout; secrets are named by environment variable."""

    webhook: str | None = None
    webhook_secret_env: str | None = None
    slack: str | None = None
    discord: str | None = None
    pagerduty_key_env: str | None = None
    pagerduty_url: str = PAGERDUTY_URL

    def build(self, logger: logging.Logger) -> list[AlertSink]:
        sinks: list[AlertSink] = [StdoutSink()]
        if self.webhook:
            secret = _env(self.webhook_secret_env) if self.webhook_secret_env else None
            sinks.append(WebhookSink(self.webhook, logger, secret=secret.encode()
                                     if secret else None))
        if self.slack:
            sinks.append(SlackSink(self.slack, logger))
        if self.discord:
            sinks.append(DiscordSink(self.discord, logger))
        if self.pagerduty_key_env:
            sinks.append(PagerDutySink(_env(self.pagerduty_key_env), logger,
                                       url=self.pagerduty_url))
        return sinks


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SinkConfigError(f"environment variable `{name}` is not set")
    return value
