"""Put the SPEC §1 venue on a local chain: stand-ins, a demo copy of the rules, the built guard.

The rule file names fixed mainnet addresses (a real USDC, keys nobody here holds). The demo
deploys stand-ins for the token, the vault and the two feeds, then writes a *demo copy* of the
rules with every one of those addresses — and the agent's, now an Anvil key the monitor holds —
rewritten to the deployed ones (`testkit.rewrite.rewrite_addresses`: names, numbers and lines
unchanged). It builds that copy with `interlock.build` and deploys the guard from the built
artifact `PerpVenueGuard.json`, so the contract on chain is exactly what `build` wrote.

A second vault with the same balance is wired to `NoGuard` (below), a guard that allows
everything: the same drain on it measures what the protocol loses without Interlock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address
from web3 import Web3

from interlock.build import BuildOptions, BuildResult, build
from interlock.compiler.solc import compile_sources
from interlock.demo.scenario import ETH_PRICE, POOL_TVL, USDC
from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.runtime.anvil import DEFAULT_KEYS, Anvil
from interlock.runtime.deploy import deploy_guard, find_protocol
from interlock.testing.contracts import compile_testkit, deploy, deploy_compiled
from interlock.testing.rewrite import rewrite_addresses

AGENT_KEY = DEFAULT_KEYS[1]

NO_GUARD = """// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice What a vault sees when there is no guard: every flow allowed, nothing paused.
contract NoGuard {
    function requireActive(uint8) external pure {}
    function recordOutflow(address, uint256) external pure returns (bool) { return true; }
    function recordOutflowTo(address, uint256, address) external pure returns (bool, uint256) {
        return (true, 0);
    }
    function recordInflow(address, uint256) external pure returns (bool) { return true; }
}
"""


class StageError(Exception):
    """The venue could not be put on the chain (the rules did not build, a deployment failed)."""


@dataclass
class Stage:
    node: Anvil
    w3: Web3
    program: Program  # the demo copy's program
    rules_path: Path  # the demo copy of the rules
    out_dir: Path  # what `interlock build` wrote
    built: BuildResult
    token: Any
    vault: Any  # guarded
    bare_vault: Any  # wired to NoGuard
    feed: Any
    reference: Any
    guard: Any
    deployer: str
    attacker: str
    agent: str

    def send(self, fn: Any, sender: str, *, gas: int | None = None) -> dict[str, Any]:
        """Send a transaction and wait for its receipt. With `gas`, no estimate is made, so a
        reverting transaction is mined (status 0) instead of refused by the node."""
        params: dict[str, Any] = {"from": sender}
        if gas is not None:
            params["gas"] = gas
        tx_hash = fn.transact(params)
        return dict(self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.01))

    def balance(self, who: str) -> int:
        return int(self.token.functions.balanceOf(who).call())

    def advance(self, seconds: int) -> None:
        """The next block is mined `seconds` later (chain time)."""
        self.node.rpc("evm_increaseTime", [seconds])


def deploy_stand_ins(w3: Web3, deployer: str) -> dict[str, Any]:
    kit = compile_testkit()
    token = deploy_compiled(w3, kit, "TestToken", "USD Coin", "USDC", 6, sender=deployer)
    feed = deploy_compiled(w3, kit, "TestFeed", 8, ETH_PRICE, sender=deployer)
    reference = deploy_compiled(w3, kit, "TestFeed", 8, ETH_PRICE, sender=deployer)
    return {"token": token, "feed": feed, "reference": reference, "kit": kit}


def demo_rules(source: Path, program: Program, addresses: dict[str, str]) -> str:
    """The rule text with the asset, vault, feeds, reference and agent moved to `addresses`
    (keys: `USDC`, `pool`, `ETH_USD`, `reference`, `watcher`)."""
    feed = program.feed("ETH_USD")
    mapping = {
        program.asset("USDC").address: addresses["USDC"],
        next(v.address for v in program.vaults if v.name == "pool"): addresses["pool"],
        feed.address: addresses["ETH_USD"],
        next(a.address for a in program.agents if a.name == "watcher"): addresses["watcher"],
    }
    if feed.reference is not None:
        mapping[feed.reference] = addresses["reference"]
    return rewrite_addresses(source.read_text(encoding="utf-8"), mapping)


def setup(node: Anvil, source: Path, program: Program, workdir: Path) -> Stage:
    """Deploy everything and fund the pools; `program` is the checked original rule file."""
    w3 = Web3(Web3.HTTPProvider(node.http_url, request_kwargs={"timeout": 30}))
    accounts = list(w3.eth.accounts)
    deployer, attacker, lps = accounts[0], accounts[2], accounts[3:6]
    agent = Account.from_key(AGENT_KEY).address
    parts = deploy_stand_ins(w3, deployer)
    token, kit = parts["token"], parts["kit"]
    withdrawals = program.scope("withdrawals").index
    deposits = program.scope("deposits").index
    vault = deploy_compiled(
        w3, kit, "TestVault", token.address, deposits, withdrawals, sender=deployer
    )
    text = demo_rules(
        source,
        program,
        {
            "USDC": token.address,
            "pool": vault.address,
            "ETH_USD": parts["feed"].address,
            "reference": parts["reference"].address,
            "watcher": agent,
        },
    )
    rules_path = workdir / source.name
    rules_path.write_text(text, encoding="utf-8")
    out_dir = workdir / "build"
    built = build([str(rules_path)], BuildOptions(out_dir=out_dir, jobs=2))
    if built.exit_code != 0:
        raise StageError(f"the demo copy of the rules did not build: {built.notes}")
    demo = compile_text(text, str(rules_path)).program
    if demo is None:
        raise StageError("the demo copy of the rules does not check")
    built_protocol = find_protocol(out_dir, demo.protocol)  # what `interlock deploy` does
    deployment = deploy_guard(built_protocol, node.http_url, Account.from_key(DEFAULT_KEYS[0]))
    artifact = json.loads(built_protocol.guard_artifact.read_text(encoding="utf-8"))
    guard = w3.eth.contract(address=to_checksum_address(deployment.address), abi=artifact["abi"])
    no_guard = compile_sources({"NoGuard.sol": NO_GUARD}).contract("NoGuard")
    bare_guard = deploy(w3, no_guard.abi, no_guard.bytecode, sender=deployer)
    bare_vault = deploy_compiled(
        w3, kit, "TestVault", token.address, deposits, withdrawals, sender=deployer
    )
    stage = Stage(
        node,
        w3,
        demo,
        rules_path,
        out_dir,
        built,
        token,
        vault,
        bare_vault,
        parts["feed"],
        parts["reference"],
        guard,
        deployer,
        attacker,
        agent,
    )
    stage.send(vault.functions.setGuard(guard.address), deployer)
    stage.send(bare_vault.functions.setGuard(bare_guard.address), deployer)
    _fund(stage, lps)
    return stage


def _fund(stage: Stage, lps: Sequence[str]) -> None:
    """Liquidity providers deposit `POOL_TVL` into each vault, in equal parts."""
    share = POOL_TVL // len(lps)
    for lp in lps:
        stage.send(stage.token.functions.mint(lp, 2 * share), stage.deployer)
        for vault in (stage.vault, stage.bare_vault):
            stage.send(stage.token.functions.approve(vault.address, share), lp)
            receipt = stage.send(vault.functions.deposit(share), lp)
            if receipt["status"] != 1:
                raise StageError("a liquidity deposit reverted")
    for vault in (stage.vault, stage.bare_vault):
        if stage.balance(vault.address) != POOL_TVL:
            raise StageError(f"the pool holds {stage.balance(vault.address) / USDC} USDC")
