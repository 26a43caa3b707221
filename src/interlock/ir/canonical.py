"""The canonical text of a checked program and of one power: what a guard's signatures bind.

Canonical means independent of how the rule file is written: spans (line/column), the file's
path and its byte hash are left out, so reformatting a file or editing its comments keeps the
text (and a signature over its hash) while any change of meaning (a signer, a threshold, a
bound, a power's order) changes it. The text is compact JSON with sorted keys of the frozen
IR (`nodes.Program`, `nodes.Power`); `IR_VERSION` is part of a program's text.

`rules_text` is the program's text without its addresses: what a guard's `rulesHash` hashes
beside the addresses it was deployed with (`ir.addresses`), so the same rules keep one rules
text on every network.
"""

from __future__ import annotations

import json
from typing import Any

from interlock.ir.nodes import Node, Power, Program

# where a program's text says how it was written, not what it means
_NOT_MEANING = frozenset({"span", "source_path", "source_sha256"})
# the fields of a program that hold addresses (`nodes.Signer`, `Agent`, `Asset`, `Vault`,
# `Feed`, `CustomMetric`): chosen per network at deploy time
_ADDRESSES = frozenset({"address", "reference"})


def _strip(value: Any, dropped: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, dropped) for k, v in value.items() if k not in dropped}
    if isinstance(value, list):
        return [_strip(v, dropped) for v in value]
    return value


def canonical_text(node: Node, dropped: frozenset[str] = _NOT_MEANING) -> str:
    """Compact, key-sorted JSON of `node` without spans, path or source hash."""
    return json.dumps(_strip(node.model_dump(mode="json"), dropped), sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True)


def program_text(program: Program) -> str:
    return canonical_text(program)


def rules_text(program: Program) -> str:
    """The program's text without any address (its rules on every network)."""
    return canonical_text(program, _NOT_MEANING | _ADDRESSES)


def power_text(power: Power) -> str:
    """A power's identity: its role, kind, expanded targets, bounds, condition and index."""
    return canonical_text(power)
