"""`S blocked at most D`, decided by reduction to `paused at most` (docs/semantics.md, "Blocks").

One sender's block from S behaves exactly as a scope without `max` or `gap`: every firing of a
breaker with `block sender from S` (or `block sender`) "pauses" it until `now + D` at least
(never shortening it, a block at the very end of the last one continuing it), and every
`unblock` power over S "unpauses" it. The reduction adds that scope (`BLOCKED`, a name no rule
file can spell) to the program, with those effects and powers, and proves `BLOCKED paused at
most D` there with the temporal engine.

Every firing of a blocking breaker blocks the one sender the property is about (`VICTIM`).
This is the worst case for a bound: a firing against someone else only spends the breaker's
cooldown, and its other effects are the same either way; so `proved` holds for every sender,
and a counterexample is a real run (the agent names the victim each time). A counterexample
is mapped back to the rule file's own steps: the victim is the sender of each blocking
firing and of each `unblock`.
"""

from __future__ import annotations

from interlock.ir.nodes import (
    BlockedAtMostProp,
    Breaker,
    Invariant,
    PausedAtMostProp,
    PauseEffect,
    Power,
    Program,
    Scope,
)
from interlock.semantics.trace import Fire, Step, UsePower
from interlock.verifier.result import PropertyResult

BLOCKED = "blocked sender"  # the reduced scope: a space, so no rule file can name it
VICTIM = "victim"  # the sender a counterexample blocks


def blocks(b: Breaker, scope: str) -> tuple[int, ...]:
    """The durations of `b`'s blocks that cover `scope`."""
    return tuple(e.duration for e in b.effects if e.kind == "block" and e.scope in (None, scope))


def reduce_blocks(program: Program, scope: str) -> Program:
    """`program` with a victim's block from `scope` as the scope `BLOCKED`."""
    sc = program.scope(scope)
    blocked = Scope(name=BLOCKED, index=len(program.scopes), max_pause=None, gap=None,
                    span=sc.span)
    breakers = tuple(
        b.model_copy(update={"effects": (*b.effects, *(
            PauseEffect(scopes=(BLOCKED,), duration=d, span=b.span) for d in blocks(b, scope)))})
        for b in program.breakers
    )
    powers = tuple(_unpause(w) if _unblocks(w, scope) else w for w in program.powers)
    return program.model_copy(update={"scopes": (*program.scopes, blocked),
                                      "breakers": breakers, "powers": powers})


def _unblocks(w: Power, scope: str) -> bool:
    return w.kind == "unblock" and scope in w.targets


def _unpause(w: Power) -> Power:
    return w.model_copy(update={"kind": "unpause", "targets": (BLOCKED,)})


def check_blocked(program: Program, invariant: Invariant, timeout_s: float) -> PropertyResult:
    """Decide `S blocked at most D` (the result speaks of the rule file's own steps)."""
    from interlock.verifier.temporal import check_temporal
    from interlock.verifier.timeline import timeline

    prop = invariant.prop
    assert isinstance(prop, BlockedAtMostProp)
    reduced = reduce_blocks(program, prop.scope)
    paused = PausedAtMostProp(scope=BLOCKED, limit=prop.limit, open_gap=None,
                              assuming=prop.assuming)
    res = check_temporal(reduced, invariant.model_copy(update={"prop": paused}), timeout_s)
    cex = res.counterexample
    if cex is None:
        return res
    steps = tuple(_unreduced(program, prop.scope, s) for s in cex.steps)
    cex = cex.model_copy(update={"steps": steps, "timeline": timeline(program, steps)})
    return res.model_copy(update={"counterexample": cex})


def _unreduced(program: Program, scope: str, s: Step) -> Step:
    if isinstance(s, Fire) and blocks(program.breaker(s.breaker), scope):
        return s.model_copy(update={"sender": VICTIM})
    if isinstance(s, UsePower) and _unblocks(program.powers[s.power], scope):
        return s.model_copy(update={"targets": (scope,), "sender": VICTIM})
    return s
