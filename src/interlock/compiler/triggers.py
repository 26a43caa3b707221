"""How the monitor triggers each breaker: which entry point of the generated guard it calls.

`poke(id)` for a breaker the guard evaluates on chain (it re-checks the condition itself),
`tripSender(id, sender)` for one that reads a `per sender` metric, `trip(id)` for the other
off-chain ones (the agent's word), and no transaction (`alert`) for a breaker whose only effects
are alerts. The generated monitor's rule table and the runtime's decisions both read it.
"""

from __future__ import annotations

from typing import Literal

from interlock.ir.conditions import uses_per_sender
from interlock.ir.nodes import Breaker, Program

Method = Literal["poke", "trip", "tripSender", "alert"]


def only_alerts(breaker: Breaker) -> bool:
    return all(e.kind == "alert" for e in breaker.effects)


def method_of(breaker: Breaker, per_sender: bool) -> Method:
    if only_alerts(breaker):
        return "alert"
    if per_sender:
        return "tripSender"
    return "poke" if breaker.onchain else "trip"


def trigger(program: Program, breaker: Breaker) -> Method:
    """The guard entry point the monitor calls for `breaker`."""
    return method_of(breaker, uses_per_sender(program, breaker.when))
