"""A monitor running on its own event loop in a thread, so a synchronous test can drive the chain.

`MonitorThread` runs `interlock.runtime.Monitor` as `interlock monitor` would, with its logs and
alerts captured; `stop()` ends it like SIGTERM would and re-raises what the loop raised.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_account import Account

from interlock.ir.nodes import Program
from interlock.runtime.anvil import DEFAULT_KEYS
from interlock.runtime.monitor import Monitor, MonitorConfig
from interlock.runtime.ops import Health, MonitorMetrics, make_logger
from interlock.runtime.sinks import StdoutSink

AGENT_KEY = DEFAULT_KEYS[1]


@dataclass
class MonitorThread:
    """A monitor on its own loop in a thread; `stop()` ends it (like SIGTERM would)."""

    program: Program
    config: MonitorConfig
    key: str | None = AGENT_KEY
    name: str = "interlock.monitor.test"
    log: io.StringIO = field(default_factory=io.StringIO)
    alerts: io.StringIO = field(default_factory=io.StringIO)
    metrics: MonitorMetrics = field(default_factory=MonitorMetrics)
    health: Health = field(default_factory=Health)

    def __post_init__(self) -> None:
        logger = make_logger(self.name, self.log)
        logger.setLevel(logging.INFO)
        account = Account.from_key(self.key) if self.key else None
        self.monitor = Monitor(self.program, self.config, account, sinks=[StdoutSink(self.alerts)],
                               logger=logger, metrics=self.metrics, health=self.health)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)
        self.error: BaseException | None = None

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        try:
            self._loop.run_until_complete(self.monitor.run(self._stop))
        except BaseException as exc:  # surfaced by stop()
            self.error = exc
        finally:
            self._loop.close()

    def start(self) -> MonitorThread:
        self._thread.start()
        wait_for(lambda: self.monitor.next_block is not None or self.error is not None, 20)
        return self

    def stop(self) -> None:
        if self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=20)
        if self.error:
            raise self.error

    def caught_up(self, block: int, timeout: float = 20) -> None:
        """Wait until the monitor has processed `block`."""
        wait_for(lambda: (self.monitor.next_block or 0) > block, timeout,
                 f"monitor did not reach block {block}: {self.log.getvalue()[-2000:]}")

    def events(self, name: str) -> list[str]:
        return [line for line in self.log.getvalue().splitlines() if f'"event": "{name}"' in line]


def wait_for(cond: Callable[[], bool], timeout: float, message: str = "timed out") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError(message)
