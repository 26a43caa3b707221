"""forge's linter on the generated guard of every example: each finding's lint is one that
docs/guard.md ("Linter findings") explains; a new kind of finding fails until it is fixed or
explained there. Real forge (npm, pinned) on the pinned solcjs."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_file
from tests.compiler.forge_lint import lint

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.guard"))
EXPLAINED = {
    "block-timestamp", "incorrect-shift", "unsafe-typecast", "asm-keccak256",
    "multi-contract-file", "named-struct-fields", "screaming-snake-case-immutable",
    "unwrapped-modifier-logic",
}

pytestmark = pytest.mark.evm


def test_every_forge_lint_finding_on_the_examples_is_explained(tmp_path: Path) -> None:
    sources: dict[str, str] = {}
    for path in EXAMPLES:
        program = compile_file(str(path)).program
        assert program is not None
        sources.update(emit_solidity(program))
    found = lint(sources, tmp_path)
    assert found, "forge lint reported nothing: is it running?"
    assert {code for _level, code in found} <= EXPLAINED, found
    doc = (ROOT / "docs" / "guard.md").read_text()
    for code in EXPLAINED:
        assert f"`{code}`" in doc, code
