"""One side of a diff: a checked program and the text it came from (for the words shown)."""

from __future__ import annotations

from dataclasses import dataclass

from interlock.ir.nodes import Program


@dataclass(frozen=True)
class Side:
    program: Program
    source: str
