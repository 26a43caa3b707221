"""The guard's state, read back from chain at a block, as the reference semantics' `State`.

The monitor never keeps its own copy of the guard's state machine: it reads the guard's views
(`pausedUntil`, `pausedSince`, `suspendedUntil`, `paramBase`, `paramValue`, `firedUntil`) at the
block it evaluates, and hands them to `interlock.semantics.eval_cond`. Overrides are not
exposed one by one; each breaker's override of a param ends at `firedUntil - longest duration +
the set's duration` (docs/semantics.md, "Breaker B fires"), which is exact, and the result is
cross-checked against `paramValue`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode, encode

from interlock.ir.nodes import Program
from interlock.runtime.abi import selector
from interlock.semantics import State, effective_param
from interlock.semantics.rules import breaker_duration

Caller = Callable[[str, bytes, int], Awaitable[bytes]]  # (to, calldata, block) -> return data


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


def _call_data(sig: str, types: Sequence[str], args: Sequence[Any]) -> bytes:
    return selector(sig) + encode(list(types), list(args))


@dataclass(frozen=True)
class ViewCall:
    table: str
    name: str
    out: str
    data: bytes


def guard_calls(program: Program) -> tuple[ViewCall, ...]:
    """Every view the evaluation needs, in a fixed order."""
    calls: list[ViewCall] = []
    for s in program.scopes:
        calls.append(ViewCall("paused_until", s.name, "uint64",
                              _call_data("pausedUntil(uint8)", ["uint8"], [s.index])))
        calls.append(ViewCall("paused_since", s.name, "uint64",
                              _call_data("pausedSince(uint8)", ["uint8"], [s.index])))
    for f in program.feeds:
        calls.append(ViewCall("suspended_until", f.name, "uint64",
                              _call_data("suspendedUntil(uint8)", ["uint8"], [f.index])))
    for p in program.params:
        calls.append(ViewCall("param_base", p.name, "int256",
                              _call_data("paramBase(uint8)", ["uint8"], [p.index])))
        calls.append(ViewCall("param_value", p.name, "int256",
                              _call_data("paramValue(uint8)", ["uint8"], [p.index])))
    for b in program.breakers:
        calls.append(ViewCall("fired_until", b.name, "uint64",
                              _call_data("firedUntil(uint256)", ["uint256"], [b.id])))
    return tuple(calls)


def decode_guard(
    calls: Sequence[ViewCall], replies: Sequence[Any], block: int, timestamp: int
) -> GuardView:
    """The `GuardView` from the replies to `guard_calls` (hex strings or raw bytes); a failed
    read raises (the guard's state is never guessed)."""
    tables: dict[str, dict[str, int]] = {k: {} for k in _TABLES}
    for call, raw in zip(calls, replies, strict=True):
        if isinstance(raw, BaseException):
            raise raw
        data = raw if isinstance(raw, bytes) else bytes.fromhex(str(raw)[2:])
        tables[call.table][call.name] = int(decode([call.out], data)[0])
    return GuardView(block=block, timestamp=timestamp, **tables)


_TABLES = ("paused_until", "paused_since", "suspended_until", "param_base", "param_value",
           "fired_until")


async def read_guard(
    program: Program, call: Caller, guard: str, block: int, timestamp: int = 0
) -> GuardView:
    """Read the guard's views at `block` one call each (the monitor batches them instead)."""
    calls = guard_calls(program)
    replies = await asyncio.gather(*(call(guard, c.data, block) for c in calls))
    return decode_guard(calls, replies, block, timestamp)


def to_state(program: Program, view: GuardView) -> State:
    """The reference semantics' state equal to the guard's at `view.block`."""
    override_until: dict[tuple[str, str], int] = {}
    for b in program.breakers:
        fired = view.fired_until.get(b.name, 0)
        longest = breaker_duration(b)
        for e in b.effects:
            if e.kind == "set":
                override_until[(e.param, b.name)] = (
                    fired - longest + e.duration if fired else 0
                )
    return State(
        now=view.timestamp,
        t0=1,
        paused_until=dict(view.paused_until),
        paused_since=dict(view.paused_since),
        suspended_until=dict(view.suspended_until),
        base=dict(view.param_base),
        override_until=override_until,
        fired_until=dict(view.fired_until),
    )


def param_mismatches(program: Program, view: GuardView, state: State) -> list[str]:
    """Params whose effective value on chain differs from the mirrored state's."""
    return [
        p.name
        for p in program.params
        if effective_param(program, state, p.name) != view.param_value.get(p.name)
    ]
