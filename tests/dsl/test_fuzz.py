"""Fuzz `interlock check` in process with random text and mutated examples.

Whatever the input, the command must exit with a documented code and never show a traceback:
`2` with an `error[E....]` diagnostic for invalid input, or `0`/`1`/`3` for input that is still
a valid rule file. In CI (`CI=true`) the four tests together run 3000 inputs; locally 360
(set `INTERLOCK_FUZZ_EXAMPLES` to change the per-test count).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from interlock.cli import main
from interlock.dsl.frontend import compile_file
from tests.dsl.ir_compare import without_positions
from tests.dsl.strategies import guard_files

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").rglob("*.guard"))
TEXTS = [p.read_bytes() for p in EXAMPLES]

_CI = os.environ.get("CI") == "true"
_DEFAULT = {"mutated": 1200, "random": 900, "spliced": 400, "generated": 500} if _CI else {
    "mutated": 150, "random": 80, "spliced": 70, "generated": 60}


def _settings(kind: str) -> settings:
    count = int(os.environ.get("INTERLOCK_FUZZ_EXAMPLES", _DEFAULT[kind]))
    return settings(max_examples=count, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


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
def _mutation(draw: st.DrawFn, text: bytes) -> bytes:
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
        text = draw(_mutation(text))
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

RUNNER = CliRunner()
# Valid programs already checked, by their IR without spans: mutants that only lose a comment
# or whitespace are the same program, and proving it again would only cost time.
_CHECKED: set[str] = set()


def _program_key(path: Path) -> str | None:
    """The IR of a file the front end accepts (spans and hashes stripped); None if invalid."""
    result = compile_file(str(path))
    if result.program is None:
        return None
    return json.dumps(without_positions(result.program), sort_keys=True)


def check_cli_on(data: bytes, *, invalid_only: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.guard"
        path.write_bytes(data)
        key = _program_key(path)
        if invalid_only:
            assume(key is None)
        if key is not None and key in _CHECKED:
            return
        with RUNNER.isolation() as (_out, _err, mixed):
            code = main(["check", str(path), "--timeout", "10"])
            output = mixed.getvalue().decode("utf-8", "replace")
    assert "Traceback" not in output and "internal error" not in output, output
    if key is None:
        assert code == 2, (code, data, output)
        assert re.search(r"fuzz\.guard:\d+:\d+: error\[E\d{4}\]: ", output), (data, output)
    else:
        assert code in (0, 1, 3), (code, data, output)
        _CHECKED.add(key)


@pytest.mark.slow
@_settings("mutated")
@given(mutated_examples())
def test_check_survives_mutated_examples(data: bytes) -> None:
    check_cli_on(data)


@pytest.mark.slow
@_settings("random")
@given(random_texts)
def test_check_survives_random_text(data: bytes) -> None:
    check_cli_on(data)


@pytest.mark.slow
@_settings("spliced")
@given(spliced_examples())
def test_check_survives_spliced_examples(data: bytes) -> None:
    check_cli_on(data)


@pytest.mark.slow
@_settings("generated")
@given(guard_files().flatmap(lambda text: _mutation(text.encode("utf-8"))))
def test_check_reports_mutated_generated_files(data: bytes) -> None:
    """Mutants of random valid files reach constructs the examples lack; only the invalid ones
    are checked here (valid programs are verified by the other tests)."""
    check_cli_on(data, invalid_only=True)


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", b"protocol", b"protocol P\n" + b"(" * 5000])
def test_check_on_edge_inputs(data: bytes) -> None:
    check_cli_on(data)
