"""Custom state reads on Anvil, the monitor over real HTTP (docs/monitor.md, "Custom state reads").

A market with a debt token: `utilisation` trips when the debt token's `totalSupply` (a `read`)
exceeds 90% of the pool's USDC. A second debt token misbehaves in every way a read can fail
(revert, empty return, 3 bytes of garbage, burning all its gas) and a third read targets an
address without code: each failure is reported (`read_failed`, `/health` degraded with problem
`reads` naming the read), its rule is skipped as `unavailable` — never tripped on a made-up
value — and the working read still trips its breaker. The generated monitor module decides the
same as the runtime one.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from interlock.compiler.monitor_gen import emit_monitor
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.dsl.frontend import compile_text
from interlock.ir.addresses import constructor_args
from interlock.ir.nodes import Program
from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig
from interlock.runtime.ops import OpsServer
from interlock.testing.contracts import compile_testkit, deploy_compiled
from interlock.testing.monitor_thread import AGENT_KEY, MonitorThread, wait_for

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
USDC = 10**6
NO_CODE = "0x00000000000000000000000000000000000000aa"

RULES = """protocol Market
signer alice 0x1111111111111111111111111111111111111111
signer bob 0x2222222222222222222222222222222222222222
agent keeper {agent}
role guardian = 2 of [alice, bob]
scope supply
scope withdraw
scope borrow
asset USDC {usdc} decimals 6
vault pool {pool} holds USDC
read debt = call {debt} "totalSupply()(uint256)" USDC
read flaky = call {flaky} "balanceOf(address)(uint256)" (pool) USDC
read ghost = call {ghost} "totalSupply()(uint256)" USDC
breaker utilisation {{
  when debt > 90% of tvl(USDC)
  then pause borrow for 6h
  cooldown 12h
}}
breaker flaky_util {{
  when flaky > 90% of tvl(USDC)
  then pause supply for 6h
}}
breaker ghost_util {{
  when ghost > 90% of tvl(USDC)
  then pause withdraw for 6h
}}
allow guardian to unpause *
invariant keys: no unilateral signer
"""


def _program(**addresses: str) -> Program:
    result = compile_text(RULES.format(**addresses), "market.guard")
    assert result.program is not None, result.diagnostics
    return result.program


class Market:
    def __init__(self, node: Anvil) -> None:
        self.w3 = Web3(Web3.HTTPProvider(node.http_url, request_kwargs={"timeout": 30}))
        self.deployer = self.w3.eth.accounts[0]
        kit = compile_testkit()
        self.token = deploy_compiled(self.w3, kit, "TestToken", "USD Coin", "USDC", 6)
        self.vault = deploy_compiled(self.w3, kit, "TestVault", self.token.address, 0, 1)
        self.debt = deploy_compiled(self.w3, kit, "TestDebtToken")
        self.flaky = deploy_compiled(self.w3, kit, "TestDebtToken")
        self.program = _program(agent=Account.from_key(AGENT_KEY).address,
                                usdc=self.token.address, pool=self.vault.address,
                                debt=self.debt.address, flaky=self.flaky.address,
                                ghost=NO_CODE)
        guard = compile_sources(emit_solidity(self.program), allow_warnings=False).contract(
            "MarketGuard")
        tx = self.w3.eth.contract(abi=guard.abi, bytecode=guard.bytecode).constructor(
            *constructor_args(self.program)).transact(
            {"from": self.deployer})
        address = self.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        self.guard = self.w3.eth.contract(address=address, abi=guard.abi)
        self.tx(self.vault.functions.setGuard(address))
        self.tx(self.token.functions.mint(self.vault.address, 1_000_000 * USDC))
        # both would trip at once if a failed read were read as anything but unavailable
        self.tx(self.flaky.functions.setDebt(self.vault.address, 2_000_000 * USDC))
        self.tx(self.flaky.functions.setMode(1))

    def tx(self, fn: Any) -> None:
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": self.deployer}))
        assert receipt["status"] == 1

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def paused_until(self, scope: str) -> int:
        return int(self.guard.functions.pausedUntil(self.program.scope(scope).index).call())


def _health(port: int) -> tuple[int, dict[str, Any]]:
    """`GET /health` over HTTP: (status code, body)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _problem(port: int) -> str:
    return str(_health(port)[1]["problems"].get("reads", ""))


