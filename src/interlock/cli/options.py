"""The parameter types several commands share, and the `--debug` flag `main` reads back."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Annotated

import typer

Files = Annotated[list[str], typer.Argument(help="rule files (*.guard)", show_default=False)]

# `main` reports internal errors, after the command has returned or raised: the `--debug` the
# command line parsed to is recorded here while it is parsed (click calls an option's callback
# whether or not the option is given), not guessed from the raw arguments.
debug_requested: ContextVar[bool] = ContextVar("debug", default=False)


def _record_debug(value: bool) -> bool:
    debug_requested.set(value)
    return value


Debug = Annotated[bool, typer.Option("--debug", callback=_record_debug,
                                     help="show the traceback of an internal error")]

BuildDir = Annotated[Path, typer.Argument(help="a directory written by `interlock build`",
                                          show_default=False)]
Rpc = Annotated[str, typer.Option("--rpc", help="node URL: http(s):// or ws(s)://")]
Protocol = Annotated[str | None, typer.Option("--protocol", help="which protocol of BUILD_DIR")]
