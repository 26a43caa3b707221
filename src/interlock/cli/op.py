"""`interlock op` (the guard's manual powers: propose, cancel, sign, status, submit) and
`interlock status` (a deployed guard's live state), both run by `interlock.operations`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from interlock.cli.options import BuildDir, Debug, Protocol, Rpc

op_app = typer.Typer(no_args_is_help=True, help=(
    "Use the guard's manual powers: propose an operation, sign it, check it, submit it.\n\n"
    "Example: interlock op propose build/ pause withdrawals for 6h --deadline 1h --rpc URL"))

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


# `interlock status` is a command of its own, not of the `op` group
commands = typer.Typer()


@commands.command("status")
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
