"""Running a monitor: the command line every generated `<name>_monitor.py` shares.

    python venue_monitor.py --rpc ws://127.0.0.1:8545 --guard 0x... --key-env AGENT_KEY
    interlock monitor build/ --rpc http://... --guard 0x... --dry-run

Exit codes: 0 stopped by a signal, 2 bad arguments or key.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.address import is_address, to_checksum_address

from interlock.compiler.codehash import CodeFingerprint
from interlock.ir.nodes import Program
from interlock.runtime.checkpoint import CheckpointError
from interlock.runtime.deploy import deployed_chains, program_as_deployed
from interlock.runtime.executor import AgentKeyError, load_agent_key
from interlock.runtime.guard_events import Severities, parse_severities
from interlock.runtime.monitor import Monitor, MonitorConfig
from interlock.runtime.node_checks import StartRefused
from interlock.runtime.ops import Health, MonitorMetrics, OpsServer, make_logger
from interlock.runtime.sinks import PAGERDUTY_URL, SinkConfigError, SinkOptions


def load_program(ir_json: str) -> Program:
    return Program.model_validate_json(ir_json)


def guard_fingerprint(data: dict[str, Any] | None) -> CodeFingerprint | None:
    """The build's guard code as a generated monitor embeds it (None: not compared)."""
    return CodeFingerprint.from_json(data) if data else None


@dataclass(frozen=True)
class RunOptions:
    config: MonitorConfig
    key_env: str | None
    keystore: str | None
    password_env: str | None
    metrics_port: int | None
    sinks: SinkOptions
    severities: Severities
    metrics_host: str = "127.0.0.1"
    max_silence_s: float = 60.0
    max_lag_blocks: int = 10
    deployment: str | None = None  # `interlock deploy`'s record: the guard's addresses


def parser(prog: str = "monitor") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Watch the chain and trigger the guard.")
    p.add_argument("--rpc", required=True, help="http(s):// (polling) or ws(s):// URL")
    p.add_argument("--guard", required=True, help="address of the deployed guard")
    p.add_argument("--deployment", help="NAME.deployment.json `interlock deploy` wrote: the "
                   "addresses the guard was deployed with (default: the rule file's)")
    p.add_argument("--key-env", default="INTERLOCK_AGENT_KEY",
                   help="environment variable holding the agent's private key")
    p.add_argument("--keystore", help="encrypted keystore file of the agent key")
    p.add_argument("--password-env", help="environment variable holding the keystore password")
    p.add_argument("--dry-run", action="store_true", help="decide and alert, send nothing")
    p.add_argument("--checkpoint", default="interlock-monitor.sqlite", help="SQLite file")
    p.add_argument("--confirmations", type=int, default=0, help="blocks to wait before a block "
                   "is processed (reorg protection)")
    p.add_argument("--from-block", type=int, help="first block on a fresh checkpoint")
    p.add_argument("--metrics-port", type=int, help="serve /metrics and /health on this port")
    p.add_argument("--metrics-host", default="127.0.0.1",
                   help="address the metrics server binds (0.0.0.0: every interface)")
    p.add_argument("--webhook", help="POST every alert as JSON to this URL (schemas/alert.v1.json)")
    p.add_argument("--webhook-secret-env", metavar="VAR",
                   help="environment variable holding the webhook's HMAC secret")
    p.add_argument("--slack-webhook", metavar="URL", help="a Slack incoming-webhook URL")
    p.add_argument("--discord-webhook", metavar="URL", help="a Discord webhook URL")
    p.add_argument("--pagerduty-key-env", metavar="VAR",
                   help="environment variable holding a PagerDuty Events v2 routing key")
    p.add_argument("--pagerduty-url", default=PAGERDUTY_URL, help=argparse.SUPPRESS)
    p.add_argument("--severity", action="append", default=[], metavar="NAME=LEVEL",
                   help="severity of a breaker's, a power's (`'guardian pause'`) or an event's "
                   "alerts: info, warning, error, critical (repeatable)")
    p.add_argument("--max-silence", type=float, default=60.0, metavar="S",
                   help="/health turns degraded after S seconds without a processed block "
                   "(set it to a few block times)")
    p.add_argument("--max-lag", type=int, default=10, metavar="N",
                   help="/health turns degraded when more than N blocks are left to process")
    p.add_argument("--poll-interval", type=float, default=0.1, help="HTTP head polling, seconds")
    p.add_argument("--code-check", type=float, default=60.0, metavar="S",
                   help="read the watched contracts' code again every S seconds (a change "
                   "alerts CodeChanged; it is also read at every reconnection)")
    p.add_argument("--allow-other-guard-code", action="store_true",
                   help="the contract at --guard is not the build's guard (one inheriting it): "
                   "do not compare its code with the build's (changes are still noticed)")
    p.add_argument("--scope-contract", action="append", default=[], metavar="SCOPE=ADDRESS",
                   help="a contract whose transactions count as calls of SCOPE (repeatable; "
                   "default: every vault)")
    return p


class OptionError(ValueError):
    """A bad command-line value (message says which)."""


