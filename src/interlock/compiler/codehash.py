"""The guard's runtime code as the build knows it, so that the code at an address can be
compared with the build.

The code a constructor leaves at an address differs from solc's `evm.deployedBytecode` in its
immutables only: solc leaves zeros where each `immutable` goes and lists the places
(`evm.deployedBytecode.immutableReferences`: per variable, the byte offsets and lengths); the
constructor writes the values there (OpenZeppelin's `EIP712` keeps the domain's chain id,
address, separator, hashed name and version so; a guard with deploy-time addresses would keep
those). `CodeFingerprint` masks every listed range to zero, whatever the variables are, and
hashes the rest, so the same build gives the same hash at every address and on every chain.

The CBOR metadata tail solc may append (the metadata's hash, the compiler version) is not
code: the build compiles without it (`solc.APPEND_CBOR`), and a fingerprint of code compiled
with it leaves out the same number of bytes at the end of both sides (`metadata_length`), so
a build whose sources differ only in comments or paths still matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak

Ranges = tuple[tuple[int, int], ...]  # (start, length) in bytes, sorted


def immutable_ranges(references: Mapping[str, Sequence[Mapping[str, int]]]) -> Ranges:
    """solc's `immutableReferences` ({ast id: [{start, length}, ...]}) as sorted ranges."""
    return tuple(sorted((int(r["start"]), int(r["length"]))
                        for refs in references.values() for r in refs))


def cbor_tail_length(code: bytes) -> int:
    """The length of solc's CBOR metadata tail of `code` (its last two bytes say how long the
    CBOR before them is); 0 when the end does not look like one (code compiled without it)."""
    if len(code) < 2:
        return 0
    n = int.from_bytes(code[-2:], "big")
    start = len(code) - 2 - n
    # a CBOR map of 1 to 5 entries (0xa1-0xa5) whose first key is a short text string
    if n < 3 or start < 0 or not 0xA1 <= code[start] <= 0xA5 or code[start + 1] >> 5 != 3:
        return 0
    return n + 2


def masked_hash(code: bytes, immutables: Ranges, metadata_length: int = 0) -> str:
    """keccak-256 of `code` without its last `metadata_length` bytes, with each immutable
    range zeroed; 0x-prefixed."""
    body = bytearray(code[: len(code) - metadata_length])
    for start, length in immutables:
        body[start:start + length] = bytes(len(body[start:start + length]))
    return "0x" + keccak(bytes(body)).hex()


@dataclass(frozen=True)
class CodeFingerprint:
    """What the build says the guard's runtime code is."""

    hash: str  # `masked_hash` of the compiled runtime code
    size: int  # bytes of runtime code, metadata tail included
    immutables: Ranges = ()
    metadata_length: int = 0

    @classmethod
    def of_compiled(cls, deployed_bytecode: str,
                    references: Mapping[str, Sequence[Mapping[str, int]]],
                    *, with_metadata: bool) -> CodeFingerprint:
        code = _bytes(deployed_bytecode)
        ranges = immutable_ranges(references)
        tail = cbor_tail_length(code) if with_metadata else 0
        return cls(masked_hash(code, ranges, tail), len(code), ranges, tail)

    def mismatch(self, code_hex: str) -> str | None:
        """Why the code `code_hex` (as `eth_getCode` returns it) is not this build's code, or
        None when it is."""
        code = _bytes(code_hex)
        if len(code) != self.size:
            return f"{len(code)} bytes of code, the build's guard has {self.size}"
        digest = masked_hash(code, self.immutables, self.metadata_length)
        if digest != self.hash:
            return f"code hash {digest} (immutables masked), the build's is {self.hash}"
        return None

    def to_json(self) -> dict[str, Any]:
        return {"hash": self.hash, "size": self.size,
                "immutables": [list(r) for r in self.immutables],
                "metadataLength": self.metadata_length}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodeFingerprint:
        return cls(str(data["hash"]), int(data["size"]),
                   tuple((int(s), int(n)) for s, n in data.get("immutables", [])),
                   int(data.get("metadataLength", 0)))


def _bytes(code_hex: str) -> bytes:
    return bytes.fromhex(str(code_hex or "0x").removeprefix("0x"))
