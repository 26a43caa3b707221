"""A local Anvil node (npm `@foundry-rs/anvil`) as a context manager.

    with Anvil() as node:
        w3 = Web3(Web3.HTTPProvider(node.http_url))

It listens on 127.0.0.1 on a free port with the `prague` hardfork, is ready when its JSON-RPC
answers, and is stopped by its pid when the block exits: it never outlives its owner.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from interlock.runtime.child import ChildProcess, stop_process

HARDFORK = "prague"

# Anvil's default accounts (mnemonic "test test ... junk"): public test keys, never real funds.
DEFAULT_KEYS: tuple[str, ...] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
)


class AnvilError(Exception):
    """Anvil could not be found or did not start."""


def find_anvil() -> Path:
    """The Anvil binary: `INTERLOCK_ANVIL`, the repository's node_modules, or PATH."""
    env = os.environ.get("INTERLOCK_ANVIL")
    if env:
        if not Path(env).is_file():
            raise AnvilError(f"INTERLOCK_ANVIL names no file: {env}")
        return Path(env)
    rel = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
    for base in (Path.cwd(), *Path(__file__).resolve().parents):
        if (base / rel).is_file():
            return base / rel
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise AnvilError("anvil not found: run `npm ci` in the repository")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Anvil(ChildProcess):
    """A running Anvil node; use as a context manager (or call `start` / `stop`)."""

    def __init__(
        self,
        *,
        chain_id: int = 31337,
        timestamp: int | None = None,
        extra_args: tuple[str, ...] = (),
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.chain_id = chain_id
        self.timestamp = timestamp
        self.extra_args = extra_args
        self.startup_timeout_s = startup_timeout_s
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> Anvil:
        binary = find_anvil()
        for _attempt in range(3):
            self.port = free_port()
            args = [str(binary), "--host", "127.0.0.1", "--port", str(self.port),
                    "--hardfork", HARDFORK, "--chain-id", str(self.chain_id), "--silent"]
            if self.timestamp is not None:
                args += ["--timestamp", str(self.timestamp)]
            self._proc = subprocess.Popen(
                [*args, *self.extra_args],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready():
                return self
            self.stop()
        raise AnvilError("anvil did not answer on its port")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False  # exited (e.g. the port was taken meanwhile)
            try:
                self.rpc("eth_chainId")
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def rpc(self, method: str, params: list[object] | None = None) -> object:
        """One raw JSON-RPC call (e.g. `evm_increaseTime`); returns `result`."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        req = urllib.request.Request(
            self.http_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            reply = json.loads(resp.read())
        if "error" in reply:
            raise AnvilError(f"{method}: {reply['error']}")
        return reply.get("result")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_process(proc, timeout_s=5)
