"""`ROLE can pause S within D` (issue 16, item 3): the trade-off `gap` and cooldowns make.

A scope's `gap` refuses every new pause for G after a pause ends, and a power's cooldown refuses
its next use; a griefer who trips a breaker chooses when those windows open. The property asks
that the guardian is never shut out for longer than D: its bad state is one where S is open and
every `pause`/`extend` power of ROLE over S would still be refused at `now + D` if only time
passed. A power is ready at the latest of: `now + delay` (a timelocked role queues now), the end
of its cooldown on S, and (for `pause`, which `gap` refuses and `extend` ignores) the end of S's
gap. Powers with a `when` are not counted (their condition may not hold then), so a `proved`
never relies on one; an unsatisfiable role counts for nothing either.
"""

from __future__ import annotations

from collections.abc import Callable

from interlock.ir.nodes import CanPauseProp, Power, Program
from interlock.semantics import role_satisfied
from interlock.semantics.ops import BoolVal, Ops, Val
from interlock.semantics.state import State
from interlock.verifier.symbolic import Slice


def pausing_powers(program: Program, prop: CanPauseProp) -> list[Power]:
    """ROLE's powers that can pause S within D: `pause`/`extend` over S, no `when`."""
    everyone = [s.name for s in program.signers]
    return [
        w
        for w in program.powers
        if w.role == prop.role
        and w.kind in ("pause", "extend")
        and prop.scope in w.targets
        and w.when is None
        and w.delay <= prop.within
        and role_satisfied(program, w.role, everyone)
    ]


def seed_can_pause(prop: CanPauseProp) -> Slice:
    return Slice(scopes={prop.scope})


def _ready(o: Ops, program: Program, st: State, w: Power, prop: CanPauseProp) -> BoolVal:
    deadline = st.now + prop.within
    pu = st.paused_until[prop.scope]
    conds: list[BoolVal] = []
    key = (w.id, prop.scope)
    if w.cooldown is not None and key in st.used_until:
        uu: Val = st.used_until[key]
        conds.append(o.or_(uu == 0, uu + w.cooldown <= deadline))
    gap = program.scope(prop.scope).gap
    if w.kind == "pause" and gap is not None:
        conds.append(o.or_(pu == 0, pu + gap <= deadline))
    return o.and_(*conds)


def bad_can_pause(o: Ops, program: Program, prop: CanPauseProp) -> Callable[[State], BoolVal]:
    powers = pausing_powers(program, prop)

    def bad(st: State) -> BoolVal:
        paused = st.now < st.paused_until[prop.scope]
        ready = [_ready(o, program, st, w, prop) for w in powers]
        return o.and_(o.not_(paused), o.not_(o.or_(*ready)))

    return bad
