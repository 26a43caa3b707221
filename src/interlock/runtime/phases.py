"""Which breakers a block's logs can change: the others are decided before the logs arrive.

A block is read in two concurrent requests (`ingest.Node.fetch_state`, `fetch_logs`). A breaker
whose condition — scores expanded — reads only chain state (feeds, balances, the guard's
params) is decided as soon as the state answers; one that reads a window of logs or
transactions (`outflow`, `inflow`, `calls`, custom `metric`s) once the logs are counted. So at
10,000 logs per block a feed rule is not late because the node filters the block's logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from interlock.ir.conditions import expanded_atoms
from interlock.ir.nodes import Program
from interlock.runtime.evaluate import Outcome, RulePlan

COUNTED_KINDS = frozenset({"outflow", "inflow", "calls", "metric", "value_outflow",
                           "value_inflow"})  # windows of the block's logs or transactions:
# known once the block is counted


def needs_logs(program: Program, rule: RulePlan) -> bool:
    return rule.per_sender or any(
        a.kind in COUNTED_KINDS for a in expanded_atoms(program, rule.breaker.when))


@dataclass(frozen=True)
class Phases:
    early: tuple[RulePlan, ...]  # decided from the block's state alone
    late: tuple[RulePlan, ...]  # decided once its logs are counted

    @classmethod
    def of(cls, program: Program, rules: tuple[RulePlan, ...]) -> Phases:
        late = [needs_logs(program, r) for r in rules]
        return cls(tuple(r for r, x in zip(rules, late, strict=True) if not x),
                   tuple(r for r, x in zip(rules, late, strict=True) if x))


def joined(first: Outcome, second: Outcome) -> Outcome:
    """The outcome of a block decided in two phases."""
    return Outcome(first.decisions + second.decisions, first.evaluated + second.evaluated,
                   first.holding | second.holding, first.skipped + second.skipped)
