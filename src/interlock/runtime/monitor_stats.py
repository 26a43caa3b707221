"""What a monitor run did, for tests and the benchmark (bounded: a monitor runs for months)."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from interlock.ir.nodes import Atom
from interlock.runtime.executor import SendResult

KEEP_VALUES = 4096


@dataclass
class Stats:
    blocks: int = 0
    results: deque[SendResult] = field(default_factory=lambda: deque(maxlen=KEEP_VALUES))
    mined: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=KEEP_VALUES))
    latencies_s: deque[float] = field(default_factory=lambda: deque(maxlen=KEEP_VALUES))
    reconnects: int = 0
    values: dict[int, Mapping[Atom, int]] = field(default_factory=dict)  # last blocks' metrics
    holding: dict[int, frozenset[tuple[str, str | None]]] = field(default_factory=dict)

    def record(self, block: int, values: Mapping[Atom, int],
               holding: frozenset[tuple[str, str | None]]) -> None:
        self.values[block] = values
        self.holding[block] = holding
        for old in [b for b in self.values if b <= block - KEEP_VALUES]:
            del self.values[old]
            self.holding.pop(old, None)
