"""`interlock check` as a phase: files -> `Report` (front end, then the properties).

`run_check` is what the CLI calls. The verifier plugs in at `prove_properties`; until it does,
every invariant is reported `unknown` ("not checked"), never `proved`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from interlock import __version__
from interlock.compiler.ir import Program
from interlock.dsl.frontend import FrontendResult, compile_file
from interlock.report.model import FileReport, Report
from interlock.verifier.result import PropertyResult


@dataclass(frozen=True)
class CheckOptions:
    timeout_s: float = 60.0
    jobs: int = 1
    strict: bool = False


Prover = Callable[[Program, CheckOptions], tuple[PropertyResult, ...]]


def not_checked(program: Program, options: CheckOptions) -> tuple[PropertyResult, ...]:
    """Every invariant `unknown`: the placeholder until the verifier is plugged in."""
    return tuple(
        PropertyResult(name=inv.name, status="unknown", method="not checked", seconds=0.0,
                       reason="verifier not available", span=inv.span)
        for inv in program.invariants)


def file_report(front: FrontendResult, path: str, options: CheckOptions,
                prove: Prover) -> FileReport:
    if front.program is None:
        protocol = None
        return FileReport(path=path, protocol=protocol, source=front.source,
                          diagnostics=front.diagnostics)
    results = prove(front.program, options)
    return FileReport(path=path, protocol=front.program.protocol, source=front.source,
                      diagnostics=front.diagnostics, properties=results)


def run_check(paths: Sequence[str], options: CheckOptions | None = None,
              prove: Prover = not_checked) -> Report:
    opts = options or CheckOptions()
    files = tuple(file_report(compile_file(p), p, opts, prove) for p in paths)
    return Report(version=__version__, files=files)
