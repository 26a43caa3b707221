"""Conditions as Z3 formulas over free metrics and an over-approximated state, for findings.

The static findings ask "can this condition ever hold?" and "does this score tier ever decide a
breaker?". They read every metric as a fresh integer variable that is never negative (flows,
balances, prices, ratios, durations and counts are all ≥ 0), and a score as the sum of the
weights of its tiers whose condition holds over the same metric variables. The one metric that
can be negative, a custom `sum` over a signed event field, is left unconstrained
(`metric_arith.metric_nonnegative`). The state is
over-approximated per variable:

- `paused(S)` is a free boolean, or false when no breaker effect and no `pause`/`extend` power
  targets `S`; `suspended(F)` likewise with `suspend`;
- a param's effective value lies between the smallest and the largest of its initial value,
  every `set` power's range and every breaker's override value (all inside the declared range).

So "unsatisfiable" here means "never, in any reachable state, for any metric values".
"""

from __future__ import annotations

import z3

from interlock.ir.conditions import CondFold, compare_zero
from interlock.ir.metric_arith import metric_nonnegative
from interlock.ir.nodes import Atom, Compare, Cond, Program, StatePred
from interlock.verifier.notional import consistency

DroppedTier = tuple[str, int]  # (score name, tier index) whose weight is left out


class CondEncoder:
    """Encodes conditions of one program; variables are shared between calls."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.metrics: dict[Atom, z3.ArithRef] = {}
        self.preds: dict[tuple[str, str], z3.BoolRef] = {}
        self.domain: list[z3.BoolRef] = []

    def _metric(self, atom: Atom) -> z3.ArithRef:
        if atom not in self.metrics:
            var = z3.Int(f"m{len(self.metrics)}_{atom.kind}_{atom.target}")
            self.metrics[atom] = var
            if atom.kind == "param":
                lo, hi = param_range(self.program, atom.target)
                self.domain.append(z3.And(var >= lo, var <= hi))
            elif metric_nonnegative(self.program, atom):
                self.domain.append(var >= 0)
        return self.metrics[atom]

    def consistency(self) -> list[z3.BoolRef]:
        """Facts tying value metrics to their parts (`verifier.notional`)."""
        return consistency(self.program, self.metrics)

    def score(self, name: str, drop: DroppedTier | None = None) -> z3.ArithRef:
        total: z3.ArithRef = z3.IntVal(0)
        for index, tier in enumerate(self.program.score(name).tiers):
            if drop == (name, index):
                continue
            total = total + z3.If(self.cond(tier.when), tier.weight, 0)
        return total

    def atom(self, atom: Atom, drop: DroppedTier | None = None) -> z3.ArithRef:
        if atom.kind == "score":
            return self.score(atom.target, drop)
        return self._metric(atom)

    def pred(self, pred: str, target: str) -> z3.BoolRef:
        key = (pred, target)
        if key not in self.preds:
            possible = target in (pausable(self.program) if pred == "paused" else suspendable(
                self.program))
            self.preds[key] = z3.Bool(f"{pred}_{target}") if possible else z3.BoolVal(False)
        return self.preds[key]

    def cond(self, cond: Cond, drop: DroppedTier | None = None) -> z3.BoolRef:
        """`cond` as a Z3 boolean; with `drop`, as if that score tier weighed nothing."""
        return _Z3Cond(self, drop).fold(cond)

    def satisfiable(self, formula: z3.BoolRef, timeout_ms: int = 5_000) -> bool:
        """True unless Z3 proves `formula` unsatisfiable over the metric domain."""
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(formula, *self.domain, *self.consistency())
        return bool(solver.check() != z3.unsat)


def pausable(program: Program) -> set[str]:
    """Scopes that some breaker effect or `pause`/`extend` power can pause."""
    out = {s for b in program.breakers for e in b.effects if e.kind == "pause" for s in e.scopes}
    out |= {t for w in program.powers if w.kind in ("pause", "extend") for t in w.targets}
    return out


def suspendable(program: Program) -> set[str]:
    """Feeds that some breaker effect or `suspend` power can suspend."""
    out = {f for b in program.breakers for e in b.effects if e.kind == "suspend" for f in e.feeds}
    out |= {t for w in program.powers if w.kind == "suspend" for t in w.targets}
    return out


def param_range(program: Program, name: str) -> tuple[int, int]:
    """Bounds on the effective value of param `name` in every reachable state."""
    param = program.param(name)
    values = [param.initial]
    for w in program.powers:
        if w.kind == "set" and w.targets[0] == name:
            values += list(w.within or (param.min, param.max))
    for b in program.breakers:
        values += [e.value for e in b.effects if e.kind == "set" and e.param == name]
    return max(param.min, min(values)), min(param.max, max(values))


class _Z3Cond(CondFold[z3.BoolRef]):
    def __init__(self, enc: CondEncoder, drop: DroppedTier | None) -> None:
        self.enc, self.drop = enc, drop

    def compare(self, c: Compare) -> z3.BoolRef:
        lhs: z3.ArithRef = z3.IntVal(c.constant)
        for term in c.terms:
            lhs = lhs + term.coef * self.enc.atom(term.atom, self.drop)
        return compare_zero(lhs, c.op)

    def state(self, c: StatePred) -> z3.BoolRef:
        return self.enc.pred(c.pred, c.target)

    def const(self, value: bool) -> z3.BoolRef:
        return z3.BoolVal(value)

    def not_(self, item: z3.BoolRef) -> z3.BoolRef:
        return z3.Not(item)

    def and_(self, items: list[z3.BoolRef]) -> z3.BoolRef:
        return z3.And(items)

    def or_(self, items: list[z3.BoolRef]) -> z3.BoolRef:
        return z3.Or(items)

    def implies(self, left: z3.BoolRef, right: z3.BoolRef) -> z3.BoolRef:
        return z3.Implies(left, right)
