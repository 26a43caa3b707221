"""What a semantic diff reports: one `Change` per aspect that differs, with a verdict.

A verdict says what the change does to the guarantees of the rules (docs/diff.md defines
"weaker" for every kind of change): `weakens` (the guard protects less), `strengthens`,
`neutral` (no semantic difference, e.g. a rename), `incomparable` (weaker in some states or
for some coalitions and stronger in others; it counts as a weakening for the exit code).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from interlock.ir.nodes import Span
from interlock.verifier.describe import fmt_duration

Verdict = Literal["weakens", "strengthens", "neutral", "incomparable"]
Subject = Literal["power", "scope", "breaker", "invariant", "param", "declaration"]
WEAKENING: frozenset[str] = frozenset({"weakens", "incomparable"})
INF = float("inf")


class Change(BaseModel):
    """One aspect of one declaration that differs between the old and the new rule file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: Subject
    name: str  # what an `accept` names: the role (power), scope, breaker, invariant or param
    label: str  # the declaration in the rule file's words
    aspect: str  # `added`, `removed`, `renamed`, `coalition`, `timelock`, `condition`, ...
    before: str
    after: str
    verdict: Verdict
    evidence: str  # the witness state, the coalition, the bound that decides the verdict
    code: str | None = None  # W10xx, set when the verdict weakens (or is incomparable)
    span: Span | None = None  # where it is in the new file; None when it is gone
    accepted: str | None = None  # the rule file's reason when it accepts this code
    changed: bool = True  # False: listed by `--all` only, the same before and after

    @property
    def fails(self) -> bool:
        """A weakening that the new rule file does not accept."""
        return self.verdict in WEAKENING and self.accepted is None


def join(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict of several aspects together: weaker in one and stronger in another is
    incomparable; neutral aspects do not count."""
    seen = {v for v in verdicts if v != "neutral"}
    if not seen:
        return "neutral"
    if "incomparable" in seen or seen == {"weakens", "strengthens"}:
        return "incomparable"
    return next(iter(seen))


def by_size(before: float, after: float, *, larger_is_weaker: bool) -> Verdict:
    """The verdict of a number that changed (a duration, a bound, a coalition size)."""
    if before == after:
        return "neutral"
    weaker = after > before if larger_is_weaker else after < before
    return "weakens" if weaker else "strengthens"


def by_inclusion(before: frozenset[object], after: frozenset[object]) -> Verdict:
    """The verdict of a set of things allowed (targets, values): more allowed is weaker."""
    if before == after:
        return "neutral"
    if after > before:
        return "weakens"
    return "strengthens" if after < before else "incomparable"


class Aspect(NamedTuple):
    """What differs in one aspect of a declaration, before it is attached to it."""

    aspect: str
    before: str
    after: str
    verdict: Verdict
    evidence: str
    code: str  # the code this aspect's weakening has
    changed: bool = True  # False: the same before and after (shown only with `--all`)


def same(aspect: str, value: str) -> Aspect:
    """An aspect that did not change, for the side-by-side listing of `--all`."""
    return Aspect(aspect, value, value, "neutral", "unchanged", "", changed=False)


def shown(aspects: Iterable[Aspect], every: bool) -> list[Aspect]:
    """The aspects to report: those that changed, or all of them with `every`."""
    return [a for a in aspects if every or a.changed]


def change(subject: Subject, name: str, label: str, a: Aspect, span: Span | None) -> Change:
    """A change; its code is kept only when the verdict weakens (or is incomparable)."""
    return Change(subject=subject, name=name, label=label, aspect=a.aspect, before=a.before,
                  after=a.after, verdict=a.verdict, evidence=a.evidence,
                  code=a.code if a.verdict in WEAKENING else None, span=span,
                  changed=a.changed)


def duration(aspect: str, before: int | None, after: int | None, none: float,
             larger_is_weaker: bool, why: str, code: str) -> Aspect:
    """A duration aspect; `none` is what a missing value counts as (0, or INF: unbounded)."""
    words = "unbounded" if none == INF else "none"

    def fmt(value: int | None) -> str:
        return words if value is None else fmt_duration(value)

    if before == after:
        return same(aspect, fmt(after))
    verdict = by_size(none if before is None else before, none if after is None else after,
                      larger_is_weaker=larger_is_weaker)
    return Aspect(aspect, fmt(before), fmt(after), verdict, why, code)
