"""Compare checked programs without their positions (for round-trip and fuzz tests)."""

from __future__ import annotations

from typing import Any

from interlock.ir import nodes as ir


def strip(value: Any) -> Any:
    """A dumped IR without spans or source identity (path and hash)."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items()
                if k not in ("span", "source_path", "source_sha256")}
    if isinstance(value, list | tuple):
        return [strip(v) for v in value]
    return value


def without_positions(node: ir.Node) -> Any:
    return strip(node.model_dump(mode="json"))
