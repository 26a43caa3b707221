"""The `interlock` command line: argument parsing only; each command calls a phase function.

Exit codes (SPEC §6): 0 all proved, 1 a property violated (or a finding under `--strict`),
2 invalid input, 3 some property unknown; 4 an internal error (a bug: one line, or the traceback
with `--debug`). Other engineers register their commands on `app` in this module; a command
takes `debug: Debug = False` so that `--debug` is one of its options.
"""

from __future__ import annotations

import sys
import traceback
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from interlock.ir.diagnostics import Diagnostic

# Every command imports what does its work inside its body, so that `interlock --help` and a
# usage error load neither the checker nor z3 (tests/test_layering.py holds it to that).

EXIT_INTERNAL = 4

# Plain (click) help and usage errors: Rich's formatting alone costs more imports than the
# 150 ms `interlock --help` may take (docs/performance.md). Put a `\b` line before an example
# in a docstring to keep click from rewrapping it.
app = typer.Typer(
    name="interlock", add_completion=False, no_args_is_help=True, rich_markup_mode=None,
    help="Compile DeFi guard rules into proofs, a Solidity guard and a monitor.")


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


def _version(value: bool) -> None:
    if value:
        from interlock import __version__

        typer.echo(f"interlock {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="print the version and exit (`interlock --version`)")] = False,
) -> None:
    """Compile DeFi guard rules into proofs, a Solidity guard and a monitor."""


Files = Annotated[list[str], typer.Argument(help="rule files (*.guard)", show_default=False)]

# `main` reports internal errors, after the command has returned or raised: the `--debug` the
# command line parsed to is recorded here while it is parsed (click calls an option's callback
# whether or not the option is given), not guessed from the raw arguments.
_debug: ContextVar[bool] = ContextVar("debug", default=False)


def _record_debug(value: bool) -> bool:
    _debug.set(value)
    return value


Debug = Annotated[bool, typer.Option("--debug", callback=_record_debug,
                                     help="show the traceback of an internal error")]


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


BuildDir = Annotated[Path, typer.Argument(help="a directory written by `interlock build`",
                                          show_default=False)]
Rpc = Annotated[str, typer.Option("--rpc", help="node URL: http(s):// or ws(s)://")]
Protocol = Annotated[str | None, typer.Option("--protocol", help="which protocol of BUILD_DIR")]


@app.command()
def deploy(
    build_dir: BuildDir,
    rpc: Rpc,
    key_env: Annotated[str, typer.Option("--key-env", help="env var with the deployer's key")]
    = "INTERLOCK_DEPLOYER_KEY",
    protocol: Protocol = None,
    force: Annotated[bool, typer.Option(
        "--force", help="deploy a build with violated properties, or with rule-file "
                        "addresses that hold no code, with a warning")] = False,
    addresses: Annotated[str | None, typer.Option(
        "--addresses", help="TOML address file: per chain id, rule-file names -> this "
                            "network's addresses (the rule file's are the defaults)")] = None,
    debug: Debug = False,
) -> int:
    """Deploy the built guard; print its address and record it in BUILD_DIR.

    Refuses (exit 2) a build whose proofs show a violated property and rule-file contracts
    without code on the chain, unless --force. The guard's addresses are the rule file's, or
    --addresses' table for the node's chain id. Example:
    `interlock deploy build/ --rpc http://127.0.0.1:8545 --key-env DEPLOYER_KEY --addresses
    addresses.toml`
    """
    from interlock.report.diagnostic_text import render_diagnostic
    from interlock.runtime.deploy import (
        AddressFileError,
        BuildDirError,
        DecimalsError,
        DeployRefused,
        deploy_guard,
        find_protocol,
    )
    from interlock.runtime.executor import AgentKeyError, RpcError, load_agent_key
    from interlock.runtime.ingest import ConnectionLost

    try:
        built = find_protocol(build_dir, protocol)
        account = load_agent_key(key_env)
        dep = deploy_guard(built, rpc, account, force=force, addresses=addresses,
                           warn=lambda why: typer.echo(f"warning: {why}", err=True))
    except AddressFileError as err:
        for d in err.choice.diagnostics:
            typer.echo(render_diagnostic(d, err.choice.text), err=True, nl=False)
        return 2
    except (BuildDirError, AgentKeyError) as err:
        typer.echo(f"error: {err}", err=True)
        return 2
    except (DecimalsError, DeployRefused) as err:
        typer.echo(f"error: deployment refused: {err}", err=True)
        return 2
    except (RpcError, ConnectionLost) as err:
        typer.echo(f"error: deployment failed: {err}", err=True)
        return 1
    for warning in dep.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(dep.address)
    typer.echo(f"{dep.protocol}Guard deployed on chain {dep.chain_id} at {dep.address} "
               f"(tx {dep.tx_hash}, block {dep.block}); recorded in {built.deployment_record}",
               err=True)
    return 0