def make_options(
    program: Program,
    *,
    rpc: str,
    guard: str,
    key_env: str | None = "INTERLOCK_AGENT_KEY",
    keystore: str | None = None,
    password_env: str | None = None,
    dry_run: bool = False,
    checkpoint: str = "interlock-monitor.sqlite",
    confirmations: int = 0,
    from_block: int | None = None,
    metrics_port: int | None = None,
    metrics_host: str = "127.0.0.1",
    webhook: str | None = None,
    poll_interval: float = 0.1,
    scope_contract: Sequence[str] = (),
    sinks: SinkOptions | None = None,
    severity: Sequence[str] = (),
    max_silence: float = 60.0,
    max_lag: int = 10,
    guard_code: CodeFingerprint | None = None,
    code_check: float = 60.0,
) -> RunOptions:
    if not rpc.startswith(("http://", "https://", "ws://", "wss://")):
        raise OptionError(f"--rpc `{rpc}` is not an http(s):// or ws(s):// URL")
    if not is_address(guard):
        raise OptionError(f"--guard `{guard}` is not an address")
    scopes: dict[str, set[str]] = {}
    names = {s.name for s in program.scopes}
    for item in scope_contract:
        scope, _, addr = item.partition("=")
        if scope not in names or not is_address(addr):
            raise OptionError(
                f"--scope-contract `{item}`: expected SCOPE=ADDRESS with a declared scope")
        scopes.setdefault(scope, set()).add(addr.lower())
    if confirmations < 0:
        raise OptionError("--confirmations must be >= 0")
    if max_silence <= 0 or max_lag < 0:
        raise OptionError("--max-silence must be > 0 and --max-lag >= 0")
    if code_check <= 0:
        raise OptionError("--code-check must be > 0 seconds")
    try:
        severities = parse_severities(program, severity)
    except ValueError as exc:
        raise OptionError(str(exc)) from exc
    sinks = sinks or SinkOptions()
    if webhook:
        sinks = dataclasses.replace(sinks, webhook=webhook)
    config = MonitorConfig(
        rpc=rpc,
        guard=to_checksum_address(guard),
        checkpoint=checkpoint,
        dry_run=dry_run,
        confirmations=confirmations,
        start_block=from_block,
        poll_interval_s=poll_interval,
        scope_contracts={k: frozenset(v) for k, v in scopes.items()},
        guard_code=guard_code,
        code_check_s=code_check,
    )
    return RunOptions(config, key_env, keystore, password_env, metrics_port, sinks, severities,
                      metrics_host, max_silence, max_lag)


def parse_options(program: Program, argv: Sequence[str] | None, prog: str = "monitor",
                  guard_code: CodeFingerprint | None = None) -> RunOptions:
    p = parser(prog)
    ns = p.parse_args(argv)
    try:
        opts = make_options(
            program, rpc=ns.rpc, guard=ns.guard, key_env=ns.key_env, keystore=ns.keystore,
            password_env=ns.password_env, dry_run=ns.dry_run, checkpoint=ns.checkpoint,
            confirmations=ns.confirmations, from_block=ns.from_block,
            metrics_port=ns.metrics_port, metrics_host=ns.metrics_host,
            poll_interval=ns.poll_interval, scope_contract=ns.scope_contract,
            sinks=SinkOptions(ns.webhook, ns.webhook_secret_env, ns.slack_webhook,
                              ns.discord_webhook, ns.pagerduty_key_env, ns.pagerduty_url),
            severity=ns.severity, max_silence=ns.max_silence, max_lag=ns.max_lag,
            guard_code=None if ns.allow_other_guard_code else guard_code,
            code_check=ns.code_check,
        )
    except OptionError as exc:
        p.error(str(exc))
    if ns.deployment is None:
        return opts
    return with_deployment(opts, Path(ns.deployment))


def with_deployment(opts: RunOptions, record: Path) -> RunOptions:
    """`opts` for the guard that `interlock deploy`'s `record` recorded: the monitor refuses a
    node of another chain than the record's."""
    config = dataclasses.replace(opts.config, deployment=str(record),
                                 deployed_on=deployed_chains(record, opts.config.guard))
    return dataclasses.replace(opts, config=config, deployment=str(record))


def run(program: Program, opts: RunOptions) -> int:
    logger = make_logger()
    account = None
    try:
        account = load_agent_key(opts.key_env, opts.keystore, opts.password_env)
    except AgentKeyError as exc:
        if not opts.config.dry_run:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        sinks = opts.sinks.build(logger)
    except SinkConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    metrics, health = MonitorMetrics(), Health(max_silence_s=opts.max_silence_s,
                                              max_lag_blocks=opts.max_lag_blocks)
    server = (OpsServer(metrics, health, opts.metrics_port, opts.metrics_host).start()
              if opts.metrics_port else None)
    try:
        monitor = Monitor(program, opts.config, account, sinks=sinks, logger=logger,
                          metrics=metrics, health=health, severities=opts.severities)
        # what is loaded by now lives as long as the process: exempt it from the collector,
        # and collect the young less often, so a block of 10,000 logs (a bank run) is not
        # decided late for the collector's sake (docs/performance.md)
        gc.freeze()
        gc.set_threshold(100_000, 20, 20)
        asyncio.run(_run_until_signal(monitor))
    except (StartRefused, CheckpointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if server:
            server.stop()
    return 0


async def _run_until_signal(monitor: Monitor) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await monitor.run(stop)


def main(program: Program, argv: Sequence[str] | None = None, prog: str = "monitor",
         guard_code: CodeFingerprint | None = None) -> int:
    """`guard_code`: the build's guard; the monitor refuses a guard address with other code."""
    opts = parse_options(program, argv, prog, guard_code)
    if opts.deployment is not None:  # the rules with the addresses the guard was deployed with
        program = program_as_deployed(program, Path(opts.deployment), opts.config.guard)
    return run(program, opts)
