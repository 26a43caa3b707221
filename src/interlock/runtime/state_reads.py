"""Custom state reads (`read NAME = call ...`): the `eth_call` each makes, and its decoding.

The front end has already type-checked the signature (`interlock.dsl.analysis.reads`), so this
only encodes the constant arguments with eth-abi and decodes the one integer. A read **fails**
— and its metric is unavailable at that block, never a made-up 0 — when the call reverts,
runs out of its gas cap (`READ_GAS`, as the guard's own reads), returns nothing (no code at
the address), returns fewer than 32 bytes, or returns a word that is not a value of the
declared type (a `uint8` above 255, a sign extension that does not match: eth-abi's strict
decoding). docs/monitor.md, "Custom state reads".
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from interlock.ir.nodes import Program, StateRead


@dataclass(frozen=True)
class ReadCall:
    name: str
    to: str  # lower-case hex
    data: bytes  # selector and encoded arguments
    returns: str  # `uint256`, `int128`, ...

    @classmethod
    def of(cls, read: StateRead) -> ReadCall:
        args = [a if t == "address" else int(a) for t, a in zip(read.arg_types, read.args,
                                                                  strict=True)]
        selector = keccak(text=read.canonical())[:4]
        return cls(read.name, read.address.lower(), selector + encode(list(read.arg_types),
                                                                      args), read.returns)

    def decode(self, raw: bytes) -> int:
        """The read's value from the call's return data; `ValueError` when it failed."""
        if not raw:
            raise ValueError("empty return data (no contract at the address?)")
        if len(raw) < 32:
            raise ValueError(f"{len(raw)} bytes returned, expected a 32-byte `{self.returns}`")
        try:
            (value,) = decode([self.returns], raw[:32], strict=True)
        except Exception as exc:
            raise ValueError(f"not a `{self.returns}`: {exc}") from None
        return int(value)

    def describe(self, text: str) -> str:
        """For messages: `read debt_USDC (totalSupply()(uint256) at 0x...)`."""
        return f"read {self.name} ({text} at {self.to})"


def read_calls(program: Program, names: set[str]) -> tuple[ReadCall, ...]:
    """The calls of the program's reads named in `names` (those a condition uses), in
    declaration order."""
    return tuple(ReadCall.of(r) for r in program.reads if r.name in names)
