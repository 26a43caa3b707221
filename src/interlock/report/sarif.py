"""SARIF 2.1.0 rendering of a `Report`, for code-scanning UIs (GitHub, GitLab, Azure DevOps).

One result per diagnostic and one per violated or unknown property:

- a diagnostic's rule id is its code (`E0201`, `W0301`); its level follows its severity;
- a violated property is rule `interlock/violated` at level `error`; an unknown property is rule
  `interlock/unknown` at level `warning` (`check` still exits 3 on it, and the GitHub Action
  fails on that by default); proved properties produce no result;
- every result is located at its span (for a property: the `invariant` line), so the UI
  annotates the rule file in the pull request; the message carries the counterexample timeline
  as plain text, and `properties.counterexample` carries it as data;
- `partialFingerprints["interlock/v1"]` is a sha256 over the file path, the rule id and what the
  result is about (the invariant's name; a diagnostic's message and the whitespace-normalised
  source it points at) — never line numbers, so baselines survive unrelated edits.

The schema is `schemas/sarif-schema-2.1.0.json` (OASIS errata 01), checked by the tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from functools import cache
from pathlib import PurePath, PurePosixPath
from typing import Any
from urllib.parse import quote

from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Span
from interlock.report.model import FileReport, Report
from interlock.report.timeline import property_details
from interlock.verifier.result import PropertyResult

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "interlock/v1"
SRCROOT = "%SRCROOT%"
RULE_VIOLATED = "interlock/violated"
RULE_UNKNOWN = "interlock/unknown"

_PROPERTY_RULES: dict[str, tuple[str, str]] = {
    RULE_VIOLATED: (
        "property violated",
        "the verifier found an execution of the rules that breaks this invariant; the message "
        "gives the counterexample step by step",
    ),
    RULE_UNKNOWN: (
        "property not proved",
        "the verifier could neither prove nor refute this invariant for executions of any "
        "length (time-out, or a bounded search only); it is not a pass",
    ),
}

Json = dict[str, Any]


def render_sarif(report: Report) -> str:
    """The SARIF log as JSON text (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(sarif_log(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sarif_log(report: Report) -> Json:
    results: list[Json] = []
    codes: dict[str, str] = {}
    for file in report.files:
        occurrences: Counter[str] = Counter()
        for diag in file.diagnostics:
            codes.setdefault(diag.code, diag.severity)
            results.append(diagnostic_result(file, diag, occurrences))
        for prop in file.properties:
            if prop.status != "proved":
                results.append(_property_result(file, prop))
    rules = [diagnostic_rule(code) for code in sorted(codes)]
    rules += [_property_rule(rule_id) for rule_id in sorted(_PROPERTY_RULES)]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
    run: Json = {
        "tool": {
            "driver": {
                "name": "Interlock",
                "semanticVersion": report.version,
                "version": report.version,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "the repository root"}}},
        "artifacts": [_artifact(file) for file in report.files],
        "results": results,
        "invocations": [
            {"executionSuccessful": True, "exitCode": report.exit_code()},
        ],
        "columnKind": "unicodeCodePoints",
        "properties": {"summary": report.summary.model_dump()},
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


# --- results -------------------------------------------------------------------------------


def diagnostic_result(file: FileReport, diag: Diagnostic, seen: Counter[str]) -> Json:
    snippet = " ".join(_span_text(file.source, diag.span).split())
    key = f"{diag.code}\0{diag.message}\0{snippet}"
    seen[key] += 1
    text = diag.message if diag.help is None else f"{diag.message}\nhelp: {diag.help}"
    result: Json = {
        "ruleId": diag.code,
        "level": "error" if diag.is_error else "warning",
        "kind": "fail",
        "message": {"text": text},
        "locations": [location(file.path, diag.span)],
        "partialFingerprints": {
            FINGERPRINT_KEY: fingerprint(file.path, diag.code, f"{key}\0{seen[key]}")
        },
    }
    if diag.suppressed is not None:  # an `accept` line in the rule file
        result["suppressions"] = [{"kind": "inSource", "justification": diag.suppressed}]
    if diag.labels:
        result["relatedLocations"] = [
            location(file.path, label.span, message=label.message, location_id=i + 1)
            for i, label in enumerate(diag.labels)
        ]
    return result


def _property_result(file: FileReport, prop: PropertyResult) -> Json:
    rule_id = RULE_VIOLATED if prop.status == "violated" else RULE_UNKNOWN
    props: Json = {"invariant": prop.name, "status": prop.status, "method": prop.method}
    if prop.depth is not None:
        props["depth"] = prop.depth
    if prop.reason is not None:
        props["reason"] = prop.reason
    if prop.counterexample is not None:
        props["counterexample"] = [row.model_dump() for row in prop.counterexample.timeline]
    return {
        "ruleId": rule_id,
        "level": "error" if prop.status == "violated" else "warning",
        "kind": "fail",
        "message": {"text": property_details(prop)},
        "locations": [location(file.path, prop.span)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(file.path, rule_id, prop.name)},
        "properties": props,
    }


def fingerprint(path: str, rule_id: str, key: str) -> str:
    data = f"{_uri(path)}\0{rule_id}\0{key}".encode()
    return hashlib.sha256(data).hexdigest()


# --- rules and artifacts --------------------------------------------------------------------


@cache
def _code_titles() -> dict[str, str]:
    """Code -> its curated title, as docs/diagnostics.md shows it: the front end's
    `codes.TITLES`, the findings' registered titles and `interlock diff`'s `DIFF_TITLES`."""
    from interlock.ir.codes import DIFF_TITLES, TITLES
    from interlock.verifier.findings import REGISTRY

    return {**TITLES, **{f.code: f.title for f in REGISTRY}, **DIFF_TITLES}


def diagnostic_rule(code: str) -> Json:
    kind = "error" if code.startswith("E") else "finding"
    title = _code_titles().get(code, f"interlock {kind}")
    return {
        "id": code,
        "name": "-".join(re.findall(r"[a-z0-9]+", title.lower())),
        "shortDescription": {"text": title},
        "help": {"text": f"see `{code}` in docs/diagnostics.md"},
        "defaultConfiguration": {"level": "error" if code.startswith("E") else "warning"},
    }


def _property_rule(rule_id: str) -> Json:
    short, full = _PROPERTY_RULES[rule_id]
    return {
        "id": rule_id,
        "name": rule_id.split("/")[1],
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": "see docs/verification.md"},
        "defaultConfiguration": {"level": "error" if rule_id == RULE_VIOLATED else "warning"},
    }


def _artifact(file: FileReport) -> Json:
    artifact: Json = {"location": _artifact_location(file.path), "roles": ["analysisTarget"]}
    if file.source:
        digest = hashlib.sha256(file.source.encode()).hexdigest()
        artifact["hashes"] = {"sha-256": digest}
        artifact["sourceLanguage"] = "interlock"
    return artifact


# --- locations ------------------------------------------------------------------------------


def location(
    path: str, span: Span, *, message: str | None = None, location_id: int | None = None
) -> Json:
    start_line = max(span.line, 1)
    start_col = max(span.column, 1)
    end_line = max(span.end_line, start_line)
    end_col = span.end_column if end_line > start_line else max(span.end_column, start_col)
    location: Json = {
        "physicalLocation": {
            "artifactLocation": _artifact_location(path),
            "region": {
                "startLine": start_line,
                "startColumn": start_col,
                "endLine": end_line,
                "endColumn": max(end_col, 1),
            },
        }
    }
    if message is not None:
        location["message"] = {"text": message}
    if location_id is not None:
        location["id"] = location_id
    return location


def _artifact_location(path: str) -> Json:
    if PurePath(path).is_absolute():
        return {"uri": PurePath(path).as_uri()}
    return {"uri": _uri(path), "uriBaseId": SRCROOT}


def _uri(path: str) -> str:
    posix = PurePosixPath(PurePath(path).as_posix())
    parts = [p for p in posix.parts if p != "."]
    return quote("/".join(parts), safe="/")


def _span_text(source: str, span: Span) -> str:
    lines = source.splitlines()
    if not lines or span.line < 1 or span.line > len(lines):
        return ""
    if span.end_line == span.line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    chunk = [lines[span.line - 1][span.column - 1 :]]
    chunk += lines[span.line : min(span.end_line - 1, len(lines))]
    if span.end_line <= len(lines):
        chunk.append(lines[span.end_line - 1][: span.end_column - 1])
    return "\n".join(chunk)
