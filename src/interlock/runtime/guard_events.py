"""The guard's own events, decoded for people: which rule or power, its source line, the
arguments with ids resolved to the rule file's names.

Logs and revert data are decoded from the one definition of the guard's events and errors
(`compiler.guard_abi.GUARD_EVENTS`, `GUARD_ERRORS`). An effect event (`Paused`, `Suspended`,
`SenderBlocked`, ...) is attributed to its cause: the first `BreakerFired` or
`OperationExecuted` log of the same transaction after it (the guard emits the effects of one
firing or one operation together, before that log), and a `FlowRefused` to the firing just
before it, so a pause alert names the breaker or the power that paused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode

from interlock.compiler.guard_abi import GUARD_ERRORS, GUARD_EVENTS, Event
from interlock.ir.nodes import Program, Span
from interlock.runtime.abi import event_topic, selector
from interlock.runtime.observe import LogEntry

# the guard's own events, each an alert (OpenZeppelin's `EIP712DomainChanged` is never emitted)
ALERTED: tuple[Event, ...] = tuple(e for e in GUARD_EVENTS if not e.declared_by_oz)
_BY_TOPIC = {event_topic(e.signature): e for e in ALERTED}
_BY_SELECTOR = {selector(e.signature): e for e in GUARD_ERRORS}
CAUSES = ("BreakerFired", "OperationExecuted", "OperationQueued")

# default severity of each alert's event when the rule file's subject has none configured: every
# event of `ALERTED`, then the monitor's own (schemas/alert.v1.json and docs/monitor.md list both)
DEFAULT_SEVERITY: dict[str, str] = {
    "BreakerFired": "critical", "FlowRefused": "critical", "Paused": "critical",
    "PauseRefused": "critical", "SenderBlocked": "warning", "SenderUnblocked": "info",
    "Suspended": "critical",
    "ParamOverridden": "warning", "OperationExecuted": "warning", "OperationQueued": "warning",
    "OperationCancelled": "warning", "Unpaused": "info", "Resumed": "info",
    "ParamBaseSet": "warning", "TripFailed": "critical", "RuleAlert": "warning",
    "WouldTrip": "warning", "CodeChanged": "critical", "FlowHeld": "critical",
    "HoldClaimed": "info", "HoldCancelled": "warning",
}
SEVERITIES = ("info", "warning", "error", "critical")


@dataclass(frozen=True)
class GuardEvent:
    name: str
    args: dict[str, Any]  # ids resolved to names, addresses and hashes as 0x hex
    subject: str | None  # the breaker or power behind it (`guardian pause`)
    source: str | None  # `venue.guard:12` of that breaker or power
    block: int
    tx_hash: str
    log_index: int


def decode_log(program: Program, log: LogEntry) -> tuple[Event, dict[str, Any]] | None:
    """The guard event of `log` with its raw arguments, or None for a log it does not know."""
    event = _BY_TOPIC.get(log.topics[0]) if log.topics else None
    if event is None:
        return None
    indexed = [p for p in event.inputs if p.indexed]
    plain = [p for p in event.inputs if not p.indexed]
    if len(log.topics) != 1 + len(indexed):
        return None
    values = dict(zip((p.name for p in indexed), (
        decode([p.abi_type], bytes.fromhex(t[2:]))[0] for p, t in zip(
            indexed, log.topics[1:], strict=True)), strict=True))
    values.update(zip((p.name for p in plain), decode([p.abi_type for p in plain], log.data),
                      strict=True))
    return event, {p.name: values[p.name] for p in event.inputs}


def decode_revert(data: bytes) -> str:
    """`RuleCooldown(ruleId=0, readyAt=1700000000)` from a guard revert's data."""
    error = _BY_SELECTOR.get(bytes(data[:4]))
    if error is None:
        return "0x" + data.hex() if data else "reverted without data"
    args = decode([p.abi_type for p in error.inputs], data[4:])
    inner = ", ".join(f"{p.name}={_plain(v)}" for p, v in zip(error.inputs, args, strict=True))
    return f"{error.name}({inner})"


