"""Which breakers the guard checks when a vault reports a flow.

`recordOutflow(asset, amount)` / `recordInflow(asset, amount)` add the flow to the guard's windows,
then try, in rule-id order, every on-chain rule whose condition (scores expanded) reads that
asset's flows in that direction and that has an effect beyond alerts (an alert-only rule acts off
chain only: it must not refuse the flow). The guard generator emits exactly these checks and
the backtest replays them, both from this one definition (docs/guard.md).
"""

from __future__ import annotations

from typing import Literal

from interlock.ir.conditions import expanded_atoms
from interlock.ir.nodes import Breaker, Program

Direction = Literal["outflow", "inflow"]


def flow_checked(program: Program, asset: str, direction: Direction) -> tuple[Breaker, ...]:
    """The breakers a reported `direction` flow of `asset` makes the guard try, in id order."""
    return tuple(
        b
        for b in program.breakers
        if b.onchain
        and any(e.kind != "alert" for e in b.effects)
        and any(a.kind == direction and a.target == asset for a in expanded_atoms(program, b.when))
    )
