"""The guard's external interface, defined once (docs/guard.md, "Interface decisions").

`IGuard.sol.j2` renders these functions and the two interfaces the guard reads (`IGuardFeed`,
`IGuardToken`) into `INAMEGuard.sol`; every guard implements that interface, so its compiled
ABI has exactly these functions. The monitor encodes and decodes its calls from the same
definitions (`runtime.abi.call_data`): `runtime.mirror` reads the views, `runtime.executor`
sends `poke`/`trip`/`tripSender`, `runtime.ingest` reads feeds and balances. Pure data (no
solc, no templates): a generated monitor imports it for next to nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from interlock.compiler import eip712

Mutability = Literal["view", "nonpayable"]


@dataclass(frozen=True)
class Param:
    type: str  # a Solidity type; `Operation` is the struct below
    name: str = ""

    @property
    def abi_type(self) -> str:
        if self.type == "Operation":
            return OPERATION_TUPLE
        return self.type

    @property
    def declaration(self) -> str:
        """`uint8 scope`; reference types of an external function's inputs are `calldata`."""
        location = "calldata" if self.type == "Operation" or self.type.endswith("[]") else ""
        return " ".join(part for part in (self.type, location, self.name) if part)


@dataclass(frozen=True)
class Function:
    name: str
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]
    mutability: Mutability

    @property
    def signature(self) -> str:
        """The canonical signature its selector is the keccak of: `tripSender(uint256,address)`."""
        return f"{self.name}({','.join(self.input_types)})"

    @property
    def input_types(self) -> list[str]:
        return [p.abi_type for p in self.inputs]

    @property
    def output_types(self) -> list[str]:
        return [p.abi_type for p in self.outputs]

    @property
    def declaration_parts(self) -> list[str]:
        """The interface's declaration in parts, without the `;`:
        `["function isActive(uint8 scope)", "external", "view", "returns (bool)"]`."""
        params = ", ".join(p.declaration for p in self.inputs)
        outs = ", ".join(p.declaration for p in self.outputs)
        view = ["view"] if self.mutability == "view" else []
        returns = [f"returns ({outs})"] if outs else []
        return [f"function {self.name}({params})", "external", *view, *returns]


def _params(text: str) -> tuple[Param, ...]:
    """`"uint8 scope, address sender"` -> its params (a bare type is an unnamed one)."""
    return tuple(Param(*part.split()) for part in text.split(",") if part.strip())


def _view(name: str, inputs: str = "", returns: str = "") -> Function:
    return Function(name, _params(inputs), _params(returns), "view")


def _send(name: str, inputs: str = "", returns: str = "") -> Function:
    return Function(name, _params(inputs), _params(returns), "nonpayable")


# The ABI type of the `Operation` struct, from its one definition (`compiler.eip712`, which
# IGuard.sol.j2 declares it from). Only the guard's own calls take one; test_guard_abi.py checks
# this against the compiled ABI.
OPERATION_TUPLE = "(" + ",".join(t for _, t in eip712.OPERATION_FIELDS) + ")"

# In the interface's order: views, then what vaults, the agent and signers send
GUARD_FUNCTIONS: tuple[Function, ...] = (
    _view("isActive", "uint8 scope", "bool"),
    _view("requireActive", "uint8 scope"),
    _view("requireActiveFor", "uint8 scope, address sender"),
    _view("pausedUntil", "uint8 scope", "uint64"),
    _view("pausedSince", "uint8 scope", "uint64"),
    _view("suspendedUntil", "uint8 feed", "uint64"),
    _view("isSuspended", "uint8 feed", "bool"),
    _view("paramBase", "uint8 param", "int256"),
    _view("paramValue", "uint8 param", "int256"),
    _view("firedUntil", "uint256 ruleId", "uint64"),
    _view("usedUntil", "uint16 power, uint8 target", "uint64"),
    _view("blockedUntil", "address sender, uint8 scope", "uint64"),
    _view("nonceUsed", "uint256 nonce", "bool"),
    _view("queuedAt", "bytes32 opHash", "uint64"),
    _view("outflow", "address asset, uint64 window", "uint256"),
    _view("inflow", "address asset, uint64 window", "uint256"),
    _view("domainSeparator", "", "bytes32"),
    _view("operationHash", "Operation op", "bytes32"),
    _send("recordOutflow", "address asset, uint256 amount", "bool"),
    _send("recordInflow", "address asset, uint256 amount", "bool"),
    _send("poke", "uint256 ruleId"),
    _send("trip", "uint256 ruleId"),
    _send("tripSender", "uint256 ruleId, address sender"),
    _send("execute", "Operation op, bytes[] signatures"),
    _send("queue", "Operation op, bytes[] signatures", "bytes32"),
    _send("executeQueued", "Operation op"),
)

# What the guard (and the monitor) read from a Chainlink-style feed and an ERC-20
FEED_FUNCTIONS: tuple[Function, ...] = (
    _view(
        "latestRoundData",
        "",
        "uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt,"
        " uint80 answeredInRound",
    ),
)
TOKEN_FUNCTIONS: tuple[Function, ...] = (_view("balanceOf", "address account", "uint256"),)

_BY_NAME = {f.name: f for f in (*GUARD_FUNCTIONS, *FEED_FUNCTIONS, *TOKEN_FUNCTIONS)}


def function(name: str) -> Function:
    """The guard's (or feed's, or token's) function `name`; a misspelt name raises KeyError."""
    return _BY_NAME[name]
