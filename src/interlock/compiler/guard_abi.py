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
    indexed: bool = False  # an event's topic

    @property
    def abi_type(self) -> str:
        if self.type == "Operation":
            return OPERATION_TUPLE
        return self.type

    @property
    def declaration(self) -> str:
        """`uint8 scope`; reference types of an external function's inputs are `calldata`."""
        dynamic = self.type in ("Operation", "bytes") or self.type.endswith("[]")
        location = "calldata" if dynamic else ""
        indexed = "indexed" if self.indexed else ""
        return " ".join(part for part in (self.type, location, indexed, self.name) if part)


@dataclass(frozen=True)
class Function:
    name: str
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]
    mutability: Mutability
    declared_by_oz: bool = False  # an OpenZeppelin interface declares it: ours must not

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
        outs = ", ".join(p.declaration.replace(" calldata", " memory") for p in self.outputs)
        view = ["view"] if self.mutability == "view" else []
        returns = [f"returns ({outs})"] if outs else []
        return [f"function {self.name}({params})", "external", *view, *returns]


@dataclass(frozen=True)
class Event:
    """An event the guard emits, or an error it reverts with (`kind`); the monitor decodes
    both from these definitions (`runtime.guard_events`)."""

    kind: Literal["event", "error"]
    name: str
    inputs: tuple[Param, ...]
    declared_by_oz: bool = False  # an OpenZeppelin base declares it: the interface must not

    @property
    def signature(self) -> str:
        """`BreakerFired(uint256,address,uint64)`: its topic (event) or selector (error)."""
        return f"{self.name}({','.join(p.abi_type for p in self.inputs)})"

    @property
    def declaration(self) -> str:
        params = ", ".join(p.declaration for p in self.inputs)
        return f"{self.kind} {self.name}({params});"


def _params(text: str) -> tuple[Param, ...]:
    """`"uint8 scope, address indexed sender"` -> its params (a bare type is an unnamed one)."""
    out = []
    for part in text.split(","):
        words = part.split()
        if words:
            indexed = "indexed" in words
            kept = [w for w in words if w != "indexed"]
            out.append(Param(kept[0], kept[1] if len(kept) > 1 else "", indexed))
    return tuple(out)


def _view(name: str, inputs: str = "", returns: str = "") -> Function:
    return Function(name, _params(inputs), _params(returns), "view")


def _send(name: str, inputs: str = "", returns: str = "") -> Function:
    return Function(name, _params(inputs), _params(returns), "nonpayable")


# The ABI type of the `Operation` struct, from its one definition (`compiler.eip712`, which
# IGuard.sol.j2 declares it from). Only the guard's own calls take one; test_guard_abi.py checks
# this against the compiled ABI.
OPERATION_TUPLE = "(" + ",".join(t for _, t in eip712.CALL_FIELDS) + ")"

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
    _view("nonceUsed", "uint8 role, uint256 nonce", "bool"),
    _view("queuedAt", "bytes32 opHash", "uint64"),
    _view("heldFlow", "uint256 holdId", "address vault, address asset, address recipient,"
          " uint256 amount, uint64 releaseAt, uint8 status"),
    _view("outflow", "address asset, uint64 window", "uint256"),
    _view("inflow", "address asset, uint64 window", "uint256"),
    _view("guardAddresses", "", "address[]"),
    _view("rulesHash", "", "bytes32"),
    _view("domainSeparator", "", "bytes32"),
    _view("operationHash", "Operation op", "bytes32"),
    Function("eip712Domain", (), _params(
        "bytes1 fields, string name, string version, uint256 chainId, address verifyingContract,"
        " bytes32 salt, uint256[] extensions"), "view", declared_by_oz=True),  # ERC-5267
    _view("isValidContractSignature", "address signer, bytes32 digest, bytes signature", "bool"),
    _send("recordOutflow", "address asset, uint256 amount", "bool"),
    _send("recordOutflowTo", "address asset, uint256 amount, address recipient",
          "bool ok, uint256 holdId"),
    _send("recordInflow", "address asset, uint256 amount", "bool"),
    _send("claimHold", "uint256 holdId", "address recipient, address asset, uint256 amount"),
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
    _view("decimals", "", "uint8"),
)
TOKEN_FUNCTIONS: tuple[Function, ...] = (
    _view("balanceOf", "address account", "uint256"),
    _view("decimals", "", "uint8"),
)


def _event(name: str, inputs: str = "") -> Event:
    return Event("event", name, _params(inputs))


def _error(name: str, inputs: str = "") -> Event:
    return Event("error", name, _params(inputs))


