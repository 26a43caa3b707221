"""Which breakers the guard checks when a vault reports a flow.

`recordOutflow(asset, amount)` / `recordInflow(asset, amount)` add the flow to the guard's windows,
then try, in rule-id order, every on-chain rule whose condition (scores expanded) reads that
asset's flows in that direction (or their value) and that has an effect beyond alerts (an
alert-only rule acts off chain only: it must not refuse the flow). The guard generator emits
exactly these checks and the backtest replays them, both from this one definition
(docs/guard.md).

`flow(ASSET)` is the amount of the outflow being reported: a rule reading it is tried on every
outflow report of that asset. A fired rule with a `hold flow` effect holds the flow instead of
refusing it (`holds_flow`); a fired rule without one refuses it, and a refusal wins.
"""

from __future__ import annotations

from typing import Literal

from interlock.ir.conditions import expanded_atoms
from interlock.ir.nodes import Atom, Breaker, Program
from interlock.ir.notional import VALUE_OF_KIND, assets_read

Direction = Literal["outflow", "inflow"]


def flow_checked(program: Program, asset: str, direction: Direction) -> tuple[Breaker, ...]:
    """The breakers a reported `direction` flow of `asset` makes the guard try, in id order."""
    return tuple(
        b
        for b in program.breakers
        if b.onchain
        and any(e.kind != "alert" for e in b.effects)
        and any(_reads_flow(program, a, asset, direction)
                for a in expanded_atoms(program, b.when))
    )


def reads_flow(program: Program, b: Breaker) -> bool:
    """Whether the breaker's condition (scores expanded) reads the current flow, `flow(..)`."""
    return any(a.kind == "flow" for a in expanded_atoms(program, b.when))


def hold_duration(b: Breaker) -> int | None:
    """How long the breaker holds the flow it fires on (None: it has no `hold flow`)."""
    return max((e.duration for e in b.effects if e.kind == "hold"), default=None)


def _reads_flow(program: Program, a: Atom, asset: str, direction: Direction) -> bool:
    """`a` is the flow, the current outflow (`flow(..)`), or a value of the flow
    (`value(outflow(*, W))` reads every priced asset's)."""
    if a.kind == direction or (a.kind == "flow" and direction == "outflow"):
        return a.target == asset
    return a.kind == VALUE_OF_KIND[direction] and asset in assets_read(program, a)
