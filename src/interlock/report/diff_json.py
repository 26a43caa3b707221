"""`interlock diff --format json`: the `DiffReport` as one object (docs/diff.md, "JSON")."""

from __future__ import annotations

import json
from typing import Any

from interlock.report.diff_model import DiffReport


def diff_json(report: DiffReport) -> dict[str, Any]:
    files = []
    for file in report.files:
        data = file.model_dump(mode="json", exclude={"sources"})
        for change, out in zip(file.changes, data["changes"], strict=True):
            out["fails"] = change.fails
        files.append(data)
    return {"version": report.version, "base": report.base, "files": files,
            "summary": report.summary.model_dump(), "exit_code": report.exit_code()}


def render_diff_json(report: DiffReport) -> str:
    return json.dumps(diff_json(report), indent=2, ensure_ascii=False) + "\n"
