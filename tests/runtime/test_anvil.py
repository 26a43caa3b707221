"""Anvil starts on a free port, answers JSON-RPC over HTTP and WebSocket, and is stopped by pid."""

from __future__ import annotations

import os

import pytest
from web3 import Web3

from interlock.runtime.anvil import DEFAULT_KEYS, Anvil

pytestmark = pytest.mark.anvil


def test_anvil_starts_answers_and_stops() -> None:
    with Anvil(chain_id=4242) as node:
        assert node.port > 0 and node.pid is not None
        pid = node.pid
        w3 = Web3(Web3.HTTPProvider(node.http_url))
        assert w3.eth.chain_id == 4242
        acct = w3.eth.account.from_key(DEFAULT_KEYS[0])
        assert w3.eth.get_balance(acct.address) > 0
        assert node.ws_url.startswith("ws://127.0.0.1:")
    with pytest.raises(OSError):
        os.kill(pid, 0)  # the process is gone


def test_anvil_answers_over_websocket() -> None:
    import asyncio

    from web3 import AsyncWeb3, WebSocketProvider

    async def chain_id(url: str) -> int:
        async with AsyncWeb3(WebSocketProvider(url)) as w3:
            return int(await w3.eth.chain_id)

    with Anvil(chain_id=777) as node:
        assert asyncio.run(chain_id(node.ws_url)) == 777


def test_missing_anvil_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from interlock.runtime.anvil import AnvilError

    monkeypatch.setenv("INTERLOCK_ANVIL", "/nonexistent/anvil")
    with pytest.raises(AnvilError):
        Anvil().start()
