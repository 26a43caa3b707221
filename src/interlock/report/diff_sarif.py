"""SARIF 2.1.0 rendering of a `DiffReport`: code scanning annotates each weakening.

One result per change that weakens (or is incomparable), rule id its code (`W1002`), level
`error`, located at the changed declaration in the new file (a declaration that is gone: the
new file's first line); a weakening the rule file accepts carries an in-source suppression
with the reason. Front-end errors of either version are results as in `interlock check`.
Fingerprints hash the file, the code and what changed (never line numbers).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from interlock.ir.codes import DIFF_TITLES
from interlock.ir.nodes import Span
from interlock.report.diff_model import DiffReport, FileDiff
from interlock.report.model import FileReport
from interlock.report.sarif import (
    FINGERPRINT_KEY,
    SARIF_SCHEMA_URI,
    SARIF_VERSION,
    SRCROOT,
    diagnostic_result,
    diagnostic_rule,
    fingerprint,
    location,
)
from interlock.verifier.diff.model import WEAKENING, Change

Json = dict[str, Any]


def render_diff_sarif(report: DiffReport) -> str:
    log = diff_sarif_log(report)
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _first_line(path: str) -> Span:
    return Span(file=path, line=1, column=1, end_line=1, end_column=1)


def _change_result(file: FileDiff, c: Change) -> Json:
    assert c.code is not None
    text = (f"{c.verdict}: {c.label} — {c.aspect}: {c.before} → {c.after}\n"
            f"evidence: {c.evidence}")
    key = f"{c.subject}\0{c.name}\0{c.aspect}\0{c.before}\0{c.after}"
    result: Json = {
        "ruleId": c.code,
        "level": "error",
        "kind": "fail",
        "message": {"text": text},
        "locations": [location(file.path, c.span or _first_line(file.path))],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(file.path, c.code, key)},
        "properties": {"verdict": c.verdict, "aspect": c.aspect, "before": c.before,
                       "after": c.after, "evidence": c.evidence},
    }
    if c.accepted is not None:
        result["suppressions"] = [{"kind": "inSource", "justification": c.accepted}]
    return result


def _rule(code: str) -> Json:
    rule = diagnostic_rule(code)
    if code in DIFF_TITLES:  # a weakening fails the diff: an error, documented twice
        rule["help"] = {"text": f"see `{code}` in docs/diagnostics.md and docs/diff.md"}
        rule["defaultConfiguration"] = {"level": "error"}
    return rule


def diff_sarif_log(report: DiffReport) -> Json:
    results: list[Json] = []
    for file in report.files:
        seen: Counter[str] = Counter()
        for diag in file.diagnostics:
            view = FileReport(path=diag.span.file, protocol=None,
                              source=file.sources.get(diag.span.file, ""))
            results.append(diagnostic_result(view, diag, seen))
        results += [_change_result(file, c) for c in file.changes if c.verdict in WEAKENING]
    rules = [_rule(code) for code in sorted({r["ruleId"] for r in results})]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
    run: Json = {
        "tool": {"driver": {"name": "Interlock diff", "semanticVersion": report.version,
                            "version": report.version, "rules": rules}},
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "the repository root"}}},
        "results": results,
        "invocations": [{"executionSuccessful": True, "exitCode": report.exit_code()}],
        "columnKind": "unicodeCodePoints",
        "properties": {"summary": report.summary.model_dump(), "base": report.base},
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
