"""forge's linter on the generated guard of every example reports exactly the findings that
docs/guard.md ("Linter findings") explains, kind by kind and count by count, and every inline
suppression in the guard says why it is safe: a new finding, a fixed one or a new suppression
fails until the doc says so. Real forge (npm, pinned) on the pinned solcjs."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_file
from tests.compiler.forge_lint import lint

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.guard"))
# (level, lint) -> findings on each example's guard: the doc's table, row by row
EXPLAINED = {("warning", "block-timestamp"): 6, ("note", "multi-contract-file"): 4}
# example -> `forge-lint: disable-next-line(unsafe-typecast)` comments in its guard
SUPPRESSED = {"amm.guard": 13, "bridge.guard": 16, "lending_market.guard": 13,
              "perp_venue.guard": 13, "reserves_market.guard": 13}
_SUPPRESSION = re.compile(r"// forge-lint: disable-next-line\(([a-z0-9-]+)\)(.*)$", re.M)

pytestmark = pytest.mark.evm


def _emitted() -> dict[str, dict[str, str]]:
    """example file name -> the guard's sources."""
    out = {}
    for path in EXAMPLES:
        program = compile_file(str(path)).program
        assert program is not None
        out[path.name] = emit_solidity(program)
    return out


def test_forge_lint_reports_exactly_the_explained_findings_on_each_example(tmp_path: Path) -> None:
    emitted = _emitted()
    owner = {name: example for example, files in emitted.items() for name in files}
    found = lint({n: t for files in emitted.values() for n, t in files.items()}, tmp_path)
    assert found, "forge lint reported nothing: is it running?"
    per_example: dict[str, Counter[tuple[str, str]]] = {e: Counter() for e in emitted}
    for (name, level, code), n in found.items():
        per_example[owner[name]][(level, code)] += n
    assert per_example == {e: Counter(EXPLAINED) for e in emitted}
    doc = (ROOT / "docs" / "guard.md").read_text()
    for (level, code), n in EXPLAINED.items():
        assert f"| `{code}` ({level}) | {n} |" in doc, code


def test_every_lint_suppression_in_the_guard_says_why_and_the_doc_counts_them() -> None:
    doc = (ROOT / "docs" / "guard.md").read_text()
    for example, files in _emitted().items():
        found = [m for text in files.values() for m in _SUPPRESSION.findall(text)]
        assert all(code == "unsafe-typecast" and reason.strip() for code, reason in found), found
        assert len(found) == SUPPRESSED[example], example
        assert f"`{example.removesuffix('.guard')}` {len(found)}" in doc, example
