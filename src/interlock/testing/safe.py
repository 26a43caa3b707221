"""A real Safe (npm `@safe-global/safe-contracts` 1.4.1, its published build artifacts) on a
test chain, and its owners' EIP-1271 signatures over a guard operation.

    safe = deploy_safe(w3, owners=[a, b], threshold=2)
    sig = safe.guard_signature(guard.functions.operationHash(op).call(), [key_a, key_b])

The Safe answers `isValidSignature(digest, sig)` through its `CompatibilityFallbackHandler`:
it checks `sig` (its owners' 65-byte signatures, sorted by owner) against the Safe's own
EIP-712 `SafeMessage` hash of `abi.encode(digest)` — what a Safe{Wallet} "sign message" makes.
The guard's entry for a contract signer is the Safe's address, then that signature.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_account import Account
from web3 import Web3

from interlock.compiler.solc_imports import node_modules
from interlock.testing.contracts import deploy

_ARTIFACTS = "@safe-global/safe-contracts/build/artifacts/contracts"
ZERO = "0x" + "00" * 20
SENTINEL = "0x" + "00" * 19 + "01"  # the head of a Safe's owner list


def artifact(path: str) -> dict[str, Any]:
    """A Safe contract's published artifact (`proxies/SafeProxyFactory.sol/SafeProxyFactory`)."""
    file = Path(node_modules()) / _ARTIFACTS / f"{path}.json"
    return dict(json.loads(file.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Safe:
    w3: Web3
    contract: Any  # the Safe proxy, with the Safe's ABI
    handler: Any  # the CompatibilityFallbackHandler (deployed once, shared)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def message_hash(self, digest: bytes) -> bytes:
        """What the owners sign for `digest`: the Safe's `SafeMessage` hash of it."""
        return bytes(self.handler.functions.getMessageHashForSafe(
            self.address, encode(["bytes32"], [digest])).call())

    def owner_signatures(self, digest: bytes, keys: Sequence[bytes]) -> bytes:
        """The owners' signatures over `digest`, 65 bytes each, sorted by owner (Safe's rule)."""
        h = self.message_hash(digest)
        signed = sorted((int(Account.from_key(k).address, 16), Account.unsafe_sign_hash(h, k))
                        for k in keys)
        return b"".join(s.r.to_bytes(32, "big") + s.s.to_bytes(32, "big") + bytes([s.v])
                        for _, s in signed)

    def guard_signature(self, digest: bytes, keys: Sequence[bytes]) -> bytes:
        """The guard's entry for this Safe: its address (20 bytes), then its signature."""
        return bytes.fromhex(self.address[2:]) + self.owner_signatures(digest, keys)

    def swap_owner(self, old: str, new: str, keys: Sequence[bytes], sender: str) -> None:
        """Replace owner `old` by `new` with a Safe transaction its owners (`keys`) sign."""
        owners = list(self.contract.functions.getOwners().call())
        i = owners.index(old)
        prev = owners[i - 1] if i else SENTINEL
        data = self.contract.encode_abi("swapOwner", [prev, old, new])
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.exec_transaction(self.address, bytes.fromhex(data[2:]), keys).transact(
                {"from": sender}))
        if receipt["status"] != 1 or old in self.contract.functions.getOwners().call():
            raise RuntimeError("the Safe did not swap its owner")

    def exec_transaction(self, to: str, data: bytes, keys: Sequence[bytes]) -> Any:
        """The Safe's `execTransaction` calling `to` with `data` (no value, no refund),
        signed by the owners `keys` at the Safe's current nonce: a web3 function to send."""
        tx = (to, 0, data, 0, 0, 0, 0, ZERO, ZERO)
        nonce = self.contract.functions.nonce().call()
        h = bytes(self.contract.functions.getTransactionHash(*tx, nonce).call())
        signed = sorted((int(Account.from_key(k).address, 16), Account.unsafe_sign_hash(h, k))
                        for k in keys)
        sigs = b"".join(x.r.to_bytes(32, "big") + x.s.to_bytes(32, "big") + bytes([x.v])
                        for _, x in signed)
        return self.contract.functions.execTransaction(*tx, sigs)


def deploy_safe(w3: Web3, owners: Sequence[str], threshold: int,
                sender: str | None = None) -> Safe:
    """A Safe proxy with `owners` and `threshold`, its fallback handler set (EIP-1271)."""
    sender = sender or w3.eth.accounts[0]
    parts = {name: artifact(path) for name, path in (
        ("safe", "Safe.sol/Safe"),
        ("factory", "proxies/SafeProxyFactory.sol/SafeProxyFactory"),
        ("handler", "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler"),
    )}
    singleton, factory, handler = (deploy(w3, a["abi"], a["bytecode"], sender=sender)
                                   for a in parts.values())
    setup = singleton.encode_abi("setup", [list(owners), threshold, ZERO, b"", handler.address,
                                           ZERO, 0, ZERO])
    create = factory.functions.createProxyWithNonce(singleton.address, setup, 0)
    proxy = create.call({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(create.transact({"from": sender}))
    if receipt["status"] != 1:
        raise RuntimeError("the Safe proxy was not created")
    return Safe(w3, w3.eth.contract(address=proxy, abi=parts["safe"]["abi"]), handler)
