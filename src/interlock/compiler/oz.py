"""The OpenZeppelin Contracts v5 building blocks the generated guard imports (docs/guard.md,
"Building blocks"), and what a contract signer may spend.

`NAMEGuarded.sol` imports them under their npm names (`@openzeppelin/contracts/...`): solc
finds them in `node_modules` (`compiler.solc_imports`, the version pinned in package-lock.json),
a Foundry or Hardhat project through its usual remapping, and `interlock build` writes the
imported files beside the guard so its outputs compile on their own.
"""

from __future__ import annotations

PACKAGE = "@openzeppelin/contracts"

# (symbol, import path), in the order `NAMEGuarded.sol` imports them
GUARDED_IMPORTS: tuple[tuple[str, str], ...] = (
    ("ECDSA", f"{PACKAGE}/utils/cryptography/ECDSA.sol"),
    ("EIP712", f"{PACKAGE}/utils/cryptography/EIP712.sol"),
    ("SignatureChecker", f"{PACKAGE}/utils/cryptography/SignatureChecker.sol"),
    ("Math", f"{PACKAGE}/utils/math/Math.sol"),
    ("ReentrancyGuardTransient", f"{PACKAGE}/utils/ReentrancyGuardTransient.sol"),
    ("BitMaps", f"{PACKAGE}/utils/structs/BitMaps.sol"),
)
# `_checkStep`'s |v - b|, imported only with a step-bounded `set` power (an import nobody
# uses is a lint finding)
SIGNED_MATH = ("SignedMath", f"{PACKAGE}/utils/math/SignedMath.sol")

# Gas a contract signer's `isValidSignature` may use: a Safe's check of its owners' signatures
# costs ~8k gas per owner (ecrecover, an owner lookup), so 200k covers a Safe with 20 signing
# owners while a contract that burns gas costs the submitter at most this much.
SIGNER_GAS = 200_000
