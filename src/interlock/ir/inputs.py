"""The external inputs a breaker reads, and what a failed or suspended read means.

A breaker's condition reads feeds (`latestRoundData`: `price`, `deviation`, `staleness`,
`change`, and the pricing feeds of a `value`) and tokens (`balanceOf`: `tvl`, `value(tvl)`).
Such a read can fail: the feed or token reverts, returns too little data, or burns more than
`READ_GAS`. docs/semantics.md, "Failed reads",
fixes what every back end does then, and the verifier reads the same three facts from here:

- a breaker that reads a suspended feed does not fire (`suspend F` stops every read of F);
- a failed read counts as the condition holding as far as the metrics go: the breaker fires
  when its cooldown allows and its state part (`ir.trip.trip_precondition`) holds — so a
  broken input is bounded exactly like an adversarial one, by cooldowns, `max` and `gap`;
- the cooldown is checked before anything is read, so a cooling rule costs no external call.
"""

from __future__ import annotations

from interlock.ir.conditions import expanded_atoms
from interlock.ir.nodes import Breaker, Program
from interlock.ir.notional import VALUE_KINDS, feeds_priced

FEED_KINDS = frozenset({"price", "deviation", "staleness", "change"})
TOKEN_KINDS = frozenset({"tvl"})
# Gas a single external read may use; a read that needs more fails (docs/semantics.md).
READ_GAS = 100_000


def feeds_read(program: Program, breaker: Breaker) -> tuple[str, ...]:
    """The feeds the breaker's condition (scores expanded) reads, in declaration order."""
    atoms = expanded_atoms(program, breaker.when)
    used = {a.target for a in atoms if a.kind in FEED_KINDS}
    used |= {f for a in atoms for f in feeds_priced(program, a)}  # a value reads its prices
    return tuple(f.name for f in program.feeds if f.name in used)


def reads_inputs(program: Program, breaker: Breaker) -> bool:
    """Whether the breaker's condition makes an external read that can fail."""
    kinds = FEED_KINDS | TOKEN_KINDS | VALUE_KINDS
    return any(a.kind in kinds for a in expanded_atoms(program, breaker.when))
