"""The commands on rule files: `check`, `ir`, `fmt`, `build`, `demo` (which runs them end to
end on the SPEC example) and `diff`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interlock.cli.options import Debug, Files

if TYPE_CHECKING:
    from interlock.ir.diagnostics import Diagnostic

commands = typer.Typer()


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


@commands.command()
def check(
    files: Files,
    format: Annotated[Format, typer.Option("--format", help="output format")] = Format.text,
    strict: Annotated[bool, typer.Option("--strict", help="findings are errors")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per property")] = 60.0,
    jobs: Annotated[int, typer.Option("--jobs", help="properties proved in parallel")] = 1,
    explain: Annotated[str | None, typer.Option("--explain", help="print a proof")] = None,
    debug: Debug = False,
) -> int:
    """Parse, type-check and prove the rule files."""
    from interlock.check import CheckOptions, run_check

    options = CheckOptions(timeout_s=timeout, jobs=jobs, strict=strict, progress=True)
    report = run_check(files, options)
    if format is Format.json:
        from interlock.report.json_report import render_json
        typer.echo(render_json(report), nl=False)
    elif format is Format.sarif:
        from interlock.report.sarif import render_sarif
        typer.echo(render_sarif(report), nl=False)
    elif format is Format.junit:
        from interlock.report.junit import render_junit
        typer.echo(render_junit(report), nl=False)
    else:
        from interlock.report.text import render_text
        typer.echo(render_text(report), nl=False)
    if explain is not None:
        from interlock.verifier.explain import explain as explain_result
        found = [(f.path, p) for f in report.files for p in f.properties if p.name == explain]
        if not found:
            typer.echo(f"error: no checked invariant is named `{explain}`", err=True)
            return 2
        for path, result in found:  # on stdout after a text report, else on stderr
            typer.echo(f"\n{path}: {explain_result(result)}", err=format is not Format.text)
    return report.exit_code()


def _diagnostics_out(diags: tuple[Diagnostic, ...], source: str) -> None:
    from interlock.report.diagnostic_text import render_diagnostic

    for d in diags:
        typer.echo(render_diagnostic(d, source), err=True, nl=False)


@commands.command()
def ir(
    file: Annotated[str | None, typer.Argument(help="a rule file", show_default=False)] = None,
    schema: Annotated[bool, typer.Option("--schema", help="print the IR's JSON Schema")] = False,
    debug: Debug = False,
) -> int:
    """Print a rule file's checked IR as JSON (or the IR's JSON Schema)."""
    if schema:
        from interlock.ir.schema import ir_json_schema_text
        typer.echo(ir_json_schema_text(), nl=False)
        return 0
    if file is None:
        typer.echo("error: give a rule file, or --schema", err=True)
        return 2
    from interlock.dsl.frontend import compile_file

    result = compile_file(file)
    _diagnostics_out(result.diagnostics, result.source)
    if result.program is None:
        return 2
    typer.echo(result.program.model_dump_json(indent=2))
    return 0


@commands.command()
def fmt(
    files: Files,
    check: Annotated[bool, typer.Option("--check", help="exit 1 if a file is not formatted")]
    = False,
    write: Annotated[bool, typer.Option("--write", help="rewrite the files in place")] = False,
    debug: Debug = False,
) -> int:
    """Print rule files in canonical form (comments kept)."""
    from interlock.dsl.fmt import format_source
    from interlock.dsl.frontend import compile_file

    status = 0
    for path in files:
        result = compile_file(path)
        parse_errors = [d for d in result.diagnostics if d.code < "E0200"]
        if parse_errors or (not result.source and result.diagnostics):
            _diagnostics_out(tuple(parse_errors or result.diagnostics), result.source)
            return 2
        formatted = format_source(result.source, path)
        if check:
            if formatted != result.source:
                typer.echo(f"{path}: not formatted", err=True)
                typer.echo(_diff(result.source, formatted, path), err=True, nl=False)
                status = 1
        elif write:
            if formatted != result.source:
                Path(path).write_text(formatted, encoding="utf-8")
        else:
            typer.echo(formatted, nl=False)
    return status


def _diff(before: str, after: str, path: str) -> str:
    import difflib

    lines = difflib.unified_diff(before.splitlines(keepends=True),
                                 after.splitlines(keepends=True), path, f"{path} (formatted)")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@commands.command()
def build(
    files: Files,
    out: Annotated[Path, typer.Option("-o", "--out", help="output directory")],
    check_only: Annotated[
        bool, typer.Option("--check", help="write nothing; exit 1 if the directory is stale")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="build even if a property is violated")]
    = False,
    strict: Annotated[bool, typer.Option("--strict", help="findings are errors")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per property")] = 60.0,
    jobs: Annotated[int, typer.Option("--jobs", help="properties proved in parallel")] = 1,
    optimizer_runs: Annotated[
        int, typer.Option("--optimizer-runs", min=1,
                          help="solc optimizer runs: lower gives smaller code, dearer calls")
    ] = 200,
    debug: Debug = False,
) -> int:
    """Check, then write the guard, its compiled artifacts, the monitor, the IR, the proof
    report and a manifest of hashes (byte-identical on rebuild). A contract over EIP-170's
    24,576 bytes fails the build (E0601) with the rules that cost the most bytes.

    \b
    Example: interlock build examples/lending_market.guard -o build --optimizer-runs 50
    """
    from interlock.build import BuildOptions, summary_lines
    from interlock.build import build as run_build
    from interlock.report.text import render_text

    options = BuildOptions(out_dir=out, check=check_only, force=force, strict=strict,
                           timeout_s=timeout, jobs=jobs, progress=True,
                           optimizer_runs=optimizer_runs)
    result = run_build(files, options)
    typer.echo(render_text(result.report), nl=False, err=result.exit_code != 0)
    for line in summary_lines(result, out, check=check_only):
        typer.echo(line, err=result.exit_code != 0)
    return result.exit_code


@commands.command()
def demo(
    out: Annotated[
        Path | None, typer.Option("--out", help="keep the demo's rules and build here")
    ] = None,
    cadence: Annotated[
        float, typer.Option("--cadence", help="seconds the attacker waits between withdrawals")
    ] = 1.5,
    debug: Debug = False,
) -> int:
    """Prove the SPEC example, build and deploy it on a local Anvil with its monitor, replay
    a drain modelled on Euler Finance (March 2023), then show a broken variant's violation."""
    from rich.console import Console

    from interlock.demo.story import run_demo

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=100)
    return 0 if run_demo(console, out=out, cadence_s=cadence).ok else 1


class DiffFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


@commands.command()
def diff(
    files: Annotated[list[str] | None, typer.Argument(
        help="OLD NEW; with --base, the files to compare (default: the *.guard files that "
        "differ from GIT_REF)", show_default=False)] = None,
    base: Annotated[str | None, typer.Option(
        "--base", metavar="GIT_REF", help="compare each file with its version at GIT_REF")]
    = None,
    format: Annotated[DiffFormat, typer.Option("--format", help="output format")]
    = DiffFormat.text,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="seconds per pause-bound search")] = 10.0,
    every: Annotated[bool, typer.Option(
        "--all", help="also list each compared aspect that did not change")] = False,
    debug: Debug = False,
) -> int:
    """Compare two versions of rule files semantically: which changes weaken the guard.

    Example: `interlock diff old.guard new.guard`; in CI:
    `interlock diff --base origin/main --format markdown`.

    Exit code 0 nothing weakened, 1 a weakening not accepted, 2 invalid input (docs/diff.md).
    """
    from interlock.diff import DiffError, DiffOptions, run_diff

    try:
        report = run_diff(files or [], DiffOptions(base=base, timeout_s=timeout, every=every))
    except DiffError as err:
        typer.echo(f"error: {err}", err=True)
        return 2
    if format is DiffFormat.json:
        from interlock.report.diff_json import render_diff_json as render
    elif format is DiffFormat.markdown:
        from interlock.report.diff_markdown import render_diff_markdown as render
    elif format is DiffFormat.sarif:
        from interlock.report.diff_sarif import render_diff_sarif as render
    else:
        from interlock.report.diff_text import render_diff_text as render
    typer.echo(render(report), nl=False)
    return report.exit_code()
