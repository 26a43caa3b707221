"""Progress of `interlock check` on stderr while the verifier works.

On a terminal: one live line (rich) with a bar, the count of decided properties and the ones in
flight. Otherwise (CI logs, pipes): one plain line per decided property, so logs stay readable:

    [3/5] proved withdrawals_escape (chc (spacer), 0.04s)

Nothing here writes to stdout, so `--format json` output stays clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from interlock.verifier.engine import Progress as Event
from interlock.verifier.engine import ProgressCallback


def _plain(stream: TextIO, label: str) -> ProgressCallback:
    done = 0

    def on_event(event: Event) -> None:
        nonlocal done
        if event.event != "done" or event.result is None:
            return
        done += 1
        r = event.result
        where = f"{label}: " if label else ""
        stream.write(
            f"[{done}/{event.total}] {where}{r.status} {r.name} "
            f"({r.method}, {r.seconds:.2f}s)\n"
        )
        stream.flush()

    return on_event


@contextmanager
def progress_reporter(
    stream: TextIO, label: str = "", *, live: bool | None = None
) -> Iterator[ProgressCallback]:
    """A progress callback for `verify`; `live` defaults to whether `stream` is a terminal."""
    if live is None:
        live = stream.isatty()
    if not live:
        yield _plain(stream, label)
        return
    console = Console(file=stream, force_terminal=True)
    bar = Progress(
        TextColumn("proving {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[running]}"),
        console=console,
        auto_refresh=False,  # refreshed on events only: no thread while workers are forked
        transient=True,
    )
    running: dict[int, str] = {}
    with bar:
        task = bar.add_task(label or "properties", total=None, running="")

        def on_event(event: Event) -> None:
            if event.event == "start":
                running[event.index] = event.name
            else:
                running.pop(event.index, None)
                bar.advance(task)
            bar.update(task, total=event.total, running=", ".join(running.values()))
            bar.refresh()

        yield on_event
