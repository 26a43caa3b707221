"""SARIF rendering: schema-valid (OASIS 2.1.0 schema shipped in `schemas/`), located at the
invariant, counterexample in the message, fingerprints that survive unrelated edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.report.results import PATH, bad_file, proved, span, unknown, violated

from interlock.ir import codes
from interlock.ir.diagnostics import Diagnostic, Label
from interlock.report.model import FileReport, Report
from interlock.report.sarif import (
    FINGERPRINT_KEY,
    RULE_UNKNOWN,
    RULE_VIOLATED,
    render_sarif,
    sarif_log,
)
from interlock.semantics.trace import Advance, Fire, UsePower
from interlock.verifier.findings import REGISTRY
from interlock.verifier.result import Counterexample, TimelineEntry

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "sarif-schema-2.1.0.json"
SOURCE = (
    "protocol PerpVenue\n"
    "signer alice 0x1111111111111111111111111111111111111111\n"
    "scope withdrawals max 72h gap 24h\n"
    "invariant no_single_key: no unilateral signer\n"
    "invariant withdrawals_escape: withdrawals paused at most 72h then open 24h\n"
    "invariant leverage_bounds: always (max_leverage >= 2)\n"
)


def _curated_title(code: str) -> str:
    by_finding = {f.code: f.title for f in REGISTRY}
    return codes.TITLES.get(code) or by_finding[code]


def report(shift: int = 0) -> Report:
    diags = (
        Diagnostic(
            code="W0301",
            severity="warning",
            message="breaker `drain` can never fire",
            span=span(2 + shift, 1, 7),
            labels=(Label(span=span(3 + shift, 1, 6), message="its scope is declared here"),),
            help="did you mean `outflow`?",
        ),
    )
    source = "\n" * shift + SOURCE
    file = FileReport(
        path=PATH,
        protocol="PerpVenue",
        source=source,
        diagnostics=diags,
        properties=(proved(4 + shift), violated(5 + shift), unknown(6 + shift)),
    )
    return Report(version="0.1.0", files=(file,))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    return list(log["runs"][0]["results"])


def test_the_shipped_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["$id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert {"result", "run", "region", "reportingDescriptor"} <= set(schema["definitions"])


def test_a_full_report_is_schema_valid(validator: jsonschema.protocols.Validator) -> None:
    log = json.loads(render_sarif(report()))
    errors = sorted(validator.iter_errors(log), key=str)
    assert errors == []
    assert log["version"] == "2.1.0"


def test_an_empty_report_is_schema_valid(validator: jsonschema.protocols.Validator) -> None:
    log = sarif_log(Report(version="0.1.0", files=()))
    assert list(validator.iter_errors(log)) == []
    assert results(log) == []


def test_the_validator_rejects_a_broken_log(validator: jsonschema.protocols.Validator) -> None:
    log = sarif_log(report())
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(validator.iter_errors(log))


def test_one_result_per_diagnostic_and_per_violated_or_unknown_property() -> None:
    found = results(sarif_log(report()))
    assert [r["ruleId"] for r in found] == ["W0301", RULE_VIOLATED, RULE_UNKNOWN]
    assert [r["level"] for r in found] == ["warning", "error", "warning"]
    rules = sarif_log(report())["runs"][0]["tool"]["driver"]["rules"]
    for result in found:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_a_property_result_is_located_at_its_invariant_line() -> None:
    found = results(sarif_log(report()))
    location = found[1]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": PATH, "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 5, "startColumn": 11, "endLine": 5, "endColumn": 29}


def test_the_counterexample_timeline_is_in_the_message() -> None:
    text = results(sarif_log(report()))[1]["message"]["text"]
    lines = text.splitlines()
    assert lines[0] == "invariant `withdrawals_escape` is violated"
    assert lines[1] == "counterexample:"
    assert lines[2].split() == ["+0s", "breaker", "drain", "pause", "withdrawals", "for", "6h"]
    assert lines[3].lstrip().startswith("+6h") and "guardian (alice, carol)" in lines[3]
    assert lines[4].lstrip().startswith("+3d 6h") and "extend withdrawals by 7d" in lines[4]
    props = results(sarif_log(report()))[1]["properties"]
    assert props["counterexample"][1] == {
        "time": 21_600,
        "actor": "guardian (alice, carol)",
        "action": "pause for 72h",
    }


def test_an_unknown_result_says_why_and_to_which_depth() -> None:
    text = results(sarif_log(report()))[2]["message"]["text"]
    assert (
        text
        == "invariant `leverage_bounds` is unknown: timeout after 30s, checked to depth 12 only"
    )


def test_diagnostics_keep_their_help_and_labels() -> None:
    diag = results(sarif_log(report()))[0]
    assert diag["message"]["text"].endswith("help: did you mean `outflow`?")
    related = diag["relatedLocations"][0]
    assert related["message"]["text"] == "its scope is declared here"
    assert related["physicalLocation"]["region"]["startLine"] == 3


def test_fingerprints_survive_unrelated_edits_that_move_lines() -> None:
    before = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results(sarif_log(report()))]
    after = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results(sarif_log(report(7)))]
    assert before == after
    assert len(set(before)) == len(before)
    moved = results(sarif_log(report(7)))[1]["locations"][0]["physicalLocation"]["region"]
    assert moved["startLine"] == 12


def test_fingerprints_tell_files_apart() -> None:
    other = report().files[0].model_copy(update={"path": "examples/lending.guard"})
    log = sarif_log(Report(version="0.1.0", files=(report().files[0], other)))
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in results(log)]
    assert len(set(prints)) == len(prints) == 6


def test_rendering_is_deterministic() -> None:
    assert render_sarif(report()) == render_sarif(report())


def test_an_invalid_file_is_reported_at_its_error(
    validator: jsonschema.protocols.Validator,
) -> None:
    bad = bad_file("rules/bad file.guard")
    log = sarif_log(Report(version="0.1.0", files=(bad,)))
    assert list(validator.iter_errors(log)) == []
    (result,) = results(log)
    assert result["level"] == "error"
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "rules/bad%20file.guard"
    assert log["runs"][0]["invocations"][0]["exitCode"] == 2


def test_absolute_paths_become_file_uris(validator: jsonschema.protocols.Validator) -> None:
    path = "/tmp/rules/x.guard"
    file = FileReport(
        path=path,
        protocol="X",
        properties=(violated().model_copy(update={"span": span(5, path=path)}),),
    )
    log = sarif_log(Report(version="0.1.0", files=(file,)))
    assert list(validator.iter_errors(log)) == []
    uri = results(log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "file:///tmp/rules/x.guard"


def test_check_format_sarif_end_to_end(
    validator: jsonschema.protocols.Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    from interlock.cli import main

    broken = "examples/broken/perp_venue_unbounded.guard"
    assert main(["check", "--format", "sarif", "--jobs", "2", broken]) == 1
    log = json.loads(capsys.readouterr().out)
    assert list(validator.iter_errors(log)) == []
    violated = [r for r in results(log) if r["ruleId"] == RULE_VIOLATED]
    assert violated
    source = Path(broken).read_text(encoding="utf-8").splitlines()
    for result in violated:
        line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
        assert source[line - 1].startswith("invariant ")
        assert "counterexample:" in result["message"]["text"]


def test_rules_are_named_after_their_codes() -> None:
    log = sarif_log(report())
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["W0301"]["defaultConfiguration"]["level"] == "warning"
    bad = FileReport(
        path=PATH,
        protocol=None,
        diagnostics=(
            Diagnostic(code="E0201", severity="error", message="unknown name `x`", span=span(1)),
            Diagnostic(code="W0801", severity="warning", message="never fires", span=span(2)),
            Diagnostic(code="E0104", severity="error", message="no protocol", span=span(1)),
            Diagnostic(code="E0205", severity="error", message="same address", span=span(2)),
        ),
    )
    rules = {
        r["id"]: r
        for r in sarif_log(Report(version="0.1.0", files=(bad,)))["runs"][0]["tool"]["driver"][
            "rules"
        ]
    }
    assert rules["E0201"]["shortDescription"]["text"] == "unknown name"
    assert rules["W0801"]["shortDescription"]["text"] == "breaker can never fire"
    # the curated titles of docs/diagnostics.md, not the names of the Python constants
    assert rules["E0205"]["shortDescription"]["text"] == codes.TITLES["E0205"]
    assert rules["E0205"]["shortDescription"]["text"] == "the same address twice"
    assert rules["E0104"]["name"] == "the-protocol-line-is-missing-or-not-first"
    for code, rule in rules.items():
        if code[0] in "EW":
            assert rule["shortDescription"]["text"] == _curated_title(code), code


def test_a_lasso_counterexample_marks_where_the_cycle_starts() -> None:
    cex = Counterexample(
        timeline=(
            TimelineEntry(time=0, actor="guardian (alice, carol)", action="pause withdrawals"),
            TimelineEntry(time=3600, actor="breaker drain", action="pause withdrawals for 6h"),
        ),
        steps=(
            UsePower(power=0, targets=("withdrawals",), value=3600, signers=("alice", "carol")),
            Advance(seconds=3600),
            Fire(breaker="drain"),
            Advance(seconds=21_600),
        ),
        loop_start=1,
    )
    prop = violated().model_copy(update={"name": "never", "counterexample": cex})
    file = FileReport(path=PATH, protocol="PerpVenue", properties=(prop,))
    (result,) = results(sarif_log(Report(version="0.1.0", files=(file,))))
    lines = result["message"]["text"].splitlines()
    assert lines[1] == "counterexample:"
    assert "+0s" in lines[2]
    assert lines[3].startswith("  ↻")  # the cycle starts before the second row
    assert "+1h" in lines[4]
