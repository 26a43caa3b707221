"""Built-in findings (SPEC §5): rule-set smells reported as warnings, errors under `--strict`.

Each finding is a registered `Finding` with a stable code, a title, a severity and a `check`
whose docstring says exactly what it reports: the checks about breakers are in
`findings_rules`, those about powers in `findings_powers`, the registry in `finding_registry`.
`find(program)` runs them all and returns the diagnostics sorted by position. Conditions are
decided with Z3 over free metrics (see `interlock.verifier.condsmt`), so "never" means "for no
metric values in no state".

| code | title |
| --- | --- |
| W0801 | breaker can never fire |
| W0802 | power bypasses a timelock |
| W0803 | scope cannot be unpaused before its pause expires |
| W0804 | score tier no breaker uses |
| W0806 | no pause possible after a pause ends |
| W0807 | cancel power cannot win the race |
| W0810 | flash liquidity can offset a rule's outflow |
| W0811 | block sender without a cooldown |
| W0812 | value sum leaves out an unpriced asset |
| W0813 | hold flow with a cooldown |
| W0814 | step bound another power bypasses |
| W0815 | custom read no breaker uses |
"""

from __future__ import annotations

from collections.abc import Iterable

from interlock.ir import codes as C
from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Program

# Importing the check modules registers their findings.
from interlock.verifier import findings_powers, findings_rules  # noqa: F401
from interlock.verifier.finding_registry import REGISTRY, diag

__all__ = ["REGISTRY", "accepted", "find", "strict"]


def find(program: Program) -> tuple[Diagnostic, ...]:
    """Every registered finding on `program`, sorted by position, as warnings."""
    out = [d for f in REGISTRY for d in f.check(program)]
    return tuple(sorted(out, key=lambda d: (d.span.line, d.span.column, d.code)))


def strict(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """`--strict`: every warning becomes an error (its code is unchanged), except a finding
    the rule file accepts (`accept CODE ...`)."""
    return tuple(
        d.model_copy(update={"severity": "error"})
        if d.severity == "warning" and d.suppressed is None
        else d
        for d in diagnostics
    )


def accepted(program: Program, found: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """The findings with those the rule file accepts marked `suppressed` (with the reason),
    and a `W0805` warning for each `accept` that matches none of them.

    `accept CODE NAME` matches a finding with that code about `NAME` (one of its
    `subjects`); `accept CODE` every finding with that code.
    """
    out: list[Diagnostic] = []
    used: set[int] = set()
    for d in found:
        match = next(
            (
                i
                for i, a in enumerate(program.acceptances)
                if a.code == d.code and (a.target is None or a.target in d.subjects)
            ),
            None,
        )
        if match is not None:
            used.add(match)
            d = d.model_copy(update={"suppressed": program.acceptances[match].reason})
        out.append(d)
    for i, a in enumerate(program.acceptances):
        if i not in used and a.code in C.FINDINGS:  # others (`interlock diff`'s) match there
            about = f" about `{a.target}`" if a.target else ""
            out.append(
                diag(
                    C.UNUSED_ACCEPTANCE,
                    f"nothing to accept: no `{a.code}` finding{about}",
                    a.span,
                    help="remove the `accept` line, or name the declaration the finding is about",
                )
            )
    return tuple(sorted(out, key=lambda d: (d.span.line, d.span.column, d.code)))
