"""`interlock check` as a phase: files -> `Report` (front end, then the properties).

`run_check` is what the CLI calls. For each file: the front end; if it reports no error, the
built-in findings (`interlock.verifier.findings`, errors under `--strict`) and the verifier
(`interlock.verifier.engine.verify`: every invariant in a worker process with a time limit).
A file with front-end errors is not verified (its properties are absent, and exit code 2 wins).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from interlock import __version__
from interlock.dsl.frontend import FrontendResult, compile_file
from interlock.ir.nodes import Program
from interlock.report.model import FileReport, Report
from interlock.verifier.result import PropertyResult


@dataclass(frozen=True)
class CheckOptions:
    timeout_s: float = 60.0
    jobs: int = 1
    strict: bool = False
    progress: bool = False  # progress on stderr (a live line on a terminal, else plain lines)


Prover = Callable[[Program, CheckOptions], tuple[PropertyResult, ...]]


def verify_properties(program: Program, options: CheckOptions) -> tuple[PropertyResult, ...]:
    """The verifier, with progress on stderr when asked for."""
    from interlock.report.progress import progress_reporter
    from interlock.verifier.engine import verify

    if not options.progress:
        return verify(program, timeout_s=options.timeout_s, jobs=options.jobs)
    with progress_reporter(sys.stderr, program.source_path) as on_progress:
        return verify(program, timeout_s=options.timeout_s, jobs=options.jobs,
                      on_progress=on_progress)


def file_report(front: FrontendResult, path: str, options: CheckOptions,
                prove: Prover) -> FileReport:
    if front.program is None:
        protocol = None
        return FileReport(path=path, protocol=protocol, source=front.source,
                          diagnostics=front.diagnostics)
    from interlock.verifier.findings import accepted, find, strict

    found = accepted(front.program, find(front.program))
    diagnostics = front.diagnostics + (strict(found) if options.strict else found)
    results = prove(front.program, options)
    return FileReport(path=path, protocol=front.program.protocol, source=front.source,
                      diagnostics=diagnostics, properties=results)


def run_check(paths: Sequence[str], options: CheckOptions | None = None,
              prove: Prover = verify_properties) -> Report:
    opts = options or CheckOptions()
    files = tuple(file_report(compile_file(p), p, opts, prove) for p in paths)
    return Report(version=__version__, files=files)
