"""What the guard checks when the agent trips an off-chain rule.

The guard cannot measure an off-chain rule's metrics, so `trip` checks only the top-level
conjuncts of the rule's condition that read no metric and no score (state predicates, params);
the rest is the agent's word. SPEC §4 promises that proofs cover a compromised agent key, so the
verifier gives the agent exactly this power: the guard generator and the reference semantics
both read `trip_precondition`, and nothing else decides when an off-chain rule may fire.
"""

from __future__ import annotations

from interlock.ir.conditions import reads_state_only
from interlock.ir.nodes import And, BoolConst, Breaker, Cond, Program


def trip_precondition(program: Program, breaker: Breaker) -> Cond | None:
    """The part of an off-chain rule's condition `trip` checks on chain (None: nothing)."""
    conjuncts = list(breaker.when.items) if isinstance(breaker.when, And) else [breaker.when]
    fixed = [c for c in conjuncts if not isinstance(c, BoolConst) and reads_state_only(c)]
    if not fixed:
        return None
    return fixed[0] if len(fixed) == 1 else And(items=tuple(fixed))
