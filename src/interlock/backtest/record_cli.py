"""`interlock record`: the build directory's program, options checked, a progress bar on stderr."""

from __future__ import annotations

from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from interlock.backtest.record import RecordOptions, record
from interlock.backtest.rpc import RpcFailure
from interlock.ir.nodes import Program


def _scope(program: Program, given: str | None, default: str) -> str | None:
    names = {s.name for s in program.scopes}
    if given is not None and given not in names:
        raise ValueError(f"the rules declare no scope `{given}`")
    return given if given is not None else (default if default in names else None)


def run_record(build_dir: Path, rpc: str, first: int, last: int, out: Path, *,
               guard: str | None, chunk: int, withdraw_scope: str | None,
               deposit_scope: str | None, protocol: str | None) -> tuple[int, str]:
    """(exit code, message for stderr)."""
    from interlock.runtime.deploy import BuildDirError, find_protocol, recorded_guard

    try:
        built = find_protocol(build_dir, protocol)
        program = built.program
        if not 1 <= first <= last:
            raise ValueError(f"--from {first} --to {last}: need 1 <= FROM <= TO")
        if chunk < 1:
            raise ValueError("--chunk must be positive")
        opts = RecordOptions(rpc=rpc, first=first, last=last, out=out,
                             guard=guard or recorded_guard(built), chunk=chunk,
                             withdraw_scope=_scope(program, withdraw_scope, "withdrawals"),
                             deposit_scope=_scope(program, deposit_scope, "deposits"))
    except (BuildDirError, ValueError) as err:
        return 2, f"error: {err}"
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    try:
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task("recording blocks", total=last - first + 1)
            record(program, opts, lambda done, _: bar.update(task, completed=done))
    except RpcFailure as err:
        return 1, f"error: {err} (run the same command again to resume)"
    return 0, f"recorded blocks {first}..{last} into {out}"
