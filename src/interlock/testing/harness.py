"""Stand-ins for a rule file's outside world on a test chain, and the keys that sign for it.

`deploy_harness` reads a checked program (as written, with its mainnet-like addresses) and
deploys one `DriverToken` per asset, one `DriverVault` per vault, one `DriverFeed` per feed
and per reference feed; signers get deterministic test keys and agents funded test accounts.
`Harness.address_map` maps each original address to its stand-in, for
`rewrite.rewrite_addresses`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak

from interlock.compiler.solc import compile_sources
from interlock.ir.nodes import Program
from interlock.testing.chain import TestChain
from interlock.testing.driver_contracts import DRIVER_SOURCES

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
    tokens: dict[str, Any] = field(default_factory=dict)  # asset name -> DriverToken
    vaults: dict[str, Any] = field(default_factory=dict)  # vault name -> DriverVault
    feeds: dict[str, Any] = field(default_factory=dict)  # feed name -> DriverFeed
    references: dict[str, Any] = field(default_factory=dict)  # feed name -> reference feed
    reader: Any = None  # GuardStateReader

    def contract(self, name: str) -> tuple[list[dict[str, Any]], str]:
        c = compile_sources(DRIVER_SOURCES, allow_warnings=False).contract(name)
        return c.abi, c.bytecode


def deploy_harness(chain: TestChain, program: Program) -> Harness:
    """Deploy stand-ins for `program`'s assets, vaults and feeds; choose keys and agents."""
    h = Harness(chain=chain)
    token_abi, token_code = h.contract("DriverToken")
    vault_abi, vault_code = h.contract("DriverVault")
    feed_abi, feed_code = h.contract("DriverFeed")
    reader_abi, reader_code = h.contract("GuardStateReader")
    for s in program.signers:
        key = signer_key(s.index)
        h.signer_keys[s.name] = key
        h.address_map[s.address] = Account.from_key(key).address
    for i, a in enumerate(program.agents):
        account = chain.accounts[1 + i]
        h.agents[a.name] = account
        h.address_map[a.address] = account
    for asset in program.assets:
        token = chain.deploy(token_abi, token_code, asset.name, asset.name, asset.decimals)
        h.tokens[asset.name] = token
        h.address_map[asset.address] = token.address
    for v in program.vaults:
        vault = chain.deploy(vault_abi, vault_code)
        h.vaults[v.name] = vault
        h.address_map[v.address] = vault.address
    for f in program.feeds:
        feed = chain.deploy(feed_abi, feed_code, f.decimals)
        h.feeds[f.name] = feed
        h.address_map[f.address] = feed.address
        if f.reference is not None:
            ref = chain.deploy(feed_abi, feed_code, f.decimals)
            h.references[f.name] = ref
            h.address_map[f.reference] = ref.address
    h.reader = chain.deploy(reader_abi, reader_code)
    return h
