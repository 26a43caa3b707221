"""Decoding the logs of custom `metric` declarations.

A metric names an event signature, an address and, for `sum`, a field. The signature may be
canonical (`Borrow(address,uint256)`) or carry names and `indexed` flags
(`Borrow(address indexed user, uint256 amount)`); the topic is always the keccak of the canonical
form. The field is a parameter name, or its 0-based position. When the signature does not say
which parameters are indexed, the first `len(topics) - 1` are (Solidity lists indexed parameters
first in most events; declare names and `indexed` to be exact).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eth_abi.abi import decode as abi_decode

from interlock.ir.nodes import CustomMetric
from interlock.runtime.abi import event_topic
from interlock.runtime.observe import LogEntry

_SIG = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$")


@dataclass(frozen=True)
class EventParam:
    type: str
    name: str | None
    indexed: bool | None  # None: not stated


def parse_signature(signature: str) -> tuple[str, tuple[EventParam, ...]]:
    match = _SIG.match(signature)
    if not match:
        raise ValueError(f"not an event signature: `{signature}`")
    name, body = match.group(1), match.group(2).strip()
    params: list[EventParam] = []
    for raw in filter(None, (p.strip() for p in body.split(","))) if body else []:
        words = raw.split()
        indexed = "indexed" in words[1:]
        rest = [w for w in words[1:] if w != "indexed"]
        stated = len(words) > 1
        params.append(EventParam(words[0], rest[0] if rest else None, indexed if stated else None))
    return name, tuple(params)


def canonical(signature: str) -> str:
    name, params = parse_signature(signature)
    return f"{name}({','.join(p.type for p in params)})"


@dataclass(frozen=True)
class CustomDecoder:
    name: str
    address: str
    topic: str
    params: tuple[EventParam, ...]
    field_index: int | None
    window: int

    @classmethod
    def from_metric(cls, metric: CustomMetric) -> CustomDecoder:
        _, params = parse_signature(metric.event)
        index: int | None = None
        if metric.aggregate == "sum":
            if metric.field is None:
                raise ValueError(f"metric `{metric.name}` sums no field")
            names = [p.name for p in params]
            if metric.field in names:
                index = names.index(metric.field)
            elif metric.field.isdigit() and int(metric.field) < len(params):
                index = int(metric.field)
            else:
                raise ValueError(f"event `{metric.event}` has no field `{metric.field}`")
        return cls(
            name=metric.name,
            address=metric.address.lower(),
            topic=event_topic(canonical(metric.event)),
            params=params,
            field_index=index,
            window=metric.window,
        )

    def matches(self, entry: LogEntry) -> bool:
        return entry.address == self.address and bool(entry.topics) and (
            entry.topics[0] == self.topic
        )

    def amount(self, entry: LogEntry) -> int:
        """1 for `count`; the field's integer value for `sum` (raises on a malformed log)."""
        if self.field_index is None:
            return 1
        n_indexed = len(entry.topics) - 1
        flags = [p.indexed for p in self.params]
        if any(f is None for f in flags):
            flags = [i < n_indexed for i in range(len(self.params))]
        if sum(1 for f in flags if f) != n_indexed:
            raise ValueError(f"log of `{self.name}` has {n_indexed} indexed topics")
        param = self.params[self.field_index]
        if flags[self.field_index]:
            pos = sum(1 for f in flags[: self.field_index] if f)
            raw = bytes.fromhex(entry.topics[1 + pos][2:])
            value = abi_decode([param.type], raw)[0]
        else:
            data_types = [p.type for p, f in zip(self.params, flags, strict=True) if not f]
            pos = sum(1 for f in flags[: self.field_index] if not f)
            value = abi_decode(data_types, entry.data)[pos]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"field of `{self.name}` is not an integer")
        return value