@app.command()
def monitor(
    build_dir: BuildDir,
    rpc: Rpc,
    guard: Annotated[str | None, typer.Option(
        "--guard", help="guard address (default: the one `interlock deploy` recorded)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="decide and alert, send nothing")]
    = False,
    metrics_port: Annotated[int | None, typer.Option(
        "--metrics-port", help="serve /metrics and /health on this port")] = None,
    metrics_host: Annotated[str, typer.Option(
        "--metrics-host", help="address the metrics server binds")] = "127.0.0.1",
    checkpoint: Annotated[str, typer.Option("--checkpoint", help="SQLite checkpoint file")]
    = "interlock-monitor.sqlite",
    key_env: Annotated[str, typer.Option("--key-env", help="env var with the agent's key")]
    = "INTERLOCK_AGENT_KEY",
    keystore: Annotated[str | None, typer.Option("--keystore", help="agent keystore file")]
    = None,
    password_env: Annotated[str | None, typer.Option(
        "--password-env", help="env var with the keystore password")] = None,
    confirmations: Annotated[int, typer.Option("--confirmations", help="reorg depth")] = 0,
    webhook: Annotated[str | None, typer.Option(
        "--webhook", help="POST alerts here (schemas/alert.v1.json)")] = None,
    webhook_secret_env: Annotated[str | None, typer.Option(
        "--webhook-secret-env", help="env var with the webhook's HMAC secret")] = None,
    slack_webhook: Annotated[str | None, typer.Option(
        "--slack-webhook", help="Slack incoming-webhook URL")] = None,
    discord_webhook: Annotated[str | None, typer.Option(
        "--discord-webhook", help="Discord webhook URL")] = None,
    pagerduty_key_env: Annotated[str | None, typer.Option(
        "--pagerduty-key-env", help="env var with a PagerDuty Events v2 routing key")] = None,
    max_silence: Annotated[float, typer.Option(
        "--max-silence", help="/health degraded after S seconds without a head")] = 60.0,
    max_lag: Annotated[int, typer.Option(
        "--max-lag", help="/health degraded when more than N blocks are left")] = 10,
    severity: Annotated[list[str] | None, typer.Option(
        "--severity", help="NAME=LEVEL: a breaker's, power's or event's alert severity")] = None,
    from_block: Annotated[int | None, typer.Option(
        "--from-block", help="first block on a fresh checkpoint")] = None,
    scope_contract: Annotated[list[str] | None, typer.Option(
        "--scope-contract", help="SCOPE=ADDRESS whose transactions count as calls")] = None,
    poll_interval: Annotated[float, typer.Option(
        "--poll-interval", help="HTTP head polling, seconds")] = 0.1,
    allow_other_guard_code: Annotated[bool, typer.Option(
        "--allow-other-guard-code", help="the guard address holds a contract inheriting the "
        "guard: do not compare its code with the build's")] = False,
    protocol: Protocol = None,
    debug: Debug = False,
) -> int:
    """Run the monitor of a built protocol against a node and its deployed guard."""
    from interlock.runtime.deploy import (
        BuildDirError,
        built_guard_code,
        find_protocol,
        recorded_guard,
        recorded_program,
    )
    from interlock.runtime.entry import OptionError, make_options, run
    from interlock.runtime.sinks import SinkOptions

    try:
        built = find_protocol(build_dir, protocol)
        address = guard or recorded_guard(built)
        if address is None:
            raise OptionError("no --guard given and no single deployment recorded")
        program = recorded_program(built, guard=address)  # the rules with its addresses
        opts = make_options(
            program, rpc=rpc, guard=address, key_env=key_env, keystore=keystore,
            password_env=password_env, dry_run=dry_run, checkpoint=checkpoint,
            confirmations=confirmations, metrics_port=metrics_port, metrics_host=metrics_host,
            from_block=from_block, scope_contract=scope_contract or (),
            poll_interval=poll_interval, severity=severity or (), max_silence=max_silence,
            max_lag=max_lag,
            sinks=SinkOptions(webhook, webhook_secret_env, slack_webhook, discord_webhook,
                              pagerduty_key_env),
            guard_code=None if allow_other_guard_code else built_guard_code(built),
        )
    except (BuildDirError, OptionError) as err:
        typer.echo(f"error: {err}", err=True)
        return 2
    return run(program, opts)


class BacktestFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


@app.command()
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


@app.command()
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


@app.command()
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


@app.command()
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


op_app = typer.Typer(no_args_is_help=True, help=(
    "Use the guard's manual powers: propose an operation, sign it, check it, submit it.\n\n"
    "Example: interlock op propose build/ pause withdrawals for 6h --deadline 1h --rpc URL"))
app.add_typer(op_app, name="op")

OpBuild = Annotated[Path, typer.Option("--build", help="the `interlock build` directory")]
OpFiles = Annotated[list[str], typer.Argument(help="operation files (signatures are merged)",
                                              show_default=False)]
RpcOpt = Annotated[str | None, typer.Option("--rpc", help="node URL (http:// or https://)")]
Keystore = Annotated[str | None, typer.Option("--keystore", help="encrypted keystore file")]
PasswordEnv = Annotated[str | None, typer.Option(
    "--password-env", help="env var with the keystore password (default: ask)")]
Deadline = Annotated[str, typer.Option("--deadline", help="signatures expire after this")]
Nonce = Annotated[int | None, typer.Option("--nonce", help="default: random, unused on chain")]
OutFile = Annotated[str | None, typer.Option("-o", "--out", help="operation file to write")]


def _io() -> Any:
    from interlock.operations.commands import Io

    return Io(out=typer.echo, err=lambda m: typer.echo(m, err=True),
              prompt=lambda m: str(typer.prompt(m, hide_input=True)))


@op_app.command("propose")
def op_propose(
    build_dir: BuildDir,
    words: Annotated[list[str], typer.Argument(help="the power in words, e.g. `pause "
                                                    "withdrawals for 6h`", show_default=False)],
    deadline: Deadline = "1h",
    rpc: RpcOpt = None,
    guard: Annotated[str | None, typer.Option("--guard", help="guard address")] = None,
    chain_id: Annotated[int | None, typer.Option("--chain-id", help="without --rpc")] = None,
    role: Annotated[str | None, typer.Option("--role", help="when several roles may")] = None,
    domain_name: Annotated[str | None, typer.Option(
        "--domain-name", help="the EIP-712 domain name (default: the guard's `eip712Domain()` "
                              "with --rpc, else NAMEGuard)")] = None,
    nonce: Nonce = None, out: OutFile = None, protocol: Protocol = None, debug: Debug = False,
) -> int:
    """Write an operation file (EIP-712 typed data + summary) for a power in words.

    With --rpc the domain's name is read from the guard (EIP-5267), so a protocol inheriting the
    guard under its own `EIP712` name needs nothing more; without, --domain-name gives it.
    Example: interlock op propose build/ pause withdrawals for 6h --deadline 1h --rpc URL"""
    from interlock.operations.commands import Target, propose

    return propose(Target(build_dir, protocol, rpc), words, _io(), role=role,
                   deadline=deadline, guard=guard, chain_id=chain_id, nonce=nonce, out_path=out,
                   domain_name=domain_name)


@op_app.command("cancel")
def op_cancel(
    queued: Annotated[str, typer.Argument(help="the queued operation's file",
                                          show_default=False)],
    build: OpBuild = Path("build"), deadline: Deadline = "1h", rpc: RpcOpt = None,
    nonce: Nonce = None, out: OutFile = None, protocol: Protocol = None, debug: Debug = False,
) -> int:
    """Write an operation that cancels a queued one (a `cancel ROLE` power).

    Example: interlock op cancel op-12.json --build build/ -o cancel.json"""
    from interlock.operations.commands import Target, cancel

    return cancel(Target(build, protocol, rpc), queued, _io(), deadline=deadline,
                  nonce=nonce, out_path=out)


@op_app.command("sign")
def op_sign(
    file: Annotated[str, typer.Argument(help="an operation file", show_default=False)],
    build: OpBuild = Path("build"), keystore: Keystore = None, password_env: PasswordEnv = None,
    key_env: Annotated[str | None, typer.Option("--key-env", help="env var with the key")]
    = None,
    signature: Annotated[str | None, typer.Option(
        "--signature", help="add a signature made elsewhere (0x + 130 hex; a contract "
        "signer's EIP-1271 signature: any length, checked on chain with --rpc)")] = None,
    signer: Annotated[str | None, typer.Option("--signer", help="who made --signature")]
    = None,
    rpc: Annotated[str | None, typer.Option(
        "--rpc", help="node URL: a contract signer's --signature is checked on chain")] = None,
    out: OutFile = None, protocol: Protocol = None, debug: Debug = False,
) -> int:
    """Sign an operation file (it prints what is signed and refuses an edited file).

    Example: interlock op sign op-12.json --keystore alice.json --build build/"""
    from interlock.operations.commands import KeyOptions, Target, sign

    return sign(Target(build, protocol, rpc), file, _io(),
                KeyOptions(keystore, password_env, key_env),
                signature=signature, signer=signer, out_path=out)


@op_app.command("status")
def op_status(
    files: OpFiles, build: OpBuild = Path("build"), rpc: RpcOpt = None,
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    protocol: Protocol = None, debug: Debug = False,
) -> int:
    """Who signed, whether the role is met (else the smallest missing sets), expiry, queue.

    Example: interlock op status alice.json dave.json --build build/ --rpc URL"""
    from interlock.operations.commands import Target, status

    return status(Target(build, protocol, rpc), files, _io(), as_json=format == "json")


@op_app.command("submit")
def op_submit(
    files: OpFiles, rpc: Rpc, build: OpBuild = Path("build"), keystore: Keystore = None,
    password_env: PasswordEnv = None,
    key_env: Annotated[str | None, typer.Option("--key-env", help="env var with the sender key")]
    = "INTERLOCK_SUBMITTER_KEY",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="simulate only")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="send even when the simulation shows a pause its gap refuses")] = False,
    protocol: Protocol = None, debug: Debug = False,
) -> int:
    """Merge signatures, simulate, then execute, queue or run the queued operation.

    Example: interlock op submit alice.json dave.json --build build/ --rpc URL"""
    from interlock.operations.commands import KeyOptions, Target, submit

    return submit(Target(build, protocol, rpc), files, _io(),
                  KeyOptions(keystore, password_env, key_env), dry_run=dry_run, force=force)


