"""The generated monitor, run as its own process, as an operator would run it.

    with MonitorProcess(module, rpc=node.ws_url, guard=guard, key=AGENT_KEY, workdir=d) as m:
        m.wait_for("connected")

It is the `<name>_monitor.py` that `interlock build` wrote, started with this Python; the agent
key is passed in the environment (never on the command line). Its JSON log lines (stderr) are
read by a thread and kept as events; `stop()` sends SIGTERM to its pid, waits, and kills it if
it has not exited: no monitor outlives the demo.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from interlock.runtime.child import ChildProcess, stop_process


class MonitorError(Exception):
    """The monitor did not start, or exited early."""


class MonitorProcess(ChildProcess):
    def __init__(self, module: Path, *, rpc: str, guard: str, key: str, workdir: Path) -> None:
        self.args = [
            sys.executable,
            str(module),
            "--rpc",
            rpc,
            "--guard",
            guard,
            "--key-env",
            "INTERLOCK_AGENT_KEY",
            "--poll-interval",
            "0.05",
            "--checkpoint",
            str(workdir / "monitor.sqlite"),
        ]
        self.env = {**os.environ, "INTERLOCK_AGENT_KEY": key, "PYTHONUNBUFFERED": "1"}
        self.events: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []
        self.pid: int | None = None

    def start(self) -> MonitorProcess:
        self._proc = subprocess.Popen(
            self.args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.pid = self._proc.pid
        for stream, sink in ((self._proc.stderr, self.events), (self._proc.stdout, self.alerts)):
            reader = threading.Thread(target=self._read, args=(stream, sink), daemon=True)
            reader.start()
            self._readers.append(reader)
        return self

    def _read(self, stream: IO[str] | None, sink: list[dict[str, Any]]) -> None:
        if stream is None:
            return
        for line in stream:
            try:
                item = json.loads(line)
            except ValueError:
                item = {"event": "output", "text": line.rstrip()}
            if isinstance(item, dict):
                item.setdefault("received", time.perf_counter())
                with self._lock:
                    sink.append(item)

    def find(self, event: str, **match: Any) -> list[dict[str, Any]]:
        with self._lock:
            return [
                e
                for e in self.events
                if e.get("event") == event and all(e.get(k) == v for k, v in match.items())
            ]

    def wait_for(self, event: str, timeout: float = 30.0, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.find(event, **match)
            if found:
                return found[0]
            if self._proc is not None and self._proc.poll() is not None:
                raise MonitorError(f"the monitor exited ({self._proc.returncode}): {self.tail()}")
            time.sleep(0.01)
        raise MonitorError(f"no `{event}` from the monitor within {timeout:g}s: {self.tail()}")

    def tail(self, lines: int = 8) -> str:
        with self._lock:
            return " | ".join(json.dumps(e)[:300] for e in self.events[-lines:])

    def stop(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        stop_process(proc, timeout_s=10)
        for reader in self._readers:
            reader.join(timeout=5)
        return proc.returncode
