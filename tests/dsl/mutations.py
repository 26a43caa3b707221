"""Hypothesis strategies for INVALID-ish input: examples with tokens deleted, duplicated,
swapped or replaced, random bytes, truncations, and lines of one example spliced into another.

Some mutants stay valid (a deleted comment, a spliced blank line); tests decide per input.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").rglob("*.guard"))
TEXTS = [p.read_bytes() for p in EXAMPLES]


# One token of the language (comments are tokens too, so mutations can hit them).
TOKEN = re.compile(
    rb'#[^\n]*|"[^"\n]*"|0x[0-9A-Za-z]*|[0-9][0-9_]*(?:\.[0-9_]+)?(?:bps|%|[smhdw])?'
    rb"|[A-Za-z_][A-Za-z0-9_]*|->|<=|>=|==|!=|\S"
)
VOCABULARY = [
    b"protocol", b"signer", b"role", b"scope", b"asset", b"vault", b"feed", b"param", b"metric",
    b"score", b"breaker", b"allow", b"invariant", b"when", b"then", b"for", b"cooldown", b"of",
    b"and", b"or", b"not", b"always", b"assuming", b"entity", b"after", b"max", b"gap",
    b"pause", b"unpause", b"extend", b"by", b"at", b"most", b"except", b"*", b"{", b"}", b"(",
    b")", b"[", b"]", b",", b":", b"->", b"=", b"==", b"<", b">=", b"%", b"0", b"0s", b"13s",
    b"1.5", b"0.0000001 USDC", b"999999999999999999999999999999999999999", b"-1", b"3%",
    b"50bps", b"0x", b"0x1111111111111111111111111111111111111111",
    b"0xa0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48", b'"', b"\xff", b"\x00", b"\t", b"\r\n",
    b"\xe2\x80\x8b", b"paused", b"never locked forever", b"no unilateral signer", b"per sender",
    b"block sender", b"x" * 300,
]


def _tokens(text: bytes) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(text)]


@st.composite
def mutation(draw: st.DrawFn, text: bytes) -> bytes:
    spans = _tokens(text)
    if not spans:
        return text + draw(st.sampled_from(VOCABULARY))
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "insert",
                                 "bytes", "truncate"]))
    i = draw(st.integers(0, len(spans) - 1))
    a, b = spans[i]
    if kind == "delete":
        return text[:a] + text[b:]
    if kind == "duplicate":
        return text[:b] + b" " + text[a:b] + text[b:]
    if kind == "swap":
        j = draw(st.integers(0, len(spans) - 1))
        (a, b), (c, d) = sorted([spans[i], spans[j]])
        if b > c:
            return text
        return text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]
    if kind == "replace":
        return text[:a] + draw(st.sampled_from(VOCABULARY)) + text[b:]
    if kind == "insert":
        return text[:a] + draw(st.sampled_from(VOCABULARY)) + b" " + text[a:]
    if kind == "bytes":
        return text[:a] + draw(st.binary(min_size=1, max_size=8)) + text[a:]
    return text[: draw(st.integers(0, len(text)))]


@st.composite
def mutated_examples(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 3))):
        text = draw(mutation(text))
    return text


@st.composite
def spliced_examples(draw: st.DrawFn) -> bytes:
    """Declarations of one example pasted into another (unknown names, duplicates, ...)."""
    left, right = draw(st.sampled_from(TEXTS)), draw(st.sampled_from(TEXTS))
    lines_l, lines_r = left.split(b"\n"), right.split(b"\n")
    cut_l = draw(st.integers(0, len(lines_l)))
    start = draw(st.integers(0, len(lines_r)))
    end = draw(st.integers(start, min(len(lines_r), start + 12)))
    return b"\n".join(lines_l[:cut_l] + lines_r[start:end] + lines_l[cut_l:])


random_texts = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(VOCABULARY), max_size=40).map(b" ".join),
    st.lists(st.sampled_from(VOCABULARY), max_size=40).map(
        lambda ws: b"protocol Fuzz\n" + b" ".join(ws)),
)