GUARD_EVENTS: tuple[Event, ...] = (
    _event("Paused", "uint8 indexed scope, uint64 until, uint64 since"),
    _event("PauseRefused", "uint8 indexed scope"),
    _event("Unpaused", "uint8 indexed scope"),
    _event("Suspended", "uint8 indexed feed, uint64 until"),
    _event("Resumed", "uint8 indexed feed"),
    _event("ParamBaseSet", "uint8 indexed param, int256 value"),
    _event("ParamOverridden", "uint8 indexed param, uint256 indexed ruleId, int256 value,"
           " uint64 until"),
    _event("SenderBlocked", "address indexed sender, uint8 indexed scope, uint64 until"),
    _event("SenderUnblocked", "address indexed sender, uint8 indexed scope"),
    _event("BreakerFired", "uint256 indexed ruleId, address indexed caller, uint64 firedUntil"),
    _event("FlowRefused", "address indexed vault, address indexed asset, uint256 amount,"
           " bool outflow"),
    _event("FlowHeld", "uint256 indexed holdId, uint256 indexed ruleId, address indexed vault,"
           " address asset, address recipient, uint256 amount, uint64 releaseAt"),
    _event("HoldClaimed", "uint256 indexed holdId, uint256 indexed ruleId, address indexed"
           " recipient, uint256 amount"),
    _event("HoldCancelled", "uint256 indexed holdId"),
    _event("OperationExecuted", "bytes32 indexed opHash, uint16 indexed power"),
    _event("OperationQueued", "bytes32 indexed opHash, uint16 indexed power, uint64 eta"),
    _event("OperationCancelled", "bytes32 indexed opHash"),
    Event("event", "EIP712DomainChanged", (), declared_by_oz=True),  # ERC-5267
)

GUARD_ERRORS: tuple[Event, ...] = (
    _error("ScopePaused", "uint8 scope, uint64 until"),
    _error("GuardAlreadyInitialized"),
    _error("WrongDecimals", "address target, uint8 expected, uint8 actual"),
    _error("InvalidAddress", "uint256 index"),
    _error("SenderIsBlocked", "address sender, uint8 scope, uint64 until"),
    _error("UnknownScope", "uint8 scope"),
    _error("UnknownFeed", "uint8 feed"),
    _error("UnknownParam", "uint8 param"),
    _error("UnknownRule", "uint256 ruleId"),
    _error("UnknownPower", "uint16 power"),
    _error("UnknownWindow", "address asset, uint64 window"),
    _error("UnknownSigner", "address signer"),
    _error("NotVault", "address caller"),
    _error("AssetNotHeld", "address vault, address asset"),
    _error("NotAgent", "address caller"),
    _error("OnchainRule", "uint256 ruleId"),
    _error("NotOnchainRule", "uint256 ruleId"),
    _error("SenderRequired", "uint256 ruleId"),
    _error("NoSenderEffect", "uint256 ruleId"),
    _error("RuleCooldown", "uint256 ruleId, uint64 readyAt"),
    _error("ConditionNotMet", "uint256 ruleId"),
    _error("ReadGasTooLow"),
    # OpenZeppelin's ReentrancyGuardTransient and EIP712 (its ShortStrings) declare these
    Event("error", "ReentrancyGuardReentrantCall", (), declared_by_oz=True),
    Event("error", "InvalidShortString", (), declared_by_oz=True),
    Event("error", "StringTooLong", _params("string str"), declared_by_oz=True),
    _error("Expired", "uint256 deadline"),
    _error("NonceUsed", "uint256 nonce"),
    _error("TooManySignatures", "uint256 count"),
    _error("BadSignature", "uint256 index"),
    _error("HighS", "uint256 index"),
    _error("SignersNotSorted", "uint256 index"),
    _error("RoleNotSatisfied", "uint16 power"),
    _error("Timelocked", "uint16 power"),
    _error("NotTimelocked", "uint16 power"),
    _error("NotQueued", "bytes32 opHash"),
    _error("TooEarly", "bytes32 opHash, uint64 eta"),
    _error("QueueExpired", "bytes32 opHash, uint64 expiredAt"),
    _error("WrongRole", "bytes32 opHash"),
    _error("InvalidTargets", "uint16 power, uint256 targets"),
    _error("InvalidValue", "uint16 power, int256 value"),
    _error("PowerConditionFalse", "uint16 power"),
    _error("PowerCooldown", "uint16 power, uint8 target, uint64 readyAt"),
    _error("NotHeld", "uint256 holdId"),
    _error("NotHoldVault", "uint256 holdId, address caller"),
    _error("HoldNotReleased", "uint256 holdId, uint64 releaseAt"),
    _error("SetStepTooSoon", "uint16 power, uint8 param, uint64 readyAt"),
    _error("SetStepTooLarge", "uint16 power, uint8 param, int256 base, int256 value"),
)

_BY_NAME = {f.name: f for f in (*GUARD_FUNCTIONS, *FEED_FUNCTIONS, *TOKEN_FUNCTIONS)}


def function(name: str) -> Function:
    """The guard's (or feed's, or token's) function `name`; a misspelt name raises KeyError."""
    return _BY_NAME[name]
