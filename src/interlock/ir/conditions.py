"""Queries over conditions, and the one traversal every back end interprets them with.

Every phase asks the same questions of a `Cond`: its sub-conditions, its comparisons, its
atoms (as written, or with each score replaced by its tiers' atoms), the state and metrics it
reads. They are answered here, once. A back end that *interprets* a condition (renders it as
Solidity, encodes it in Z3, evaluates it) subclasses `CondFold` and supplies one case per kind;
the recursion, and so the set of condition kinds, lives only in `CondFold.fold` and `children`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from interlock.ir.nodes import (
    And,
    Atom,
    BoolConst,
    Compare,
    Cond,
    Implies,
    Not,
    Or,
    Program,
    StatePred,
)

T = TypeVar("T")


class CondFold(ABC, Generic[T]):
    """An interpretation of conditions: a case per kind, applied bottom-up by `fold`."""

    @abstractmethod
    def compare(self, c: Compare) -> T: ...

    @abstractmethod
    def state(self, c: StatePred) -> T: ...

    @abstractmethod
    def const(self, value: bool) -> T: ...

    @abstractmethod
    def not_(self, item: T) -> T: ...

    @abstractmethod
    def and_(self, items: list[T]) -> T: ...

    @abstractmethod
    def or_(self, items: list[T]) -> T: ...

    def implies(self, left: T, right: T) -> T:
        """`a implies b` is `not a or b` unless the back end has its own connective."""
        return self.or_([self.not_(left), right])

    def fold(self, cond: Cond) -> T:
        if isinstance(cond, Compare):
            return self.compare(cond)
        if isinstance(cond, StatePred):
            return self.state(cond)
        if isinstance(cond, BoolConst):
            return self.const(cond.value)
        if isinstance(cond, Not):
            return self.not_(self.fold(cond.item))
        if isinstance(cond, And):
            return self.and_([self.fold(c) for c in cond.items])
        if isinstance(cond, Or):
            return self.or_([self.fold(c) for c in cond.items])
        return self.implies(self.fold(cond.left), self.fold(cond.right))


def children(cond: Cond) -> tuple[Cond, ...]:
    """The direct sub-conditions of `cond` (none for a comparison, predicate or constant)."""
    if isinstance(cond, Not):
        return (cond.item,)
    if isinstance(cond, And | Or):
        return cond.items
    if isinstance(cond, Implies):
        return (cond.left, cond.right)
    return ()


def subconditions(cond: Cond) -> Iterator[Cond]:
    """`cond` and every condition inside it, in source order (pre-order)."""
    yield cond
    for c in children(cond):
        yield from subconditions(c)


def compares(cond: Cond) -> Iterator[Compare]:
    """The comparisons of `cond`, in source order (scores not expanded)."""
    return (c for c in subconditions(cond) if isinstance(c, Compare))


def atoms(cond: Cond) -> Iterator[Atom]:
    """Every atom object `cond` mentions, in source order, repeats kept, scores not expanded."""
    return (t.atom for c in compares(cond) for t in c.terms)


def expanded_atoms(program: Program, cond: Cond) -> list[Atom]:
    """Every atom of `cond` in source order, each score replaced in place by its tiers' atoms."""
    out: list[Atom] = []
    for atom in atoms(cond):
        if atom.kind == "score":
            for tier in program.score(atom.target).tiers:
                out += expanded_atoms(program, tier.when)
        else:
            out.append(atom)
    return out


def metric_atoms(program: Program, cond: Cond) -> list[Atom]:
    """The distinct metric atoms `cond` reads, scores expanded, params left out."""
    return list(dict.fromkeys(a for a in expanded_atoms(program, cond) if a.kind != "param"))


def score_refs(cond: Cond) -> set[str]:
    """Names of the scores `cond` reads directly."""
    return {a.target for a in atoms(cond) if a.kind == "score"}


def uses_per_sender(program: Program, cond: Cond) -> bool:
    """Whether `cond` (through its scores) reads a `per sender` metric."""
    return any(a.per_sender for a in expanded_atoms(program, cond))


@dataclass(frozen=True)
class Reads:
    """The guard state a condition reads, through its scores."""

    scopes: frozenset[str]  # `paused(S)`
    feeds: frozenset[str]  # `suspended(F)`
    params: frozenset[str]


def reads(program: Program, cond: Cond) -> Reads:
    """The scopes, feeds and params `cond` reads, its scores' tiers included (the front end
    forbids a score inside a score)."""
    conds = [cond, *(t.when for s in sorted(score_refs(cond)) for t in program.score(s).tiers)]
    preds = [c for x in conds for c in subconditions(x) if isinstance(c, StatePred)]
    return Reads(
        scopes=frozenset(p.target for p in preds if p.pred == "paused"),
        feeds=frozenset(p.target for p in preds if p.pred == "suspended"),
        params=frozenset(a.target for x in conds for a in atoms(x) if a.kind == "param"),
    )


def reads_state_only(cond: Cond) -> bool:
    """Whether `cond` reads no metric and no score: only state predicates, params, constants."""
    return all(a.kind == "param" for a in atoms(cond))


def zero_test(op: str, ne: Callable[[Any], Any] = lambda x: x != 0) -> Callable[[Any], Any]:
    """The function `lhs -> lhs OP 0`, chosen once (a compiled condition calls it per block);
    for ints and Z3 terms alike, `ne` builds `!=` where a back end needs its own."""
    if op == "<":
        return lambda lhs: lhs < 0
    if op == "<=":
        return lambda lhs: lhs <= 0
    if op == ">":
        return lambda lhs: lhs > 0
    if op == ">=":
        return lambda lhs: lhs >= 0
    if op == "==":
        return lambda lhs: lhs == 0
    return ne


def compare_zero(lhs: Any, op: str, ne: Callable[[Any], Any] = lambda x: x != 0) -> Any:
    """`lhs OP 0` for ints and Z3 terms alike; `ne` builds `!=` where a back end needs its own."""
    return zero_test(op, ne)(lhs)
