"""JUnit rendering: parseable XML, one test case per property, violated -> failure,
unknown -> error (not a pass, not a skip), input errors -> error on `rules are well-formed`."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from tests.report.results import PATH, bad_file, proved, unknown, violated

from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Span
from interlock.report.junit import WELL_FORMED, render_junit
from interlock.report.model import FileReport, Report

SOURCE = "protocol PerpVenue\n"


def parse(report: Report) -> ET.Element:
    text = render_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.split("\n", 1)[1])


def good_file() -> FileReport:
    return FileReport(
        path=PATH,
        protocol="PerpVenue",
        source=SOURCE,
        properties=(proved(), violated(), unknown()),
    )


def cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {c.attrib["name"]: c for c in suite.iter("testcase")}


def test_one_testcase_per_property_plus_well_formedness() -> None:
    root = parse(Report(version="0.1.0", files=(good_file(),)))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.attrib["name"] == PATH
    names = [WELL_FORMED, "no_single_key", "withdrawals_escape", "leverage_bounds"]
    assert list(cases(suite)) == names
    assert suite.attrib["tests"] == "4"
    assert suite.attrib["failures"] == "1"
    assert suite.attrib["errors"] == "1"
    assert root.attrib["tests"] == "4" and root.attrib["failures"] == "1"
    assert root.attrib["errors"] == "1" and root.attrib["skipped"] == "0"


def test_a_proved_property_passes() -> None:
    case = cases(parse(Report(version="0.1.0", files=(good_file(),))))["no_single_key"]
    assert case.find("failure") is None and case.find("error") is None
    assert case.find("skipped") is None
    assert case.attrib["classname"] == "PerpVenue"
    assert case.attrib["line"] == "4"


def test_a_violated_property_fails_with_its_counterexample() -> None:
    case = cases(parse(Report(version="0.1.0", files=(good_file(),))))["withdrawals_escape"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["type"] == "violated"
    assert failure.attrib["message"] == "invariant `withdrawals_escape` is violated"
    assert failure.text is not None
    assert failure.text.startswith(f"{PATH}:5:11: ")
    assert "counterexample:" in failure.text
    assert "extend withdrawals by 7d" in failure.text
    assert case.attrib["time"] == "0.420"


def test_an_unknown_property_is_an_error_not_a_skip() -> None:
    case = cases(parse(Report(version="0.1.0", files=(good_file(),))))["leverage_bounds"]
    error = case.find("error")
    assert error is not None and case.find("skipped") is None
    assert error.attrib["type"] == "unknown"
    assert "timeout after 30s" in error.attrib["message"]
    assert "depth 12" in error.attrib["message"]


def test_invalid_input_is_an_error_on_well_formedness() -> None:
    root = parse(Report(version="0.1.0", files=(good_file(), bad_file("examples/broken.guard"))))
    suites = root.findall("testsuite")
    assert [s.attrib["name"] for s in suites] == [PATH, "examples/broken.guard"]
    bad = cases(suites[1])
    assert list(bad) == [WELL_FORMED]
    error = bad[WELL_FORMED].find("error")
    assert error is not None and error.attrib["type"] == "invalid input"
    assert error.text is not None
    assert "examples/broken.guard:1:9: error[E0101]: expected a name after `protocol`" in error.text
    assert "help: write `protocol NAME`" in error.text
    assert root.attrib["errors"] == "2"


def test_a_strict_finding_fails_and_a_warning_is_only_output() -> None:
    finding = Diagnostic(
        code="W0301",
        severity="error",
        message="breaker `drain` can never fire",
        span=Span(file=PATH, line=2, column=1, end_line=2, end_column=7),
    )
    warning = finding.model_copy(update={"severity": "warning", "code": "W0302"})
    strict = good_file().model_copy(update={"diagnostics": (finding,)})
    case = cases(parse(Report(version="0.1.0", files=(strict,))))[WELL_FORMED]
    failure = case.find("failure")
    assert failure is not None and failure.attrib["type"] == "finding"
    lenient = good_file().model_copy(update={"diagnostics": (warning,)})
    case = cases(parse(Report(version="0.1.0", files=(lenient,))))[WELL_FORMED]
    assert case.find("failure") is None and case.find("error") is None
    out = case.find("system-out")
    assert out is not None and out.text is not None and "W0302" in out.text


def test_text_is_escaped_and_rendering_is_deterministic() -> None:
    prop = violated().model_copy(update={"name": "a<b"})
    file = good_file().model_copy(update={"properties": (prop,)})
    report = Report(version="0.1.0", files=(file,))
    assert render_junit(report) == render_junit(report)
    assert "a&lt;b" in render_junit(report)
    assert "a<b" in cases(parse(report))


def test_check_format_junit_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    from interlock.cli import main

    assert main(["check", "--format", "junit", "--jobs", "2", "examples/perp_venue.guard"]) == 0
    root = ET.fromstring(capsys.readouterr().out.split("\n", 1)[1])
    (suite,) = root.findall("testsuite")
    assert suite.attrib["failures"] == "0" and suite.attrib["errors"] == "0"
    assert len(cases(suite)) == 1 + 6
