"""The formatter never changes meaning and is idempotent.

For every example and for random valid files (`strategies.guard_files`):
- `parse(fmt(x)) == parse(x)` on the syntax tree (nodes compare without their spans) and on the
  IR with spans and source hashes stripped;
- `fmt(fmt(x)) == fmt(x)`.
The random files must also compile without errors: that is the contract of `guard_files()`,
which the verifier's soundness tests rely on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from interlock.dsl.fmt import format_source
from interlock.dsl.frontend import compile_text
from interlock.dsl.parser import parse
from interlock.ir import nodes as ir
from tests.dsl.ir_compare import without_positions
from tests.dsl.mutations import mutated_examples, spliced_examples
from tests.dsl.strategies import guard_files, guard_programs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.relative_to(ROOT) for p in (ROOT / "examples").rglob("*.guard"))
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def _ir(text: str, path: str) -> Any:
    result = compile_text(text, path)
    errors = [f"{d.span.line}:{d.span.column} {d.code} {d.message}"
              for d in result.diagnostics if d.is_error]
    assert errors == [], "\n".join(errors) + "\n---\n" + text
    assert result.program is not None
    return without_positions(result.program)


def check_roundtrip(text: str, path: str) -> None:
    before = parse(text, path)
    assert before.module is not None, before.diagnostics
    formatted = format_source(text, path)
    after = parse(formatted, path)
    assert after.module is not None, f"{after.diagnostics}\n---\n{formatted}"
    assert after.module == before.module
    assert _ir(formatted, path) == _ir(text, path)
    assert format_source(formatted, path) == formatted


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.as_posix())
def test_examples_roundtrip(path: Path) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    check_roundtrip(text, path.as_posix())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.as_posix())
def test_examples_keep_their_comments(path: Path) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    formatted = format_source(text, path.as_posix())
    comments = [line.strip() for line in text.splitlines() if line.strip().startswith("#")]
    for comment in comments:
        assert comment in formatted


@SETTINGS
@given(guard_files())
def test_generated_files_compile(text: str) -> None:
    _ir(text, "generated.guard")


@settings(SETTINGS, max_examples=40)
@given(guard_programs())
def test_generated_programs_stay_small(program: ir.Program) -> None:
    assert 1 <= len(program.scopes) <= 4
    assert len(program.breakers) <= 5
    assert len(program.powers) <= 5
    assert 1 <= len(program.invariants) <= 4


@SETTINGS
@given(guard_files())
def test_generated_files_roundtrip(text: str) -> None:
    check_roundtrip(text, "generated.guard")


@settings(SETTINGS, max_examples=150)
@given(st.one_of(spliced_examples(), mutated_examples()))
def test_still_valid_mutants_roundtrip(data: bytes) -> None:
    """Spliced and mutated examples that stay valid put comments and blank lines in odd places
    (inside blocks, between a declaration's tokens): fmt must keep meaning and be idempotent."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        assume(False)
        return
    assume(compile_text(text, "mutant.guard").program is not None)
    check_roundtrip(text, "mutant.guard")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.as_posix())
def test_examples_are_formatted(path: Path) -> None:
    """The shipped examples pass `interlock fmt --check` (after a change to the formatter:
    `interlock fmt --write examples/*.guard examples/broken/*.guard`)."""
    text = (ROOT / path).read_text(encoding="utf-8")
    assert format_source(text, path.as_posix()) == text
