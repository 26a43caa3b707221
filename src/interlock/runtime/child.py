"""A child process that never outlives its owner: started by `start`, stopped by its pid.

`ChildProcess` is the shared shape of the local Anvil node (`anvil.Anvil`) and the demo's
monitor (`demo.monitor_process.MonitorProcess`): a context manager whose block starts the
child and, however it exits, sends it SIGTERM, waits, and kills it if it has not exited.
"""

from __future__ import annotations

import subprocess
from types import TracebackType
from typing import Any, Self


def stop_process(proc: subprocess.Popen[Any], timeout_s: float) -> None:
    """SIGTERM `proc` if it still runs, wait up to `timeout_s`, then SIGKILL and reap it."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout_s)


class ChildProcess:
    """Subclasses define `start` (returns self) and `stop`; `with` calls both."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
