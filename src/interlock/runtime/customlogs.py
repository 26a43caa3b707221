"""Decoding the logs of custom `metric` declarations.

A metric names an event (`ir.EventSignature`, parsed by the front end), an address and, for
`sum`, a field: a parameter name. The topic is the keccak of the canonical form
(`Borrow(address,uint256)`). When the declaration does not say which parameters are indexed
(parameters written as their type alone), the first `len(topics) - 1` are (Solidity lists indexed
parameters first in most events; declare names and `indexed` to be exact).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import decode as abi_decode

from interlock.ir.nodes import CustomMetric, EventParam
from interlock.runtime.abi import event_topic
from interlock.runtime.observe import LogEntry


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
        params = metric.event.params
        index: int | None = None
        if metric.aggregate == "sum":
            summed = metric.summed_param()
            if summed is None:
                raise ValueError(f"event `{metric.event.text()}` has no field `{metric.field}`")
            index = params.index(summed)
        return cls(
            name=metric.name,
            address=metric.address.lower(),
            topic=event_topic(metric.event.canonical()),
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
