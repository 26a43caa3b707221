"""A weakening the new rule file accepts (`accept CODE [NAME] because "REASON"`) is still
reported, with its reason, and no longer fails the diff; `check` does not call it unused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.verifier.diff.rules import BASE, LOWERED, diff

from interlock.cli import main
from interlock.dsl.frontend import compile_text
from interlock.verifier.findings import accepted, find

REASON = "the council has two active members"


def accepting(line: str) -> str:
    return LOWERED + f'{line} because "{REASON}"\n'


@pytest.mark.parametrize("line", ["accept W1002 governor", "accept W1002"])
def test_an_accepted_weakening_keeps_its_verdict_and_carries_the_reason(line: str) -> None:
    (c,) = diff(accepting(line))
    assert (c.verdict, c.code, c.accepted, c.fails) == ("weakens", "W1002", REASON, False)


@pytest.mark.parametrize("line", ["accept W1002 guardian", "accept W1003 governor"])
def test_an_acceptance_of_something_else_does_not_accept_it(line: str) -> None:
    (c,) = diff(accepting(line))
    assert (c.accepted, c.fails) == (None, True)


def test_the_cli_exits_0_and_every_format_shows_the_acceptance(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "old.guard").write_text(BASE, encoding="utf-8")
    (tmp_path / "new.guard").write_text(accepting("accept W1002 governor"), encoding="utf-8")
    paths = [str(tmp_path / "old.guard"), str(tmp_path / "new.guard")]
    outputs = {}
    for fmt in ("text", "markdown", "sarif", "json"):
        assert main(["diff", "--format", fmt, *paths]) == 0
        outputs[fmt] = capsys.readouterr().out
    assert "weakens (accepted) [W1002]" in outputs["text"]
    assert f"    accepted  {REASON}" in outputs["text"]
    assert "✅ weakenings accepted by the rule file" in outputs["markdown"]
    assert f"(accepted: {REASON})" in outputs["markdown"]
    (result,) = json.loads(outputs["sarif"])["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "inSource", "justification": REASON}]
    assert json.loads(outputs["json"])["summary"]["accepted"] == 1


def test_check_does_not_report_a_diff_acceptance_as_unused() -> None:
    program = compile_text(accepting("accept W1002 governor"), "new.guard").program
    assert program is not None
    assert "W0805" not in [d.code for d in accepted(program, find(program))]


def test_an_unknown_code_is_still_refused() -> None:
    front = compile_text(LOWERED + 'accept W1099 because "x"\n', "new.guard")
    assert [d.code for d in front.diagnostics] == ["E0510"]
