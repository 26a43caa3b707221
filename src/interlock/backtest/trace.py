"""The backtest trace format, version 2 (docs/backtest.md): what the rules can observe, per block.

A trace is JSON Lines (optionally gzip-compressed): a `Header` line, one `Block` line per block
(consecutive numbers, non-decreasing timestamps) and an `End` line, so a cut-off file is told
from a complete one. Names (vaults, assets, feeds, scopes) are those the rule file declares;
amounts are base units (a JSON integer or a decimal string). These pydantic models are the one
definition of the format: `schemas/interlock-trace-v2.schema.json` is generated from them.

Version 2 adds the values of custom state reads (`read NAME = call ...`): `start.reads` and each
block's `reads` where they changed, `null` for a read that failed at that block (until a later
value). Version 1 traces (no reads) are read as they are.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

TRACE_FORMAT = "interlock-trace"
TRACE_VERSION = 2
READABLE_VERSIONS = (1, 2)


def _amount(value: Any) -> Any:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


Amount = Annotated[
    int,
    BeforeValidator(_amount),
    Field(ge=0),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0},
                              {"type": "string", "pattern": "^[0-9]+$"}],
                    "description": "base units: an integer or a decimal string"}),
]
SignedInt = Annotated[
    int,
    BeforeValidator(lambda v: int(v) if isinstance(v, str) and v.lstrip("-").isdigit() else v),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^-?[0-9]+$"}]}),
]
Address = Annotated[str, Field(pattern="^0x[0-9a-fA-F]{40}$")]
Hex = Annotated[str, Field(pattern="^0x([0-9a-fA-F]{2})*$")]
Topic = Annotated[str, Field(pattern="^0x[0-9a-fA-F]{64}$")]
Name = Annotated[str, Field(pattern="^[A-Za-z_][A-Za-z0-9_]*$")]
Balances = dict[Name, dict[Name, Amount]]  # vault -> asset -> balance
Reads = dict[Name, SignedInt | None]  # custom state read -> its value (None: the call failed)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Round(_Model):
    """A feed's `latestRoundData` at the end of a block: `answer` and `updatedAt`."""

    answer: SignedInt
    updated_at: Annotated[int, Field(ge=0)]


class Flow(_Model):
    """A guarded call that moves `amount` of `asset` out of (`out`) or into (`in`) `vault`.

    `scope` is the scope the vault checks first (`requireActiveFor(scope, sender)`); without it
    the call is not gated by a pause. `guarded: false` marks funds that leave or enter the vault
    by a path that does not report to the guard (the monitor still sees the `Transfer`)."""

    tx: str | None = None
    sender: Address
    vault: Name
    asset: Name
    direction: Literal["out", "in"]
    amount: Amount
    scope: Name | None = None
    guarded: bool = True


class Call(_Model):
    """Any other transaction the `calls` metric may count."""

    tx: str | None = None
    sender: Address
    to: Address


class Log(_Model):
    """An event log, for custom `metric`s."""

    tx: str | None = None
    address: Address
    topics: Annotated[list[Topic], Field(max_length=4)]
    data: Hex = "0x"


class StartState(_Model):
    """The world before the first block: balances and feed rounds."""

    balances: Balances = Field(default_factory=dict)
    feeds: dict[Name, Round] = Field(default_factory=dict)
    references: dict[Name, Round] = Field(default_factory=dict)
    reads: Reads = Field(default_factory=dict)  # version 2: every read's value before block 1


class Window(_Model):
    start: Annotated[int, Field(ge=0)]  # block timestamps, inclusive
    end: Annotated[int, Field(ge=0)]


class Incident(_Model):
    """What makes a trace an incident: the attack window and the attacker's addresses."""

    attack: Window
    attackers: Annotated[list[Address], Field(min_length=1)]
    containable: bool = True  # what the trace's author expects; the backtest shows the truth
    why_not: str | None = None  # when not containable: the reason, in one sentence


class Header(_Model):
    format: Literal["interlock-trace"]
    version: Literal[1, 2]
    name: Name
    kind: Literal["incident", "benign", "recorded"]
    description: str = ""
    rules: str | None = None  # the rule file the trace was written for, relative to the repo
    block_time: Annotated[int, Field(gt=0)] = 12
    start: StartState = Field(default_factory=StartState)
    incident: Incident | None = None
    figures: dict[str, int | float | str] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)
    distributions: dict[str, str] = Field(default_factory=dict)  # benign: how it was drawn
    recorded: dict[str, int | str] = Field(default_factory=dict)  # `interlock record`: where from


class Block(_Model):
    block: Annotated[int, Field(ge=0)]
    time: Annotated[int, Field(ge=0)]
    flows: list[Flow] = Field(default_factory=list)
    calls: list[Call] = Field(default_factory=list)
    logs: list[Log] = Field(default_factory=list)
    balances: Balances = Field(default_factory=dict)  # end-of-block balances, where they changed
    feeds: dict[Name, Round] = Field(default_factory=dict)  # rounds that changed in this block
    references: dict[Name, Round] = Field(default_factory=dict)
    reads: Reads = Field(default_factory=dict)  # version 2: reads that changed in this block


class End(_Model):
    end: Literal[True]
    blocks: Annotated[int, Field(ge=0)]


__all__ = ["TRACE_FORMAT", "TRACE_VERSION", "Block", "Call", "End", "Flow", "Header",
           "Incident", "Log", "Round", "StartState", "Window"]
