"""`accept CODE [NAME] because "REASON"`: accepted findings are reported as suppressed, stay
warnings under `--strict`, and appear in SARIF as suppressions; bad acceptances are diagnosed."""

from __future__ import annotations

import json

from interlock.check import CheckOptions, file_report
from interlock.dsl.frontend import compile_text
from interlock.report.model import Report
from interlock.report.sarif import render_sarif
from interlock.verifier.findings import accepted, find, strict

RULES = """protocol T
signer alice 0x1111111111111111111111111111111111111111
signer bob   0x2222222222222222222222222222222222222222
role guardian = 1 of [alice]
role dao = 2 of [alice, bob]
role gov = dao after 2d
scope s
allow guardian to pause s for at most 1h
allow guardian to unpause s
allow gov to unpause s
"""


def _found(extra: str) -> tuple[tuple[str, str | None, str], ...]:
    result = compile_text(RULES + extra, "t.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    diags = strict(accepted(result.program, find(result.program)))
    return tuple((d.code, d.suppressed, d.severity) for d in diags)


def test_without_acceptance_strict_makes_the_finding_an_error() -> None:
    assert _found("") == (("W0802", None, "error"),)


def test_an_accepted_finding_is_suppressed_and_stays_a_warning() -> None:
    why = "the guardian unpauses at once by design"
    for line in (f'accept W0802 guardian because "{why}"\n', f'accept W0802 because "{why}"\n',
                 f'accept W0802 gov because "{why}"\n'):
        assert _found(line) == (("W0802", why, "warning"),), line


def test_an_acceptance_matching_nothing_is_a_warning() -> None:
    found = _found('accept W0802 dao because "x"\naccept W0801 because "y"\n')
    assert [c for c, _, _ in found] == ["W0802", "W0805", "W0805"]


def test_bad_acceptances_are_front_end_errors() -> None:
    cases = {'accept E0201 because "x"\n': "E0510", 'accept W0802 because "  "\n': "E0511",
             'accept W0802 nobody because "x"\n': "E0201"}
    for line, code in cases.items():
        result = compile_text(RULES + line, "t.guard")
        assert result.program is None
        assert [d.code for d in result.diagnostics] == [code], line


def test_sarif_and_json_carry_the_suppression() -> None:
    from interlock.report.json_report import render_json

    text = RULES + 'accept W0802 guardian because "by design"\n'
    front = compile_text(text, "t.guard")
    report = Report(version="0", files=(
        file_report(front, "t.guard", CheckOptions(strict=True), lambda _p, _o: ()),))
    sarif = json.loads(render_sarif(report))
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "W0802"]
    assert result["suppressions"] == [{"kind": "inSource", "justification": "by design"}]
    obj = json.loads(render_json(report))
    from tests.report.test_json_report import validate

    validate(obj)
    (diag,) = obj["files"][0]["diagnostics"]
    assert diag["suppressed"] == "by design" and diag["severity"] == "warning"
    assert report.summary.errors == 0
