"""Is a power's role satisfied by the signers so far, and if not, who is missing.

Satisfaction is the reference semantics' `role_satisfied` (the same meaning the verifier proves
and the guard enforces). The missing sets are the smallest sets of not-yet-signed members that
would complete the role, found by enumerating candidate sets by size (roles are small);
`with_caller` gives them again for each member that could submit the operation itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from interlock.ir.nodes import Program, RoleExpr
from interlock.semantics import role_satisfied

MAX_SETS = 20  # listed at most; more are summarised by their count
MAX_CANDIDATES = 4000  # sets tried per size before giving up listing


@dataclass(frozen=True)
class RoleStatus:
    role: str
    satisfied: bool
    missing: tuple[tuple[str, ...], ...]  # smallest completing sets of signer names
    more: bool  # more sets of that size exist than listed


def members(program: Program, expr: RoleExpr, seen: frozenset[str] = frozenset()) -> list[str]:
    """Every signer the role expression mentions, directly or through other roles."""
    if expr.kind == "signer":
        return [expr.name]
    if expr.kind == "role":
        if expr.name in seen:
            return []
        return members(program, program.role(expr.name).expr, seen | {expr.name})
    items = expr.members if expr.kind == "threshold" else expr.items
    return list(dict.fromkeys(n for m in items for n in members(program, m, seen)))


def role_status(program: Program, role: str, signed: Iterable[str]) -> RoleStatus:
    have = frozenset(signed)
    if role_satisfied(program, role, have):
        return RoleStatus(role, True, (), False)
    pool = [n for n in members(program, program.role(role).expr) if n not in have]
    for size in range(1, len(pool) + 1):
        found: list[tuple[str, ...]] = []
        for tried, extra in enumerate(combinations(pool, size)):
            if tried >= MAX_CANDIDATES:
                break
            if role_satisfied(program, role, have | set(extra)):
                found.append(extra)
        if found:
            return RoleStatus(role, False, tuple(found[:MAX_SETS]), len(found) > MAX_SETS)
    return RoleStatus(role, False, (), False)


def with_caller(program: Program, role: str,
                signed: Iterable[str]) -> tuple[tuple[str, RoleStatus], ...]:
    """For each member that has not signed, in the role's order: the role's status if that
    member submits the operation itself. The guard counts `msg.sender`, when it is a declared
    signer, as that signer's approval beside the signatures (docs/guard.md, "Contract
    callers"): a Safe's `execTransaction`, a governance executor, or a member's own key."""
    have = list(dict.fromkeys(signed))
    return tuple((m, role_status(program, role, [*have, m]))
                 for m in members(program, program.role(role).expr) if m not in have)


def describe_set(program: Program, names: tuple[str, ...]) -> str:
    """`carol (auditor) + dave (community)`."""
    return " + ".join(f"{n} ({program.signer(n).entity})" for n in names)
