"""The `interlock` command line: argument parsing only; each command calls a phase function.

Exit codes (SPEC §6): 0 all proved, 1 a property violated (or a finding under `--strict`),
2 invalid input, 3 some property unknown; 4 an internal error (a bug: one line, or the traceback
with `--debug`).

Every command imports what does its work inside its body, so that `interlock --help` and a
usage error load neither the checker nor z3 (tests/test_layering.py holds it to that). A new
command goes on the `commands` of its family's module (`rules`, `chain`, `incident`, `op`) and
takes `debug: Debug = False` (`options`) so that `--debug` is one of its options; this module
only assembles `app` and runs it.
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

import typer

from interlock.cli import chain, incident, op, rules
from interlock.cli.options import debug_requested

EXIT_INTERNAL = 4

# Plain (click) help and usage errors: Rich's formatting alone costs more imports than the
# 150 ms `interlock --help` may take (docs/performance.md). Put a `\b` line before an example
# in a docstring to keep click from rewrapping it.
app = typer.Typer(
    name="interlock", add_completion=False, no_args_is_help=True, rich_markup_mode=None,
    help="Compile DeFi guard rules into proofs, a Solidity guard and a monitor.")


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


# Added without a name, a family's commands become `app`'s own; `interlock --help` lists them in
# this order, then the `op` group.
app.add_typer(rules.commands)  # check, ir, fmt, build, demo, diff
app.add_typer(chain.commands)  # deploy, monitor
app.add_typer(incident.commands)  # backtest, plan, drill, record
app.add_typer(op.commands)  # status
app.add_typer(op.op_app, name="op")


def main(argv: list[str] | None = None) -> int:
    """The console script: run a command and return its exit code (never a traceback)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug_requested.set(False)
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
        if debug_requested.get():
            traceback.print_exc()
        else:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            typer.echo(f"internal error: {first} (this is a bug; rerun with --debug)", err=True)
        return EXIT_INTERNAL
    return result if isinstance(result, int) else 0


__all__ = ["app", "main"]
