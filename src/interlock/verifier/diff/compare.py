"""`compare(old, new)`: every semantic change between two checked rule files, with verdicts.

Declarations are matched first (`rename`: by name, then renames with the same meaning), the
old program is translated into the new names, and each kind is compared on its own module.
"""

from __future__ import annotations

from interlock.ir.nodes import Acceptance, Program, Span
from interlock.verifier.diff.breakers import compare_breakers
from interlock.verifier.diff.invariants import compare_invariants
from interlock.verifier.diff.model import Aspect, Change, change
from interlock.verifier.diff.params import compare_params
from interlock.verifier.diff.powers import compare_powers
from interlock.verifier.diff.rename import KINDS, kind_of, renames, translate
from interlock.verifier.diff.scopes import compare_scopes
from interlock.verifier.diff.sides import Side

DEFAULT_TIMEOUT_S = 10.0


def _span(program: Program, name: str) -> Span | None:
    for kind in KINDS:
        for decl in getattr(program, kind):
            if decl.name == name:
                span: Span = decl.span
                return span
    return None


def rename_changes(old: Program, new: Program, names: dict[str, str]) -> list[Change]:
    """One neutral change per rename."""
    out = []
    for before, after in names.items():
        kind = kind_of(new, after)
        out.append(change("declaration", after, f"{kind} {after}", Aspect(
            "renamed", before, after, "neutral",
            "same meaning under the new name" + (
                " (same address)" if kind in ("signer", "agent", "asset", "vault", "feed")
                else ""), ""), _span(new, after)))
    return out


def empty_like(program: Program) -> Program:
    """`program`'s protocol with no declarations: the other side of a new or deleted file."""
    return program.model_copy(update={kind: () for kind in (*KINDS, "powers")})


def accept(changes: list[Change], acceptances: tuple[Acceptance, ...]) -> list[Change]:
    """The weakenings the new rule file accepts (`accept CODE [NAME] because "REASON"`, NAME
    the change's role, scope, breaker, invariant or param) marked with the reason."""
    out = []
    for c in changes:
        found = next((a for a in acceptances if c.code is not None and a.code == c.code
                      and a.target in (None, c.name)), None)
        out.append(c if found is None else c.model_copy(update={"accepted": found.reason}))
    return out


def compare(old: Side, new: Side, timeout_s: float = DEFAULT_TIMEOUT_S,
            every: bool = False) -> tuple[Change, ...]:
    """Every change from `old` to `new`; `timeout_s` bounds each pause-bound search. With
    `every`, also each compared aspect that did not change (`neutral`, evidence `unchanged`):
    the side-by-side listing."""
    names = renames(old.program, new.program)
    moved = Side(translate(old.program, names), old.source)
    return tuple(accept(
        rename_changes(old.program, new.program, names)
        + compare_powers(moved, new, every)
        + compare_scopes(moved.program, new.program, timeout_s, every)
        + compare_breakers(moved, new, every)
        + compare_invariants(moved, new, every)
        + compare_params(moved.program, new.program, every),
        new.program.acceptances))