@app.command("status")
def guard_status(
    build_dir: BuildDir, rpc: Rpc,
    guard: Annotated[str | None, typer.Option(
        "--guard", help="guard address (default: the one `interlock deploy` recorded)")] = None,
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    watch: Annotated[float | None, typer.Option(
        "--watch", help="refresh every this many seconds")] = None,
    from_block: Annotated[int, typer.Option(
        "--from-block", help="read events from this block")] = 0,
    protocol: Protocol = None, debug: Debug = False,
) -> int:
    """The live state of a deployed guard: pauses and why, max and gap, feeds, params and
    overrides, queued operations, breaker cooldowns.

    Example: interlock status build/ --rpc http://127.0.0.1:8545 --watch 5"""
    from interlock.operations.commands import Target
    from interlock.operations.commands import guard_status as run_status

    return run_status(Target(build_dir, protocol, rpc), _io(), guard=guard,
                      as_json=format == "json", watch=watch, from_block=from_block)


def _diff(before: str, after: str, path: str) -> str:
    import difflib

    lines = difflib.unified_diff(before.splitlines(keepends=True),
                                 after.splitlines(keepends=True), path, f"{path} (formatted)")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def main(argv: list[str] | None = None) -> int:
    """The console script: run a command and return its exit code (never a traceback)."""
    args = list(sys.argv[1:] if argv is None else argv)
    _debug.set(False)
    try:
        result = app(args=args, prog_name="interlock", standalone_mode=False)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except typer.TyperException as err:  # usage errors: a bad option or a missing argument
        show = getattr(err, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {err.format_message()}", err=True)
        return 2
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except Exception as err:  # an internal error is a bug: say so in one line
        if _debug.get():
            traceback.print_exc()
        else:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            typer.echo(f"internal error: {first} (this is a bug; rerun with --debug)", err=True)
        return EXIT_INTERNAL
    return result if isinstance(result, int) else 0


__all__ = ["app", "main"]
