"""The finding about value metrics (W0812), registered with `findings.REGISTRY`.

Kept apart from `findings` (which imports this module last, so the check is registered with
the others) because it is about one language feature, docs/language.md "Value metrics".
"""

from __future__ import annotations

from collections.abc import Iterator

from interlock.ir import codes as C
from interlock.ir.conditions import expanded_atoms
from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Program
from interlock.ir.notional import ALL, VALUE_KINDS
from interlock.verifier.findings import _diag, finding


@finding(C.UNPRICED_IN_SUM, C.FINDINGS[C.UNPRICED_IN_SUM])
def unpriced_in_sum(program: Program) -> Iterator[Diagnostic]:
    """A breaker that reads a value of `*` (`value(outflow(*, 24h))`, ...) while a vault holds
    an asset without `priced by`: `*` sums the priced assets only, so that asset's flows and
    balance count for nothing in the limit (price it, or accept the finding for an asset that
    carries no value)."""
    unpriced = [a.name for a in program.assets if a.priced_by is None
                and any(a.name in v.holds for v in program.vaults)]
    if not unpriced:
        return
    listed = ", ".join(f"`{n}`" for n in unpriced)
    for b in program.breakers:
        if any(a.kind in VALUE_KINDS and a.target == ALL
               for a in expanded_atoms(program, b.when)):
            yield _diag(
                C.UNPRICED_IN_SUM,
                f"`{b.name}` sums the value of the priced assets only, which leaves out "
                f"{listed}", b.span, subjects=(b.name,),
                help="price each with `asset NAME ... priced by FEED`, or accept the finding",
            )
