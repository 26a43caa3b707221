"""Put a built protocol on a local Anvil for a drill: stand-ins for its tokens, vaults and feeds
(`interlock.testing.harness`, the tests' one family), a drill copy of the rules whose signers and
agents are Anvil test keys, built with `interlock build` and deployed as `interlock deploy` does.

Every address of the rules is rewritten (names, numbers and lines unchanged), so the guard on the
chain is the built rules' guard with test keys: each manual step can really be signed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address

from interlock.build import BuildOptions, build
from interlock.ir.nodes import Program
from interlock.runtime.anvil import DEFAULT_KEYS, Anvil
from interlock.runtime.deploy import deploy_guard, find_protocol
from interlock.testing.chain import TestChain
from interlock.testing.harness import Harness, deploy_harness
from interlock.testing.rewrite import rewrite_addresses

T0 = 2_000_000_000  # chain time at the start of the drill
PRICE = 2_000  # every feed and reference starts here (whole units)
TVL = 1_000_000  # every vault holds this much of each asset (whole units)


class DrillError(Exception):
    """The drill venue could not be set up (the rules did not build, a deployment failed)."""


@dataclass
class Stage:
    node: Anvil
    chain: TestChain
    harness: Harness
    program: Program  # the drill copy's program
    build_dir: Path
    guard: Any  # web3 contract

    @property
    def rpc(self) -> str:
        return self.node.http_url

    def key(self, signer: str) -> str:
        return "0x" + self.harness.signer_keys[signer].hex()


def _source_of(build_dir: Path, program: Program) -> Path:
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    entry = next(p for p in manifest["protocols"] if p["name"] == program.protocol)
    return (build_dir / str(entry["source"]["path"])).resolve()


def setup(node: Anvil, build_dir: Path, workdir: Path, protocol: str | None = None) -> Stage:
    original = find_protocol(build_dir, protocol).program
    chain = TestChain(node)
    harness = deploy_harness(chain, original)
    source = _source_of(build_dir, original)
    rules = workdir / source.name
    rules.write_text(rewrite_addresses(source.read_text(encoding="utf-8"), harness.address_map),
                     encoding="utf-8")
    out = workdir / "build"
    built = build([str(rules)], BuildOptions(out_dir=out, jobs=2))
    if built.exit_code != 0:
        raise DrillError(f"the drill copy of the rules did not build: {built.notes}")
    protocol_dir = find_protocol(out, original.protocol)
    deployed = deploy_guard(protocol_dir, node.http_url, Account.from_key(DEFAULT_KEYS[0]))
    abi = json.loads(protocol_dir.guard_artifact.read_text(encoding="utf-8"))["abi"]
    guard = chain.w3.eth.contract(address=to_checksum_address(deployed.address), abi=abi)
    stage = Stage(node, chain, harness, protocol_dir.program, out, guard)
    _wire(stage)
    return stage


def _wire(stage: Stage) -> None:
    """Vaults report to the guard and hold `TVL`; feeds and references agree at `PRICE`."""
    chain, h, deployer = stage.chain, stage.harness, stage.chain.accounts[0]
    now = chain.latest_timestamp()
    calls = [v.functions.setGuard(stage.guard.address) for v in h.vaults.values()]
    for v in stage.program.vaults:
        for asset in v.holds:
            units = 10 ** stage.program.asset(asset).decimals
            calls.append(h.tokens[asset].functions.setBalance(h.vaults[v.name].address,
                                                              TVL * units))
    for f in stage.program.feeds:
        answer = PRICE * 10**f.decimals
        calls += [feed.functions.set(answer, now) for feed in
                  (h.feeds[f.name], h.references.get(f.name)) if feed is not None]
    for call in calls:
        if not chain.call_fn(call, deployer).ok:
            raise DrillError("wiring the stand-ins to the guard failed")
