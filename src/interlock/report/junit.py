"""JUnit XML rendering of a `Report`, for CI test-result views (GitLab, Jenkins, Azure, ...).

Layout: one `<testsuite>` per rule file (named by its path), holding
- one `<testcase>` per property (`classname` the protocol, `name` the invariant):
  - proved: passes (the method is in `<system-out>`);
  - violated: `<failure type="violated">` with the counterexample timeline;
  - unknown: `<error type="unknown">` with the reason and depth. An unknown result is not a
    pass (`check` exits 3), and it is not a failure either (no counterexample exists), so it is
    reported as an error rather than as `<skipped>`, which most CI views count as green;
- one `<testcase name="rules are well-formed">` per file: `<error type="invalid input">` when
  the file has front-end errors (codes `E…`: nothing was verified), `<failure type="finding">`
  when a finding was promoted to an error by `--strict`, and warnings in `<system-out>`.

Output is deterministic: no timestamps or host names, attributes in a fixed order.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from interlock.ir.diagnostics import Diagnostic
from interlock.report.model import FileReport, Report
from interlock.report.timeline import property_details
from interlock.verifier.result import PropertyResult

WELL_FORMED = "rules are well-formed"


def render_junit(report: Report) -> str:
    root = junit_tree(report)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def junit_tree(report: Report) -> ET.Element:
    suites = [_suite(file) for file in report.files]
    root = ET.Element("testsuites", _counts(suites))
    root.set("name", "interlock check")
    root.extend(suites)
    return root


def _counts(suites: list[ET.Element]) -> dict[str, str]:
    keys = ("tests", "failures", "errors", "skipped")
    totals = {k: sum(int(s.get(k, "0")) for s in suites) for k in keys}
    seconds = sum(float(s.get("time", "0")) for s in suites)
    return {**{k: str(v) for k, v in totals.items()}, "time": f"{seconds:.3f}"}


def _suite(file: FileReport) -> ET.Element:
    cases = [_well_formed_case(file)] + [_property_case(file, p) for p in file.properties]
    seconds = sum(p.seconds for p in file.properties)
    suite = ET.Element(
        "testsuite",
        {
            "name": file.path,
            "tests": str(len(cases)),
            "failures": str(sum(c.find("failure") is not None for c in cases)),
            "errors": str(sum(c.find("error") is not None for c in cases)),
            "skipped": "0",
            "time": f"{seconds:.3f}",
        },
    )
    if file.protocol is not None:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", {"name": "protocol", "value": file.protocol})
    suite.extend(cases)
    return suite


def _case(file: FileReport, name: str, line: int | None, seconds: float) -> ET.Element:
    attrs = {"classname": file.protocol or file.path, "name": name, "file": file.path}
    if line is not None:
        attrs["line"] = str(line)
    attrs["time"] = f"{seconds:.3f}"
    return ET.Element("testcase", attrs)


def _property_case(file: FileReport, prop: PropertyResult) -> ET.Element:
    case = _case(file, prop.name, prop.span.line, prop.seconds)
    details = property_details(prop)
    location = f"{file.path}:{prop.span.line}:{prop.span.column}"
    if prop.status == "violated":
        failure = ET.SubElement(case, "failure", {"message": details.splitlines()[0]})
        failure.set("type", "violated")
        failure.text = f"{location}: {details}"
    elif prop.status == "unknown":
        error = ET.SubElement(case, "error", {"message": details.splitlines()[0]})
        error.set("type", "unknown")
        error.text = f"{location}: {details}\nmethod: {prop.method}"
    else:
        ET.SubElement(case, "system-out").text = f"{details}"
    return case


def _well_formed_case(file: FileReport) -> ET.Element:
    case = _case(file, WELL_FORMED, None, 0.0)
    invalid = [d for d in file.diagnostics if d.is_error and d.code.startswith("E")]
    promoted = [d for d in file.diagnostics if d.is_error and not d.code.startswith("E")]
    warnings = [d for d in file.diagnostics if not d.is_error]
    if invalid:
        error = ET.SubElement(case, "error", {"message": _headline(invalid, "error")})
        error.set("type", "invalid input")
        error.text = _lines(file.path, invalid)
    elif promoted:
        failure = ET.SubElement(case, "failure", {"message": _headline(promoted, "finding")})
        failure.set("type", "finding")
        failure.text = _lines(file.path, promoted)
    if warnings:
        ET.SubElement(case, "system-out").text = _lines(file.path, warnings)
    return case


def _headline(diags: list[Diagnostic], noun: str) -> str:
    plural = "" if len(diags) == 1 else "s"
    return f"{len(diags)} {noun}{plural}; first: {diags[0].code}: {diags[0].message}"


def _lines(path: str, diags: list[Diagnostic]) -> str:
    out = []
    for d in diags:
        line = f"{path}:{d.span.line}:{d.span.column}: {d.severity}[{d.code}]: {d.message}"
        if d.suppressed is not None:
            line += f" (accepted: {d.suppressed})"
        out.append(line if d.help is None else f"{line}\n  help: {d.help}")
    return "\n".join(out)
