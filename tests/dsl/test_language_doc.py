"""docs/language.md stays true to the front end: its codes exist, its keyword list is complete,
and its syntax summary names every keyword."""

from __future__ import annotations

import re
from pathlib import Path

from interlock.dsl.keywords import reserved_words
from interlock.ir import codes

DOC = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text(encoding="utf-8")
CODES = {v for k, v in vars(codes).items() if k.isupper() and isinstance(v, str)}


def test_every_code_the_reference_cites_exists() -> None:
    cited = set(re.findall(r"\bE\d{4}\b", DOC))
    assert cited, "the reference cites diagnostic codes"
    assert cited - CODES == set()


def test_keyword_list_matches_the_front_end() -> None:
    section = DOC.split("Keywords cannot be names:", 1)[1].split("(error `E0203`", 1)[0]
    listed = set(section.replace("`", " ").split())
    assert listed == set(reserved_words())


def test_syntax_summary_mentions_every_keyword() -> None:
    summary = DOC.split("## Syntax summary", 1)[1]
    quoted = set(re.findall(r'"([a-z]+)"', summary))
    assert set(reserved_words()) - quoted == set()
