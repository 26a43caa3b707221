"""The venue of `monitor_kit` deployed on a real Anvil, and a monitor running beside it.

`deploy_venue` deploys the testkit's ERC-20, a vault that reports flows, two Chainlink-style
feeds (the price and its reference) and the guard generated from the venue's IR with those
addresses, then wires the vault to the guard. `MonitorThread`
(`interlock.testing.monitor_thread`) runs the monitor beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from monitor_kit import venue_program
from web3 import Web3

from interlock.compiler.codehash import CodeFingerprint
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.ir.addresses import constructor_args
from interlock.ir.nodes import Program
from interlock.runtime.anvil import DEFAULT_KEYS, Anvil
from interlock.testing.contracts import compile_testkit, deploy_compiled
from interlock.testing.monitor_thread import MonitorThread, wait_for

USDC = 10**6
PRICE = 2_000 * 10**8
AGENT_KEY = DEFAULT_KEYS[1]
REPLICA_KEY = DEFAULT_KEYS[2]


@dataclass
class Venue:
    node: Anvil
    w3: Web3
    program: Program
    guard: Any
    token: Any
    vault: Any
    feed: Any
    ref: Any
    deployer: str
    users: list[str]
    guard_code: CodeFingerprint  # the compiled guard's runtime code (immutables masked)

    def tx(self, fn: Any, sender: str | None = None) -> dict[str, Any]:
        tx_hash = fn.transact({"from": sender or self.deployer})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)
        return dict(receipt)

    def deposit(self, user: str, amount: int) -> dict[str, Any]:
        return self.tx(self.vault.functions.deposit(amount), user)

    def withdraw(self, user: str, amount: int) -> dict[str, Any]:
        return self.tx(self.vault.functions.withdraw(amount), user)

    def lose(self, amount: int) -> None:
        """The vault loses `amount` without reporting it (an exploit past the vault's code):
        the only way a rule on `tvl` becomes true for `poke` when every report allowed its
        flow, since a report sees the balance after its flow (docs/semantics.md)."""
        balance = int(self.token.functions.balanceOf(self.vault.address).call())
        self.tx(self.token.functions.setBalance(self.vault.address, balance - amount))

    def set_price(self, answer: int, reference: int | None = None) -> None:
        self.tx(self.feed.functions.setAnswer(answer))
        if reference is not None:
            self.tx(self.ref.functions.setAnswer(reference))

    def advance(self, seconds: int) -> None:
        self.node.rpc("evm_increaseTime", [seconds])
        self.node.rpc("evm_mine")

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def fired_until(self, rule: int) -> int:
        return int(self.guard.functions.firedUntil(rule).call())

    def guard_state(self) -> dict[str, Any]:
        g = self.guard.functions
        p = self.program
        return {
            "paused_until": [g.pausedUntil(s.index).call() for s in p.scopes],
            "suspended_until": [g.suspendedUntil(f.index).call() for f in p.feeds],
            "param_value": [g.paramValue(x.index).call() for x in p.params],
            "fired_until": [g.firedUntil(b.id).call() for b in p.breakers],
        }


_GUARDS: dict[str, Any] = {}


def _guard_contract(program: Program) -> Any:
    key = program.model_dump_json()
    if key not in _GUARDS:
        result = compile_sources(emit_solidity(program), allow_warnings=False)
        _GUARDS[key] = result.contract(f"{program.protocol}Guard")
    return _GUARDS[key]


def deploy_venue(node: Anvil, *, tvl: int = 1_000_000 * USDC,
                 addresses: Mapping[str, str] | None = None,
                 token_kit: tuple[Any, str] | None = None) -> Venue:
    """`addresses` overrides the rule file's other addresses (signers, say); `token_kit`
    (compiled contracts, name) replaces the TestToken by a contract of the same constructor."""
    w3 = Web3(Web3.HTTPProvider(node.http_url, request_kwargs={"timeout": 30}))
    accounts = list(w3.eth.accounts)
    deployer, users = accounts[0], accounts[3:8]
    kit = compile_testkit()
    token_from, token_name = token_kit or (kit, "TestToken")
    token = deploy_compiled(w3, token_from, token_name, "USD Coin", "USDC", 6, sender=deployer)
    feed = deploy_compiled(w3, kit, "TestFeed", 8, PRICE, sender=deployer)
    ref = deploy_compiled(w3, kit, "TestFeed", 8, PRICE, sender=deployer)
    vault = deploy_compiled(w3, kit, "TestVault", token.address, 0, 1, sender=deployer)
    program = venue_program({
        "USDC": token.address, "pool": vault.address, "ETH_USD": feed.address,
        "ETH_REF": ref.address, "watcher": Account.from_key(AGENT_KEY).address,
        **(addresses or {}),
    })
    compiled = _guard_contract(program)
    guard_addr = _deploy_raw(w3, compiled.abi, compiled.bytecode, deployer,
                             constructor_args(program))
    guard = w3.eth.contract(address=guard_addr, abi=compiled.abi)
    venue = Venue(node, w3, program, guard, token, vault, feed, ref, deployer, users,
                  compiled.fingerprint)
    venue.tx(vault.functions.setGuard(guard.address))
    venue.tx(token.functions.mint(vault.address, tvl))  # not a reported flow: the guard and
    for u in users:  # a monitor started afterwards both see no inflow
        venue.tx(token.functions.mint(u, 1_000 * USDC))
        venue.tx(token.functions.approve(vault.address, 2**255), u)
    return venue


def _deploy_raw(w3: Web3, abi: list[dict[str, Any]], bytecode: str, sender: str,
                args: tuple[tuple[str, ...], ...]) -> str:
    factory = w3.eth.contract(abi=abi, bytecode=bytecode)
    tx_hash = factory.constructor(*args).transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return str(receipt["contractAddress"])


__all__ = ["AGENT_KEY", "PRICE", "REPLICA_KEY", "USDC", "MonitorThread", "Venue", "deploy_venue",
           "wait_for"]
