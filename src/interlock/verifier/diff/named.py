"""Declarations matched by name (after renames): which are gone, which are new, which pair up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from interlock.ir.nodes import Span
from interlock.verifier.diff.model import Aspect, Change, Subject, Verdict, change


class Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def span(self) -> Span: ...


D = TypeVar("D", bound=Named)


@dataclass(frozen=True)
class Presence:
    """What adding and removing a declaration of one kind means."""

    added: Verdict
    added_why: str
    removed: Verdict
    removed_why: str
    code: str


def by_name(subject: Subject, old: Sequence[D], new: Sequence[D], rule: Presence,
            words: Callable[[D, bool], str] | None = None) -> tuple[list[Change],
                                                                    list[tuple[D, D]]]:
    """(the `removed` and `added` changes, the pairs present in both), in file order.
    `words(decl, is_new)` says a declaration in the rule file's words (default: its label)."""
    def say(d: D, is_new: bool) -> str:
        return words(d, is_new) if words is not None else f"{subject} {d.name}"

    old_by = {d.name: d for d in old}
    new_names = {d.name for d in new}
    out = [change(subject, o.name, f"{subject} {o.name}", Aspect(
        "removed", say(o, False), "—", rule.removed, rule.removed_why, rule.code), None)
        for o in old if o.name not in new_names]
    out += [change(subject, n.name, f"{subject} {n.name}", Aspect(
        "added", "—", say(n, True), rule.added, rule.added_why, rule.code), n.span)
        for n in new if n.name not in old_by]
    return out, [(old_by[n.name], n) for n in new if n.name in old_by]