def guard_events(program: Program, block: int, logs: Sequence[LogEntry]) -> list[GuardEvent]:
    """Every guard event of one block's guard logs, attributed to its cause."""
    names = _Names(program)
    decoded = [(log, *d) for log in logs if (d := decode_log(program, log)) is not None]
    causes = [(log, ev, raw) for log, ev, raw in decoded if ev.name in CAUSES]
    out = []
    for log, event, raw in decoded:
        cause = _cause(log, event, raw, causes)
        subject, span = names.subject(cause[0], cause[1]) if cause else (None, None)
        out.append(GuardEvent(
            name=event.name, args={k: names.resolve(k, v) for k, v in raw.items()},
            subject=subject, source=f"{span.file}:{span.line}" if span else None,
            block=block, tx_hash=log.tx_hash, log_index=log.log_index,
        ))
    return out


def _cause(log: LogEntry, event: Event, raw: dict[str, Any],
           causes: Sequence[tuple[LogEntry, Event, dict[str, Any]]]
           ) -> tuple[str, dict[str, Any]] | None:
    if event.name in CAUSES or event.name in ("ParamOverridden", "FlowHeld", "HoldClaimed"):
        return event.name, raw
    same_tx = [c for c in causes if c[0].tx_hash == log.tx_hash]
    if not same_tx:
        return None
    # the guard emits a firing's or an operation's effects before its `BreakerFired` or
    # `OperationExecuted`, and a flow report's `FlowRefused` after the firings that refused it:
    # with two firings in one transaction, the nearest log either side may be the other's
    before = [c for c in same_tx if c[0].log_index < log.log_index]
    after = [c for c in same_tx if c[0].log_index > log.log_index]
    if (event.name == "FlowRefused" and before) or not after:
        cause = max(before, key=lambda c: c[0].log_index)
    else:
        cause = min(after, key=lambda c: c[0].log_index)
    return cause[1].name, cause[2]


class _Names:
    """The rule file's names for the guard's ids and addresses."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.ids: dict[str, Mapping[int, str]] = {
            "scope": {s.index: s.name for s in program.scopes},
            "feed": {f.index: f.name for f in program.feeds},
            "param": {p.index: p.name for p in program.params},
            "ruleId": {b.id: b.name for b in program.breakers},
            "power": {w.id: f"{w.role} {w.kind}" for w in program.powers},
        }
        named: list[tuple[str, str]] = [(x.address, x.name) for x in program.assets]
        named += [(x.address, x.name) for x in program.vaults]
        named += [(x.address, x.name) for x in program.agents]
        self.addresses = {address.lower(): name for address, name in named}

    def resolve(self, key: str, value: Any) -> Any:
        if key in self.ids and isinstance(value, int):
            return self.ids[key].get(value, value)
        if isinstance(value, str) and value.lower() in self.addresses:
            return {"address": value.lower(), "name": self.addresses[value.lower()]}
        return _plain(value)

    def subject(self, cause: str, raw: dict[str, Any]) -> tuple[str | None, Span | None]:
        if "ruleId" in raw:
            breaker = next((b for b in self.program.breakers if b.id == raw["ruleId"]), None)
            return (breaker.name, breaker.span) if breaker else (None, None)
        if "power" in raw:
            power = next((w for w in self.program.powers if w.id == raw["power"]), None)
            return (f"{power.role} {power.kind}", power.span) if power else (None, None)
        return None, None


def _plain(value: Any) -> Any:
    """JSON-friendly: bytes as 0x hex, big ints kept (JSON numbers are arbitrary precision)."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


@dataclass(frozen=True)
class Severities:
    """The severity of an alert: configured per breaker/power name or per event name (in that
    order; `--severity drain=critical`), else the event's default."""

    overrides: Mapping[str, str]

    def of(self, event: str, subject: str | None) -> str:
        if subject is not None and subject in self.overrides:
            return self.overrides[subject]
        return self.overrides.get(event, DEFAULT_SEVERITY.get(event, "warning"))


def parse_severities(program: Program, items: Sequence[str]) -> Severities:
    """`--severity NAME=LEVEL` items (NAME: a breaker, a power as `role kind`, or an event)."""
    names = {b.name for b in program.breakers} | {f"{w.role} {w.kind}" for w in program.powers}
    names |= set(DEFAULT_SEVERITY)
    out: dict[str, str] = {}
    for item in items:
        name, _, level = item.rpartition("=")
        if name not in names or level not in SEVERITIES:
            raise ValueError(f"--severity `{item}`: expected NAME=LEVEL with NAME a breaker, "
                             f"a power (`role kind`) or an event, LEVEL one of "
                             f"{', '.join(SEVERITIES)}")
        out[name] = level
    return Severities(out)
