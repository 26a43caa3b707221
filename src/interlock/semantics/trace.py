"""Steps of the state machine (docs/semantics.md), as data.

A counterexample is a sequence of these steps; the reference semantics, the contract replayer
and the report timeline all read the same values.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from interlock.ir.nodes import Atom


class _Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Advance(_Step):
    """Time passes by `seconds` (≥ 0)."""

    kind: Literal["advance"] = "advance"
    seconds: int


class MetricValue(_Step):
    kind: Literal["metric"] = "metric"
    atom: Atom
    value: int


class Fire(_Step):
    """Breaker `breaker` fires; `metrics` are values that make its condition hold."""

    kind: Literal["fire"] = "fire"
    breaker: str
    metrics: tuple[MetricValue, ...] = ()
    sender: str | None = None  # for `block sender` effects
    # an external read of the condition failed (docs/semantics.md, "Failed reads"): the
    # metrics are then not read, and an on-chain rule holds when its state part does
    failed_reads: bool = False


class UsePower(_Step):
    """Power `power` (its id) is used on `targets` by `signers`.

    `value` is the requested duration (pause, suspend, extend), the new base value (set), or
    None; `sender` is the sender an `unblock` lifts the blocks of. A power of a timelocked
    role takes effect here; it was queued at `queued_at` (None: exactly its delay earlier),
    and runs only between its eta and the end of the grace period (see docs/semantics.md,
    "Timelocked roles").
    """

    kind: Literal["power"] = "power"
    power: int
    targets: tuple[str, ...]
    value: int | None = None
    signers: tuple[str, ...] = ()
    queued_at: int | None = None
    sender: str | None = None  # whom an `unblock` unblocks


Step = Annotated[Advance | Fire | UsePower, Field(discriminator="kind")]
