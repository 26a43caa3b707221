"""Alerts as the sinks receive them: one versioned envelope (schemas/alert.v1.json).

An alert's `id` is derived from chain data only (chain id, transaction, log index; for a rule
alert the rule and block; for a trip that cannot be sent the rule, sender and first block of the
episode), so every replica of a monitor produces the same id for the same
event: receivers deduplicate on it (PagerDuty's `dedup_key`, the webhook's
`X-Interlock-Alert-Id`), and a monitor never sends one id twice itself (`Deduper`), even when
a reorg makes it re-process a block.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interlock.ir.nodes import AlertEffect, Program
from interlock.runtime.evaluate import Decision
from interlock.runtime.guard_events import GuardEvent, Severities
from interlock.runtime.sinks import AlertSink, dispatch_alert

SCHEMA_VERSION = "1"
SCHEMA_ID = "https://interlock.dev/schemas/alert.v1.json"


@dataclass(frozen=True)
class AlertContext:
    chain_id: int
    guard: str
    program: Program
    severities: Severities
    dry_run: bool = False

    def texts(self, rule: str | None) -> list[str]:
        """The breaker's `alert "..."` texts."""
        breaker = next((b for b in self.program.breakers if b.name == rule), None)
        if breaker is None:
            return []
        return [e.text for e in breaker.effects if isinstance(e, AlertEffect)]

    def source(self, rule: str) -> str | None:
        breaker = next((b for b in self.program.breakers if b.name == rule), None)
        return f"{breaker.span.file}:{breaker.span.line}" if breaker else None

    def envelope(self, *, id: str, kind: str, event: str, rule: str | None,
                 source: str | None, block: int, tx: str | None, status: str,
                 args: dict[str, Any], reason: str | None = None) -> dict[str, Any]:
        severity = self.severities.of(event, rule)
        what = f"{event} {rule}" if rule else event
        return {
            "schema": SCHEMA_ID, "schema_version": SCHEMA_VERSION, "id": id, "kind": kind,
            "event": event, "severity": severity, "status": status,
            "chain_id": self.chain_id, "guard": self.guard.lower(),
            "protocol": self.program.protocol, "rule": rule, "source": source,
            "block": block, "tx": tx, "args": args, "texts": self.texts(rule),
            "reason": reason, "dry_run": self.dry_run,
            "summary": f"{self.program.protocol}: {what} at block {block}"
                       + (f" ({reason})" if reason else ""),
        }


def event_alert(ctx: AlertContext, ev: GuardEvent) -> dict[str, Any]:
    """A guard event, mined in block `ev.block`."""
    return ctx.envelope(id=f"{ctx.chain_id}:{ev.tx_hash}:{ev.log_index}", kind="guard_event",
                        event=ev.name, rule=ev.subject, source=ev.source, block=ev.block,
                        tx=ev.tx_hash, status="confirmed", args=ev.args)


def decision_alert(ctx: AlertContext, d: Decision, *, status: str, block: int,
                   tx: str | None = None, reason: str | None = None,
                   since: int | None = None) -> dict[str, Any]:
    """A decision whose transaction reverted when mined (`tx`) or could not be sent
    (status `failed`), or that a dry run would have sent (`dry-run`). An unsendable trip is
    keyed on its episode, the block `since` which its sends fail (default `d.block`): a trip
    that fails at every block (an unfunded agent) is one alert, not one page per block."""
    failed = status == "failed"
    key = tx or f"{d.method}:{d.rule_id}:{d.sender or ''}:{d.block if since is None else since}"
    return ctx.envelope(id=f"{ctx.chain_id}:{'failed' if failed else 'dry-run'}:{key}",
                        kind="trip_failed" if failed else "dry_run",
                        event="TripFailed" if failed else "WouldTrip", rule=d.breaker,
                        source=ctx.source(d.breaker), block=block, tx=tx, status=status,
                        reason=reason, args={"method": d.method, "ruleId": d.rule_id,
                                             "sender": d.sender, "decided_at": d.block})


def rule_alert(ctx: AlertContext, d: Decision) -> dict[str, Any]:
    """An off-chain rule whose only effect is `alert "..."`: it holds at block `d.block`."""
    return ctx.envelope(id=f"{ctx.chain_id}:rule:{d.rule_id}:{d.sender or ''}:{d.block}",
                        kind="rule_alert", event="RuleAlert", rule=d.breaker,
                        source=ctx.source(d.breaker), block=d.block, tx=None,
                        status="observed", args={"sender": d.sender})


def code_alert(ctx: AlertContext, *, contract: str, address: str, code_hash: str, block: int,
               reason: str) -> dict[str, Any]:
    """A watched contract whose code changed, or a guard whose code is not the build's, found
    when the monitor (re)connected with the last processed block `block`."""
    return ctx.envelope(id=f"{ctx.chain_id}:code:{address.lower()}:{code_hash}",
                        kind="code_changed", event="CodeChanged", rule=None, source=None,
                        block=block, tx=None, status="observed", reason=reason,
                        args={"contract": contract, "address": address.lower(),
                              "code_hash": code_hash})


class Deduper:
    """The ids already alerted (bounded: the newest `keep`)."""

    def __init__(self, keep: int = 4096) -> None:
        self.keep = keep
        self._seen: OrderedDict[str, None] = OrderedDict()

    def first(self, alert_id: str) -> bool:
        """True the first time `alert_id` is seen."""
        if alert_id in self._seen:
            return False
        self._seen[alert_id] = None
        if len(self._seen) > self.keep:
            self._seen.popitem(last=False)
        return True


class Alerter:
    """Sends each alert id once to every sink."""

    def __init__(self, sinks: Sequence[AlertSink]) -> None:
        self.sinks = list(sinks)
        self.deduper = Deduper()

    async def send(self, alert: dict[str, Any]) -> None:
        if self.deduper.first(str(alert["id"])):
            await dispatch_alert(self.sinks, alert)
