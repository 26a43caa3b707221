"""Fuzz `interlock check` in process with random text and mutated examples.

Whatever the input, the command must exit with a documented code and never show a traceback:
`2` with an `error[E....]` diagnostic for invalid input, or `0`/`1`/`3` for input that is still
a valid rule file. In CI (`CI=true`) the four tests together run `interlock check` on more
than 3000 inputs; locally on about 300 (`INTERLOCK_FUZZ_EXAMPLES` sets the per-test count).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from typer.testing import CliRunner

from interlock.cli import main
from interlock.dsl.frontend import compile_file
from tests.dsl.ir_compare import without_positions
from tests.dsl.mutations import mutated_examples, mutation, random_texts, spliced_examples
from tests.dsl.strategies import guard_files

_CI = os.environ.get("CI") == "true"
# Inputs equal (as programs) to one already checked skip the command, so CI draws 3600 inputs
# for at least 3000 runs of `interlock check`.
_DEFAULT = {"mutated": 1500, "random": 1000, "spliced": 500, "generated": 600} if _CI else {
    "mutated": 150, "random": 80, "spliced": 70, "generated": 60}


def _settings(kind: str) -> settings:
    count = int(os.environ.get("INTERLOCK_FUZZ_EXAMPLES", _DEFAULT[kind]))
    return settings(max_examples=count, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


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
@given(guard_files().flatmap(lambda text: mutation(text.encode("utf-8"))))
def test_check_reports_mutated_generated_files(data: bytes) -> None:
    """Mutants of random valid files reach constructs the examples lack; only the invalid ones
    are checked here (valid programs are verified by the other tests)."""
    check_cli_on(data, invalid_only=True)


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", b"protocol", b"protocol P\n" + b"(" * 5000])
def test_check_on_edge_inputs(data: bytes) -> None:
    check_cli_on(data)
