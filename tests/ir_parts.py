"""What the hand-built IRs of the tests share: units, the venue's metric atoms (USDC and
ETH_USD, as in SPEC §1), and `compare`, the one way they write a comparison."""

from __future__ import annotations

from interlock.ir.nodes import Atom, Compare, Span, Term

# the span of every node of a hand-built venue: a file named like the rules it stands for
SP = Span(file="venue.guard", line=1, column=1, end_line=1, end_column=2)
H = 3600
D = 24 * H
WAD = 10**18

OUTFLOW = Atom(kind="outflow", target="USDC", window=H)
INFLOW = Atom(kind="inflow", target="USDC", window=H)
TVL = Atom(kind="tvl", target="USDC")
DEV = Atom(kind="deviation", target="ETH_USD")
CHANGE = Atom(kind="change", target="ETH_USD", window=H)


def compare(terms: list[tuple[int, Atom]], constant: int, op: str) -> Compare:
    """`sum(coef * atom) + constant OP 0`, the IR's form of a comparison."""
    return Compare(
        terms=tuple(Term(coef=c, atom=a) for c, a in terms),
        constant=constant,
        op=op,  # type: ignore[arg-type]
        span=SP,
    )
