"""The guard's state, read back from chain at a block, as the reference semantics' `State`.

The monitor never keeps its own copy of the guard's state machine: it reads the guard's views
(`pausedUntil`, `pausedSince`, `suspendedUntil`, `paramBase`, `paramValue`, `firedUntil`) at the
block it evaluates, and hands them to `interlock.semantics.eval_cond`. Overrides are not
exposed one by one; each breaker's override of a param ends at `firedUntil - longest duration +
the set's duration` (docs/semantics.md, "Breaker B fires"), which is exact, and the result is
cross-checked against `paramValue`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interlock.compiler.guard_abi import Function, function
from interlock.ir.nodes import Program
from interlock.runtime.abi import call_data, decode_result
from interlock.semantics import State, effective_param
from interlock.semantics.rules import breaker_duration


@dataclass(frozen=True)
class GuardView:
    """Raw values of the guard's views at one block."""

    block: int
    timestamp: int
    paused_until: dict[str, int]
    paused_since: dict[str, int]
    suspended_until: dict[str, int]
    param_base: dict[str, int]
    param_value: dict[str, int]
    fired_until: dict[str, int]


@dataclass(frozen=True)
class ViewCall:
    table: str
    name: str
    fn: Function
    data: bytes


# GuardView's table -> the guard's view it is read from
_VIEWS = {table: function(name) for table, name in (
    ("paused_until", "pausedUntil"), ("paused_since", "pausedSince"),
    ("suspended_until", "suspendedUntil"), ("param_base", "paramBase"),
    ("param_value", "paramValue"), ("fired_until", "firedUntil"),
)}


def guard_calls(program: Program) -> tuple[ViewCall, ...]:
    """Every view the evaluation needs, in a fixed order."""
    keyed: list[tuple[str, str, int]] = []
    for s in program.scopes:
        keyed += [("paused_until", s.name, s.index), ("paused_since", s.name, s.index)]
    keyed += [("suspended_until", f.name, f.index) for f in program.feeds]
    for p in program.params:
        keyed += [("param_base", p.name, p.index), ("param_value", p.name, p.index)]
    keyed += [("fired_until", b.name, b.id) for b in program.breakers]
    return tuple(ViewCall(table, name, _VIEWS[table], call_data(_VIEWS[table], key))
                 for table, name, key in keyed)


def decode_guard(
    calls: Sequence[ViewCall], replies: Sequence[Any], block: int, timestamp: int
) -> GuardView:
    """The `GuardView` from the replies to `guard_calls` (hex strings or raw bytes); a failed
    read raises (the guard's state is never guessed)."""
    tables: dict[str, dict[str, int]] = {k: {} for k in _VIEWS}
    for call, raw in zip(calls, replies, strict=True):
        if isinstance(raw, BaseException):
            raise raw
        data = raw if isinstance(raw, bytes) else bytes.fromhex(str(raw)[2:])
        tables[call.table][call.name] = int(decode_result(call.fn, data)[0])
    return GuardView(block=block, timestamp=timestamp, **tables)


# How each variable of `State` is mirrored (tests/semantics/test_state_views.py checks this
# covers every one): the `GuardView` table that shows it, or why the monitor does without it.
SHOWN_BY = {
    "paused_until": "paused_until",
    "paused_since": "paused_since",
    "suspended_until": "suspended_until",
    "base": "param_base",
    "fired_until": "fired_until",
}
DERIVED = {"override_until": "from `firedUntil` and the breaker's durations (exact)"}
NOT_MIRRORED = {
    "used_until": "power cooldowns: the monitor uses no power",
    "prev_end": "history for `then open`: no rule reads it",
    "blocked_until": "per sender: the guard enforces blocks itself, no breaker reads them",
}


def to_state(program: Program, view: GuardView) -> State:
    """The reference semantics' state equal to the guard's at `view.block` on every variable
    a breaker's evaluation reads (`NOT_MIRRORED` are empty)."""
    override_until: dict[tuple[str, str], int] = {}
    for b in program.breakers:
        fired = view.fired_until.get(b.name, 0)
        longest = breaker_duration(b)
        for e in b.effects:
            if e.kind == "set":
                override_until[(e.param, b.name)] = (
                    fired - longest + e.duration if fired else 0
                )
    shown = {var: dict(getattr(view, table)) for var, table in SHOWN_BY.items()}
    unknown: dict[str, dict[Any, int]] = {var: {} for var in NOT_MIRRORED}
    return State(now=view.timestamp, t0=1, override_until=override_until, **shown, **unknown)


def param_mismatches(program: Program, view: GuardView, state: State) -> list[str]:
    """Params whose effective value on chain differs from the mirrored state's."""
    return [
        p.name
        for p in program.params
        if effective_param(program, state, p.name) != view.param_value.get(p.name)
    ]