def test_reads_trip_and_failed_reads_are_reported_never_tripped(tmp_path: Path) -> None:
    with Anvil() as node:
        market = Market(node)
        cfg = MonitorConfig(rpc=node.http_url, guard=market.guard.address,
                            checkpoint=str(tmp_path / "m.db"), poll_interval_s=0.05)
        m = MonitorThread(market.program, cfg, name="interlock.monitor.reads").start()
        ops = OpsServer(m.metrics, m.health, 0).start()
        port = ops.port
        try:
            market.tx(market.debt.functions.setSupply(500_000 * USDC))  # 50%: below
            for mode in (1, 2, 3, 4):  # revert, empty, 3 bytes, out of gas
                market.tx(market.flaky.functions.setMode(mode))
                m.caught_up(market.head())
                code, body = _health(port)
                assert (code, body["status"]) == (503, "degraded")
                assert "flaky" in _problem(port) and "ghost" in _problem(port)
            failed = "\n".join(m.events("read_failed"))
            assert "read flaky" in failed and "read ghost" in failed
            assert "empty return data" in failed and "3 bytes returned" in failed
            skipped = m.metrics.trips_skipped.labels("flaky_util", "unavailable")._value.get()
            assert skipped >= 4
            assert market.paused_until("supply") == 0 and market.paused_until("withdraw") == 0
            market.tx(market.flaky.functions.setMode(0))  # mended: 200% of tvl, it trips
            wait_for(lambda: market.paused_until("supply") > 0, 20, m.log.getvalue()[-3000:])
            m.caught_up(market.head())
            assert "flaky" not in _problem(port) and "ghost" in _problem(port)
            assert market.paused_until("borrow") == 0
            market.tx(market.debt.functions.setSupply(900_000 * USDC + 1))  # above 90%
            wait_for(lambda: market.paused_until("borrow") > 0, 20, m.log.getvalue()[-3000:])
            head = market.head()
            m.caught_up(head)
        finally:
            ops.stop()
            m.stop()
        sent = [r.decision.breaker for r in m.monitor.stats.results if r.status == "sent"]
        assert sorted(sent) == ["flaky_util", "utilisation"]
        assert market.paused_until("withdraw") == 0  # the read of no code never tripped
        assert {r.decision.method for r in m.monitor.stats.results} == {"trip"}


def test_generated_monitor_decides_as_the_runtime_one(tmp_path: Path) -> None:
    """The generated module's program is the checked IR, read by the same runtime: run it
    against the same chain and it sends the same trip."""
    with Anvil() as node:
        market = Market(node)
        (name, source), = emit_monitor(market.program).items()
        namespace: dict[str, Any] = {}
        exec(compile(source, name, "exec"), namespace)  # the generated module, as imported
        generated: Program = namespace["PROGRAM"]
        assert generated == market.program and generated.reads == market.program.reads
        cfg = MonitorConfig(rpc=node.http_url, guard=market.guard.address,
                            checkpoint=str(tmp_path / "g.db"), poll_interval_s=0.05)
        m = MonitorThread(generated, cfg, name="interlock.monitor.generated").start()
        try:
            market.tx(market.debt.functions.setSupply(950_000 * USDC))
            wait_for(lambda: market.paused_until("borrow") > 0, 20, m.log.getvalue()[-3000:])
        finally:
            m.stop()
        assert [r.decision.breaker for r in m.monitor.stats.results if r.status == "sent"] == [
            "utilisation"]
