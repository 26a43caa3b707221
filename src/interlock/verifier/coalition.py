"""Coalition properties: the smallest sets of signers and of entities that can use each power.

A role expression is a monotone boolean function of the signer set (thresholds, `and`, `or`,
role members), so "no unilateral signer" holds iff no power's role is satisfied by a single
signer, and "every power needs N signers" iff every power's minimum coalition has at least N
members. Both are decided exactly:

- **exhaustive**: sets are enumerated by increasing size and tested with the reference
  semantics' `role_satisfied`, so the first satisfying set is a minimum and every smaller set
  was tried (the certificate);
- **smt**: when enumeration would exceed `EXHAUSTIVE_BUDGET` evaluations, Z3's `Optimize`
  minimises the coalition size over a boolean per signer (or per entity).

An entity coalition uses every key of its entities (satisfaction is monotone, so more keys never
hurt). Agents are never members of a role, so they never appear.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb

import z3

from interlock.ir.nodes import (
    AllOf,
    Invariant,
    MinCoalitionProp,
    NoUnilateralProp,
    Power,
    Program,
    RoleExpr,
    RoleMember,
    SignerMember,
    Threshold,
)
from interlock.semantics import role_satisfied
from interlock.semantics.trace import Advance, UsePower
from interlock.verifier.describe import describe_power, fmt_duration, power_label
from interlock.verifier.result import Counterexample, PropertyResult, TimelineEntry

EXHAUSTIVE_BUDGET = 20_000  # role evaluations before switching to Z3 Optimize
CERTIFICATE_TITLE = "smallest coalitions per power:"  # first line of a coalition certificate


@dataclass(frozen=True)
class Coalition:
    """A minimum coalition: its members (signer or entity names) and how it was found."""

    members: tuple[str, ...]
    method: str  # "exhaustive" | "smt"


@dataclass(frozen=True)
class PowerCoalitions:
    power: Power
    signers: Coalition
    entities: Coalition
    entity_keys: tuple[str, ...]  # the signers the entity coalition uses

    def by(self, kind: str) -> Coalition:
        return self.signers if kind == "signer" else self.entities


# --- evaluating role expressions on sets of signers ----------------------------------------


def _signers_of(program: Program, expr: RoleExpr, seen: frozenset[str] = frozenset()) -> set[str]:
    if isinstance(expr, SignerMember):
        return {expr.name}
    if isinstance(expr, RoleMember):
        if expr.name in seen:
            return set()
        return _signers_of(program, program.role(expr.name).expr, seen | {expr.name})
    items = expr.members if isinstance(expr, Threshold) else expr.items
    out: set[str] = set()
    for item in items:
        out |= _signers_of(program, item, seen)
    return out


def role_signers(program: Program, role: str) -> tuple[str, ...]:
    """The signers that occur in `role`'s expression (transitively), in declaration order."""
    names = _signers_of(program, program.role(role).expr, frozenset({role}))
    return tuple(s.name for s in program.signers if s.name in names)


# --- minimum coalitions --------------------------------------------------------------------


def _smallest(
    candidates: Sequence[str], accepts: Callable[[frozenset[str]], bool]
) -> tuple[str, ...] | None:
    for size in range(1, len(candidates) + 1):
        for combo in combinations(candidates, size):
            if accepts(frozenset(combo)):
                return combo
    return None


def _enumeration_cost(n: int, answer_hint: int | None = None) -> int:
    top = n if answer_hint is None else answer_hint
    return sum(comb(n, k) for k in range(1, top + 1))


def role_formula(program: Program, expr: RoleExpr, var: Callable[[str], z3.BoolRef]) -> z3.BoolRef:
    """`expr` as a Z3 formula over one boolean per signer (`var(name)`: the signer signs)."""
    if isinstance(expr, SignerMember):
        return var(expr.name)
    if isinstance(expr, RoleMember):
        return role_formula(program, program.role(expr.name).expr, var)
    if isinstance(expr, Threshold):
        parts = [z3.If(role_formula(program, m, var), 1, 0) for m in expr.members]
        return z3.Sum(parts) >= expr.k
    parts_b = [role_formula(program, m, var) for m in expr.items]
    return z3.And(parts_b) if isinstance(expr, AllOf) else z3.Or(parts_b)


def _optimize(
    program: Program, expr: RoleExpr, units: Sequence[str], unit_of: Callable[[str], str]
) -> tuple[str, ...] | None:
    """Minimum number of `units` (signers or entities) whose keys satisfy `expr`."""
    ctx_vars = {u: z3.Bool(f"u_{i}") for i, u in enumerate(units)}
    opt = z3.Optimize()
    opt.add(role_formula(program, expr, lambda signer: ctx_vars[unit_of(signer)]))
    opt.minimize(z3.Sum([z3.If(v, 1, 0) for v in ctx_vars.values()]))
    if opt.check() != z3.sat:
        return None
    model = opt.model()
    return tuple(u for u, v in ctx_vars.items() if z3.is_true(model.eval(v)))


