"""Stand-ins for a rule file's outside world on a test chain, and the keys that sign for it.

`deploy_harness` reads a checked program (as written, with its mainnet-like addresses) and
deploys the testkit's stand-ins (`contracts.compile_testkit`, the same ones the demo and the
guard tests use): one `TestToken` per asset, one `TestVault` per vault, one `TestFeed` per feed
and per reference feed, and a `GuardStateReader`; signers get deterministic test keys and
agents funded test accounts.
`Harness.address_map` maps each original address to its stand-in, for
`rewrite.rewrite_addresses`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak

from interlock.ir.nodes import Program
from interlock.testing.chain import TestChain
from interlock.testing.contracts import compile_testkit

ZERO_ADDRESS = "0x" + "00" * 20
QUIET_PRICE_UNITS = 2_000  # quiet feeds answer 2,000 whole units


def signer_key(index: int) -> bytes:
    """The test key of the signer at `index` (public knowledge: never hold value with it)."""
    return keccak(b"interlock-test-signer-" + str(index).encode())


@dataclass
class Harness:
    chain: TestChain
    address_map: dict[str, str] = field(default_factory=dict)  # original -> stand-in
    signer_keys: dict[str, bytes] = field(default_factory=dict)  # signer name -> key
    agents: dict[str, str] = field(default_factory=dict)  # agent name -> unlocked account
    tokens: dict[str, Any] = field(default_factory=dict)  # asset name -> TestToken
    vaults: dict[str, Any] = field(default_factory=dict)  # vault name -> TestVault
    feeds: dict[str, Any] = field(default_factory=dict)  # feed name -> TestFeed
    references: dict[str, Any] = field(default_factory=dict)  # feed name -> reference TestFeed
    reader: Any = None  # GuardStateReader

    def deploy(self, name: str, *args: Any) -> Any:
        """Deploy the testkit contract `name` from the chain's first account."""
        c = compile_testkit().contract(name)
        return self.chain.deploy(c.abi, c.bytecode, *args)

    def deploy_feed(self, decimals: int) -> Any:
        """A feed that was never updated (answer 0, `updatedAt` 0) until a step sets it."""
        feed = self.deploy("TestFeed", decimals, 0)
        if not self.chain.call_fn(feed.functions.set(0, 0), self.chain.accounts[0]).ok:
            raise RuntimeError("could not reset a stand-in feed")
        return feed


def deploy_harness(chain: TestChain, program: Program) -> Harness:
    """Deploy stand-ins for `program`'s assets, vaults and feeds; choose keys and agents."""
    h = Harness(chain=chain)
    for s in program.signers:
        key = signer_key(s.index)
        h.signer_keys[s.name] = key
        h.address_map[s.address] = Account.from_key(key).address
    for i, a in enumerate(program.agents):
        account = chain.accounts[1 + i]
        h.agents[a.name] = account
        h.address_map[a.address] = account
    for asset in program.assets:
        token = h.deploy("TestToken", asset.name, asset.name, asset.decimals)
        h.tokens[asset.name] = token
        h.address_map[asset.address] = token.address
    for v in program.vaults:
        # the driver reports flows itself (`reportOutflow`): `deposit`/`withdraw`, the only
        # users of the vault's token and scopes, are not called
        held = h.tokens[v.holds[0]].address if v.holds else ZERO_ADDRESS
        vault = h.deploy("TestVault", held, 0, 0)
        h.vaults[v.name] = vault
        h.address_map[v.address] = vault.address
    for f in program.feeds:
        feed = h.deploy_feed(f.decimals)
        h.feeds[f.name] = feed
        h.address_map[f.address] = feed.address
        if f.reference is not None:
            ref = h.deploy_feed(f.decimals)
            h.references[f.name] = ref
            h.address_map[f.reference] = ref.address
    h.reader = h.deploy("GuardStateReader")
    return h
