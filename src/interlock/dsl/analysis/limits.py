"""What the guard can hold, checked in the front end so `check` refuses what `build` or the
chain would (issue 16, items 9 and 15): signer and scope counts against the guard's bitmaps and
`uint8` ids, a signer at address 0, and comparisons that saturated metrics can never decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from interlock.dsl.analysis.common import Sink
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.conditions import compares
from interlock.ir.metric_arith import SATURATED_KINDS, SATURATION

MAX_SIGNERS = 256  # one bit per signer in a uint256 (the duplicate-signer bitmap)
MAX_SCOPES = 255  # uint8 scope ids; 255 is `ALL_SCOPES`
MAX_FEEDS = 256  # uint8 feed ids
ZERO = "0x" + "00" * 20


def check_counts(sink: Sink, signers: Sequence[ir.Signer], scopes: Sequence[ir.Scope],
                 feeds: Sequence[ir.Feed]) -> None:
    for what, items, limit, why in (
        ("signers", signers, MAX_SIGNERS, "the guard's signer bitmap has 256 bits"),
        ("scopes", scopes, MAX_SCOPES, "scope ids are `uint8` and 255 means every scope"),
        ("feeds", feeds, MAX_FEEDS, "feed ids are `uint8`"),
    ):
        if len(items) > limit:
            sink.error(C.TOO_MANY, f"at most {limit} {what} fit one guard, this file declares "
                       f"{len(items)}", items[limit].span, help=why)


def check_signers(sink: Sink, signers: Iterable[ir.Signer]) -> None:
    for s in signers:
        if s.address.lower() == ZERO:
            sink.error(C.ZERO_SIGNER, f"signer `{s.name}` is at address 0", s.span,
                       help="no key signs for address 0 (`ecrecover` returns it for a bad "
                            "signature), so a role needing it can never act")


def check_saturation(sink: Sink, breakers: Iterable[ir.Breaker]) -> None:
    """A comparison over saturated metrics only (each in `[0, 2**128]`) that some metric
    values would satisfy but none the guard can read: its constant lies beyond the saturation.
    (One that no value at all satisfies is finding W0801's business.)"""
    for b in breakers:
        for c in compares(b.when):
            if c.terms and all(t.atom.kind in SATURATED_KINDS for t in c.terms) and never(
                    c, SATURATION) and not never(c, None):
                sink.error(C.BEYOND_SATURATION,
                           "this comparison never holds: its metrics read at most 2**128 "
                           "(saturated)", c.span,
                           help="a constant above 2**128 base units never fires a rule; "
                                "check the feed's or asset's decimals")


def never(c: ir.Compare, bound: int | None) -> bool:
    """No values of the terms in `[0, bound]` (unbounded above for None) make `c` hold."""
    big = bound if bound is not None else 2**1024  # beyond any constant a rule file can write
    lo = c.constant + sum(min(t.coef, 0) for t in c.terms) * big
    hi = c.constant + sum(max(t.coef, 0) for t in c.terms) * big
    return {">": hi <= 0, ">=": hi < 0, "<": lo >= 0, "<=": lo > 0,
            "==": lo > 0 or hi < 0, "!=": lo == hi == 0}[c.op]
