"""The commands on a chain: `deploy` a built guard, run its `monitor`."""

from __future__ import annotations

from typing import Annotated

import typer

from interlock.cli.options import BuildDir, Debug, Protocol, Rpc

commands = typer.Typer()


@commands.command()
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


@commands.command()
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
    code_check: Annotated[float, typer.Option(
        "--code-check", help="read the watched contracts' code again every S seconds")] = 60.0,
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
    from interlock.runtime.entry import OptionError, make_options, run, with_deployment
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
            code_check=code_check,
        )
    except (BuildDirError, OptionError) as err:
        typer.echo(f"error: {err}", err=True)
        return 2
    return run(program, with_deployment(opts, built.deployment_record))
