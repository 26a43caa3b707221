"""A rule file built with `interlock build`, deployed with `interlock deploy` on a real Anvil,
with stand-ins for its token, vault and feed; the signers' keys are the harness's test keys.

Nothing here skips: without solc or Anvil the fixtures raise and the tests fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account

from interlock.cli import main
from interlock.ir.nodes import Program
from interlock.runtime.anvil import DEFAULT_KEYS, Anvil
from interlock.runtime.deploy import find_protocol
from interlock.testing.chain import TestChain
from interlock.testing.deploy import check_text
from interlock.testing.harness import Harness, deploy_harness
from interlock.testing.rewrite import rewrite_addresses
from tests.operations.rules import RULES

T0 = 2_000_000_000
H, D = 3600, 86400


@dataclass
class Env:
    node: Anvil
    chain: TestChain
    harness: Harness
    program: Program
    build: Path
    guard: str
    tmp: Path

    @property
    def rpc(self) -> str:
        return self.node.http_url

    def key(self, signer: str) -> str:
        return "0x" + self.harness.signer_keys[signer].hex()

    def address(self, signer: str) -> str:
        return str(Account.from_key(self.harness.signer_keys[signer]).address)

    def now(self) -> int:
        return self.chain.latest_timestamp()

    def mine_at(self, ts: int) -> None:
        self.chain.mine(ts)

    def op(self, *args: str) -> int:
        """`interlock op ARGS --build BUILD` (propose takes BUILD_DIR as its argument)."""
        argv = ["op", *args]
        if args[0] != "propose":
            argv += ["--build", str(self.build)]
        return main(argv)

    def guard_fn(self, name: str, *args: object) -> object:
        c = self.chain.w3.eth.contract(address=self.guard, abi=self.abi())
        return getattr(c.functions, name)(*args).call()

    def abi(self) -> list[dict[str, object]]:
        artifact = self.build / f"{self.program.protocol}Guard.json"
        return list(json.loads(artifact.read_text())["abi"])


def deployed_env(tmp: Path, rules_text: str,
                 contracts: Callable[[TestChain], Mapping[str, str]] | None = None
                 ) -> Iterator[Env]:
    """`rules_text` built and deployed with `interlock deploy` on a fresh Anvil (the pool's
    USDC funded when the rules have them). `contracts` deploys contract signers (a Safe) and
    maps their addresses in the rules to the deployed ones (instead of test keys)."""
    mp = pytest.MonkeyPatch()
    with Anvil(timestamp=T0) as node:
        chain = TestChain(node)
        harness = deploy_harness(chain, check_text(rules_text, "ops.guard"))
        mapping = {**harness.address_map, **(contracts(chain) if contracts else {})}
        text = rewrite_addresses(rules_text, mapping)
        rules = tmp / "ops.guard"
        rules.write_text(text)
        build = tmp / "build"
        assert main(["build", str(rules), "-o", str(build)]) == 0
        mp.setenv("DEPLOYER", DEFAULT_KEYS[0])
        mp.setenv("INTERLOCK_SUBMITTER_KEY", DEFAULT_KEYS[2])
        assert main(["deploy", str(build), "--rpc", node.http_url, "--key-env", "DEPLOYER"]) == 0
        built = find_protocol(build)
        records = json.loads(built.deployment_record.read_text())
        guard = records[str(chain.w3.eth.chain_id)]["address"]
        for vault in harness.vaults.values():
            assert chain.call_fn(vault.functions.setGuard(guard), chain.accounts[0]).ok
            for token in harness.tokens.values():
                assert chain.call_fn(token.functions.setBalance(vault.address, 10**12),
                                     chain.accounts[0]).ok
        yield Env(node, chain, harness, built.program, build, guard, tmp)
    mp.undo()


@pytest.fixture(scope="module")
def env_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from deployed_env(tmp_path_factory.mktemp("ops"), RULES)


@pytest.fixture
def env(env_module: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    """The deployed venue, reverted to its fresh state after each test; cwd is `tmp_path`."""
    snap = env_module.chain.snapshot()
    monkeypatch.chdir(tmp_path)
    yield env_module
    env_module.chain.revert(snap)
