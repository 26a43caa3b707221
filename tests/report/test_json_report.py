"""`--format json` follows SPEC §6 exactly: schema-checked, with the fields it names only."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

try:  # rootdir-relative when tests/report is a package, else the test's own directory
    from tests.report.test_text_report import venue_report
except ImportError:
    from test_text_report import venue_report  # type: ignore[no-redef]

from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Span
from interlock.report.json_report import render_json, report_json
from interlock.report.model import FileReport, Report
from interlock.verifier.result import PropertyResult


def schema() -> dict[str, Any]:
    text = resources.files("interlock.report").joinpath("check_report.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(obj: object) -> None:
    jsonschema.Draft202012Validator(schema()).validate(obj)


def test_venue_report_matches_schema_and_spec_fields() -> None:
    obj = json.loads(render_json(venue_report()))
    validate(obj)
    assert obj["version"] == "0.1.0"
    assert obj["summary"] == {"proved": 3, "violated": 3, "unknown": 1, "errors": 0}
    venue = obj["files"][0]
    assert venue["path"] == "examples/venue.guard" and venue["protocol"] == "Venue"
    by_name = {p["name"]: p for p in venue["properties"]}
    escape = by_name["withdrawals_escape"]
    assert escape["status"] == "violated" and escape["depth"] == 3
    assert escape["counterexample"]["steps"][1] == {
        "time": 21600,
        "actor": "guardian (alice, carol)",
        "action": "pause withdrawals for 72h",
    }
    assert by_name["liqs_bounded"]["bound"] == 108000
    assert by_name["no_single_key"]["counterexample"] is None
    org = by_name["no_single_org"]["counterexample"]["steps"]
    assert org == [
        {"time": 0, "actor": "foundation", "action": "guardian: pause * for at most 72h"}
    ]


def test_diagnostics_have_one_based_positions() -> None:
    span = Span(file="bad.guard", line=3, column=7, end_line=3, end_column=12)
    diag = Diagnostic(
        code="E0201",
        severity="error",
        message="unknown name `alcie`",
        span=span,
        help="did you mean `alice`?",
    )
    report = Report(
        version="0.1.0", files=(FileReport(path="bad.guard", protocol=None, diagnostics=(diag,)),)
    )
    obj = report_json(report)
    validate(obj)
    assert obj["files"][0]["diagnostics"] == [
        {
            "code": "E0201",
            "severity": "error",
            "message": "unknown name `alcie`",
            "line": 3,
            "column": 7,
            "end_line": 3,
            "end_column": 12,
        }
    ]
    assert obj["summary"]["errors"] == 1


def test_schema_rejects_extra_or_missing_fields() -> None:
    obj = report_json(venue_report())
    obj["files"][0]["properties"][0]["certificate"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        validate(obj)
    obj = report_json(venue_report())
    del obj["files"][0]["properties"][0]["bound"]
    with pytest.raises(jsonschema.ValidationError):
        validate(obj)


def test_seconds_are_rounded_numbers() -> None:
    span = Span(file="a", line=1, column=1, end_line=1, end_column=2)
    result = PropertyResult(
        name="p", status="proved", method="induction", seconds=0.123456, span=span
    )
    obj = report_json(
        Report(version="v", files=(FileReport(path="a", protocol="A", properties=(result,)),))
    )
    assert obj["files"][0]["properties"][0]["seconds"] == 0.123


def test_bound_tight_is_written_with_a_bound_only() -> None:
    span = Span(file="a", line=1, column=1, end_line=1, end_column=2)

    def prop(name: str, bound: int | None, tight: bool | None) -> PropertyResult:
        return PropertyResult(name=name, status="proved", method="chc (spacer)", seconds=0.1,
                              bound=bound, bound_tight=tight, span=span)

    results = (prop("tight", 93600, True), prop("upper", 604800, False),
               prop("unsaid", 3600, None), prop("always", None, None))
    obj = report_json(
        Report(version="v", files=(FileReport(path="a", protocol="A", properties=results),))
    )
    validate(obj)
    by_name = {p["name"]: p for p in obj["files"][0]["properties"]}
    assert by_name["tight"]["bound_tight"] is True and by_name["tight"]["bound"] == 93600
    assert by_name["upper"]["bound_tight"] is False
    assert "bound_tight" not in by_name["unsaid"] and "bound_tight" not in by_name["always"]
    by_name["upper"]["bound_tight"] = "no"
    with pytest.raises(jsonschema.ValidationError):
        validate(obj)
