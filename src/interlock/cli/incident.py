"""The commands for incidents: `backtest` rules on recorded traces, `record` a trace, write the
response `plan` and rehearse it in a `drill`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from interlock.cli.options import BuildDir, Debug, Protocol, Rpc

commands = typer.Typer()


class BacktestFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


@commands.command()
def backtest(
    rules: Annotated[str, typer.Argument(help="a rule file (*.guard)", show_default=False)],
    traces: Annotated[list[str], typer.Argument(help="traces (*.jsonl, *.jsonl.gz)",
                                                show_default=False)],
    format: Annotated[BacktestFormat, typer.Option("--format", help="output format")]
    = BacktestFormat.text,
    sweep: Annotated[str | None, typer.Option(
        "--sweep", help="vary a rule's constant, e.g. 'drain.threshold=5%..20%/1%'")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="write the report to this file")]
    = None,
    charts: Annotated[Path | None, typer.Option(
        "--charts", help="write each trace's chart (SVG and PNG) into this directory")] = None,
    debug: Debug = False,
) -> int:
    """Replay chain traces through the rules as the guard and the monitor would, and report
    firings, containment of incidents and pauses of ordinary days (docs/backtest.md).

    Example: interlock backtest examples/perp_venue.guard examples/traces/euler-2023-03.jsonl.gz
    """
    from interlock.backtest.run import BacktestOptions, run_backtest

    code, stdout, stderr = run_backtest(rules, traces, BacktestOptions(format.value, sweep, out,
                                                                       charts))
    if stdout:
        typer.echo(stdout, nl=False)
    if stderr:
        typer.echo(stderr, err=True, nl=False)
    return code


class PlanFormat(StrEnum):
    md = "md"
    html = "html"
    both = "both"


@commands.command()
def plan(
    rules: Annotated[str, typer.Argument(help="a rule file (*.guard)", show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="directory to write the plan to")]
    = Path("."),
    format: Annotated[PlanFormat, typer.Option("--format", help="md, html or both")]
    = PlanFormat.both,
    backtest: Annotated[Path | None, typer.Option(
        "--backtest", help="a result of `interlock backtest --format json`, for known limits")]
    = None,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds per property")] = 60.0,
    debug: Debug = False,
) -> int:
    """Write the incident response plan of a rule file (and its sidecar NAME.plan.toml):
    per incident class the automated response, the `interlock op` commands, signers, delays,
    proved bounds and recovery (docs/plan.md).

    \b
    Example: interlock plan examples/perp_venue.guard -o plan/ --format html
    """
    from interlock.check import CheckOptions
    from interlock.plan.command import FORMATS, PlanOptions, run_plan

    formats = FORMATS if format is PlanFormat.both else (format.value,)
    options = PlanOptions(out, formats, backtest, CheckOptions(timeout_s=timeout))  # type: ignore[arg-type]
    return run_plan(rules, options)


@commands.command()
def drill(
    build_dir: BuildDir,
    protocol: Protocol = None,
    debug: Debug = False,
) -> int:
    """Rehearse the plan on a local Anvil: deploy the built guard with stand-ins and test keys,
    trigger each breaker, walk each manual step (propose, sign, submit), report each step's
    outcome and timing; exit 1 when a step fails (docs/plan.md).

    \b
    Example: interlock drill build/
    """
    from interlock.drill.run import render, run_drill

    rehearsals = run_drill(build_dir, protocol)
    typer.echo(render(rehearsals), nl=False)
    return 0 if all(s.ok for r in rehearsals for s in r.steps) else 1


@commands.command()
def record(
    build_dir: BuildDir,
    rpc: Rpc,
    first: Annotated[int, typer.Option("--from", help="first block to record")],
    last: Annotated[int, typer.Option("--to", help="last block to record")],
    out: Annotated[Path, typer.Option("-o", "--out", help="the trace (.jsonl or .jsonl.gz)")],
    guard: Annotated[str | None, typer.Option(
        "--guard", help="the guard, for its refused flows (default: the recorded one)")] = None,
    chunk: Annotated[int, typer.Option("--chunk", help="blocks per eth_getLogs range")] = 500,
    withdraw_scope: Annotated[str | None, typer.Option(
        "--withdraw-scope", help="the scope outflows are gated by (default: `withdrawals`)")]
    = None,
    deposit_scope: Annotated[str | None, typer.Option(
        "--deposit-scope", help="the scope inflows are gated by (default: `deposits`)")] = None,
    protocol: Protocol = None,
    debug: Debug = False,
) -> int:
    """Record what the rules observe from a node into a trace for `interlock backtest`
    (resumable: run it again after an interruption).

    Example: interlock record build/ --rpc http://127.0.0.1:8545 --from 100 --to 900 -o day.jsonl.gz
    """
    from interlock.backtest.record_cli import run_record

    code, message = run_record(build_dir, rpc, first, last, out, guard=guard, chunk=chunk,
                               withdraw_scope=withdraw_scope, deposit_scope=deposit_scope,
                               protocol=protocol)
    if message:
        typer.echo(message, err=True)
    return code
