"""What the verifier reports for one property (SPEC §6 `properties[]`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from interlock.ir.nodes import Span
from interlock.semantics.trace import Step

Status = Literal["proved", "violated", "unknown"]


class TimelineEntry(BaseModel):
    """One row of SPEC §6's `counterexample.steps`: `time` in seconds from the start."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    time: int
    actor: str
    action: str


class Counterexample(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    timeline: tuple[TimelineEntry, ...]
    steps: tuple[Step, ...]  # the machine-readable trace that replays it
    loop_start: int | None = None  # for a lasso: index into `steps` where the cycle starts


class PropertyResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    status: Status
    method: str  # "induction", "k-induction (k=3)", "chc (spacer)", "bmc", "exhaustive", ...
    depth: int | None = None  # for bounded results
    seconds: float
    counterexample: Counterexample | None = None
    bound: int | None = None  # `never locked forever`: tightest proved bound, seconds
    bound_tight: bool | None = None  # the bound is witnessed too (`bound - 1s` is refuted)
    certificate: str | None = None  # the invariant or k, in the language's terms (--explain)
    reason: str | None = None  # why `unknown` (timeout, depth)
    span: Span
    breaks: str | None = None  # the state at the end of a counterexample that breaks the
    # property, in words (text report); filled by the engine from a replay (`explain.py`)
