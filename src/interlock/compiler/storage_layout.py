"""Where the generated guard keeps its state: one ERC-7201 namespace (docs/guard.md, "Storage
and upgrades").

Every state variable of `NAMEGuarded` is a member of one struct at the slot `GUARD_STORAGE`,
`keccak256(abi.encode(uint256(keccak256(NAMESPACE)) - 1)) & ~0xff` (ERC-7201's formula), so a
protocol that inherits the guard keeps its own sequential layout and an upgrade of the rules
moves nothing: the struct's members are mappings and arrays sized by the front end's limits,
never by the rule file. The namespace is the same for every rule file, so an implementation
built from new rules finds the old state (the nonces most of all) where it was.
"""

from __future__ import annotations

from eth_utils.crypto import keccak

NAMESPACE = "interlock.storage.Guard"


def erc7201_slot(namespace: str) -> int:
    """ERC-7201's base slot of `namespace`."""
    inner = int.from_bytes(keccak(text=namespace), "big") - 1
    return int.from_bytes(keccak(inner.to_bytes(32, "big")), "big") & ~0xFF


def solidity_view() -> dict[str, str]:
    return {"namespace": NAMESPACE, "slot": f"0x{erc7201_slot(NAMESPACE):064x}"}