def _minimum(
    program: Program,
    role: str,
    units: Sequence[str],
    keys_of: Callable[[frozenset[str]], frozenset[str]],
    unit_of: Callable[[str], str],
) -> Coalition:
    if _enumeration_cost(len(units)) <= EXHAUSTIVE_BUDGET:
        found = _smallest(units, lambda chosen: role_satisfied(program, role, keys_of(chosen)))
        return Coalition(found or (), "exhaustive")
    # Try small sizes by enumeration first: most roles need 1-3 keys.
    for size in range(1, len(units) + 1):
        if _enumeration_cost(len(units), size) > EXHAUSTIVE_BUDGET:
            break
        for combo in combinations(units, size):
            if role_satisfied(program, role, keys_of(frozenset(combo))):
                return Coalition(combo, "exhaustive")
    expr = program.role(role).expr
    return Coalition(_optimize(program, expr, units, unit_of) or (), "smt")


def role_coalitions(program: Program, role: str) -> tuple[Coalition, Coalition, tuple[str, ...]]:
    """(minimum signer coalition, minimum entity coalition, the keys the latter uses)."""
    signers = role_signers(program, role)
    entity_of = {s.name: s.entity for s in program.signers}
    entities = tuple(dict.fromkeys(entity_of[s] for s in signers))
    keys_by_entity = {e: frozenset(s for s in signers if entity_of[s] == e) for e in entities}

    def entity_keys(chosen: frozenset[str]) -> frozenset[str]:
        return frozenset().union(*(keys_by_entity[e] for e in chosen))

    by_signer = _minimum(program, role, signers, lambda c: c, lambda s: s)
    by_entity = _minimum(program, role, entities, entity_keys, lambda s: entity_of[s])
    keys = tuple(s for s in signers if entity_of[s] in by_entity.members)
    return by_signer, by_entity, keys


def power_coalitions(program: Program) -> tuple[PowerCoalitions, ...]:
    """The minimum coalitions of every power, in declaration order (one search per role)."""
    cache: dict[str, tuple[Coalition, Coalition, tuple[str, ...]]] = {}
    out: list[PowerCoalitions] = []
    for power in program.powers:
        if power.role not in cache:
            cache[power.role] = role_coalitions(program, power.role)
        signers, entities, keys = cache[power.role]
        out.append(PowerCoalitions(power, signers, entities, keys))
    return tuple(out)


# --- the properties ------------------------------------------------------------------------


def _required(prop: NoUnilateralProp | MinCoalitionProp) -> int:
    return 2 if isinstance(prop, NoUnilateralProp) else prop.n


def _in_scope(prop: NoUnilateralProp | MinCoalitionProp, power: Power) -> bool:
    return power.kind not in prop.except_kinds


def _step_value(program: Program, power: Power) -> int | None:
    if power.kind in ("pause", "suspend", "extend"):
        return power.max_duration
    if power.kind == "set":
        param = program.param(power.targets[0])
        lo, hi = power.within or (param.min, param.max)
        return min(max(param.initial, lo), hi)
    return None


def _counterexample(program: Program, pc: PowerCoalitions, by: str) -> Counterexample:
    members = pc.by(by).members
    keys = members if by == "signer" else pc.entity_keys
    use = UsePower(
        power=pc.power.id,
        targets=pc.power.targets,
        value=_step_value(program, pc.power),
        signers=keys,
    )
    action = power_label(program, pc.power)
    if pc.power.delay:
        # signed (queued) at +0s; it takes effect once the timelock has passed
        action += f" (queued, executable after {fmt_duration(pc.power.delay)})"
        steps: tuple[Advance | UsePower, ...] = (Advance(seconds=pc.power.delay), use)
    else:
        steps = (use,)
    entry = TimelineEntry(time=0, actor=", ".join(members), action=action)
    return Counterexample(timeline=(entry,), steps=steps)


def certificate_lines(program: Program, coalitions: Iterable[PowerCoalitions]) -> list[str]:
    """One line per power: its smallest coalition of signers and, as a separate witness (the
    keys of the fewest entities need not be the fewest keys), its smallest of entities."""
    lines = []
    for pc in coalitions:
        s, e = pc.signers.members, pc.entities.members
        signers = "signer" if len(s) == 1 else "signers"
        entities = "entity" if len(e) == 1 else "entities"
        lines.append(
            f"power #{pc.power.id} {pc.power.role}: {describe_power(program, pc.power)} — "
            f"fewest signers: {len(s)} {signers} {{{', '.join(s)}}}; "
            f"fewest entities (a separate witness): {len(e)} {entities} {{{', '.join(e)}}}"
        )
    return lines


def check_coalition(program: Program, invariant: Invariant) -> PropertyResult:
    """Decide a `no unilateral ...` or `every power needs N ...` invariant exactly."""
    prop = invariant.prop
    if not isinstance(prop, NoUnilateralProp | MinCoalitionProp):
        raise TypeError(f"not a coalition property: {prop.kind}")
    start = time.perf_counter()
    coalitions = tuple(pc for pc in power_coalitions(program) if _in_scope(prop, pc.power))
    need = _required(prop)
    offending = [pc for pc in coalitions if 0 < len(pc.by(prop.by).members) < need]
    methods = {pc.by(prop.by).method for pc in coalitions} or {"exhaustive"}
    lines = [CERTIFICATE_TITLE]
    lines += certificate_lines(program, coalitions) or ["no power is in scope of this property"]
    return PropertyResult(
        name=invariant.name,
        status="violated" if offending else "proved",
        method="smt" if "smt" in methods else "exhaustive",
        seconds=time.perf_counter() - start,
        counterexample=_counterexample(program, offending[0], prop.by) if offending else None,
        certificate="\n".join(lines),
        span=invariant.span,
    )
