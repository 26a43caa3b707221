"""`interlock check --format json`: the object of SPEC §6, exactly.

Only the keys SPEC §6 lists are written (no help texts, labels, certificates or machine traces),
so a consumer can rely on the shape; `docs/verification.md` documents each field. Two optional
keys extend it compatibly, each present only when it applies: a diagnostic's `suppressed` (an
accepted finding) and a property's `bound_tight` (whether its `bound` is the tightest).
"""

from __future__ import annotations

import json
from typing import Any

from interlock.ir.diagnostics import Diagnostic
from interlock.report.model import FileReport, Report
from interlock.verifier.result import PropertyResult

Json = dict[str, Any]


def diagnostic_json(diag: Diagnostic) -> Json:
    """SPEC §6's diagnostic object; an accepted finding adds `"suppressed": REASON`."""
    span = diag.span
    out: Json = {
        "code": diag.code,
        "severity": diag.severity,
        "message": diag.message,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }
    if diag.suppressed is not None:
        out["suppressed"] = diag.suppressed
    return out


def property_json(result: PropertyResult) -> Json:
    """SPEC §6's property object; a `bound` whose tightness is known adds `"bound_tight"`."""
    cex = result.counterexample
    out: Json = {
        "name": result.name,
        "status": result.status,
        "method": result.method,
        "depth": result.depth,
        "seconds": round(result.seconds, 3),
        "counterexample": None
        if cex is None
        else {
            "steps": [
                {"time": entry.time, "actor": entry.actor, "action": entry.action}
                for entry in cex.timeline
            ]
        },
        "bound": result.bound,
    }
    if result.bound is not None and result.bound_tight is not None:
        out["bound_tight"] = result.bound_tight
    return out


def file_json(file: FileReport) -> Json:
    return {
        "path": file.path,
        "protocol": file.protocol,
        "diagnostics": [diagnostic_json(d) for d in file.diagnostics],
        "properties": [property_json(p) for p in file.properties],
    }


def report_json(report: Report) -> Json:
    summary = report.summary
    return {
        "version": report.version,
        "files": [file_json(f) for f in report.files],
        "summary": {
            "proved": summary.proved,
            "violated": summary.violated,
            "unknown": summary.unknown,
            "errors": summary.errors,
        },
    }


def render_json(report: Report) -> str:
    """The report as JSON text (two-space indent, trailing newline)."""
    return json.dumps(report_json(report), indent=2) + "\n"
