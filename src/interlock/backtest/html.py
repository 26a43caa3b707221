"""The HTML report: the summary, the sweep and, per trace, its firings and chart (inline SVG).

The template (`templates/report.html.j2`) only lays out the view model computed here."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2

from interlock.backtest.chart import svg
from interlock.backtest.results import TraceResult
from interlock.backtest.sweep import sweep_table
from interlock.backtest.text import fmt_time, incident_lines
from interlock.backtest.trace import Header
from interlock.ir.nodes import Program
from interlock.verifier.describe import fmt_duration


def _outcome(t: dict[str, Any]) -> tuple[str, str]:
    inc = t.get("incident")
    if inc is None:
        n = t["firings"]
        return ("no firing", "good") if not n else (f"{n} firing{'s' if n > 1 else ''}", "bad")
    if inc["contained"]:
        c = inc["containment"]
        return (f"contained by {c['breaker']} after "
                f"{fmt_duration(c['seconds_after_first_malicious'])}", "good")
    return "not contained", "bad"


def _trace_view(program: Program, t: dict[str, Any], r: TraceResult, h: Header
                ) -> dict[str, Any]:
    outcome, cls = _outcome(t)
    paused = ", ".join(f"{s} {fmt_duration(v)}" for s, v in t["paused_seconds"].items() if v)
    rows = [(name, f["block"], fmt_time(f["time"]), f["by"], "; ".join(f["effects"]) or "-")
            for name, b in t["breakers"].items() for f in b["firings"]]
    return {
        **t, "outcome": outcome, "outcome_class": cls, "paused": paused or "never",
        "stopped_share": f"{t['ordinary_flows']['stopped_share']:.2%}",
        "span": f"{fmt_time(t['start'])} to {fmt_time(t['end'])}",
        "incident_lines": [x.strip() for x in incident_lines(program, t["incident"])]
        if "incident" in t else [],
        "firing_rows": sorted(rows, key=lambda x: (x[1], x[0])),
        "chart": svg(program, r), "description": h.description, "sources": h.sources,
    }


def render_html(program: Program, report: dict[str, Any], results: list[TraceResult],
                headers: list[Header]) -> str:
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    text = resources.files("interlock.backtest").joinpath("templates/report.html.j2")
    template = env.from_string(text.read_text(encoding="utf-8"))
    sweep = None
    if report.get("sweep"):
        head, rows = sweep_table(report["sweep"])
        sweep = {"spec": report["sweep"]["spec"], "head": head, "rows": rows}
    view = {
        "rules": report["rules"], "protocol": report["protocol"], "version": report["version"],
        "traces": [_trace_view(program, t, r, h)
                   for t, r, h in zip(report["traces"], results, headers, strict=True)],
        "sweep": sweep,
    }
    return template.render(v=view)
