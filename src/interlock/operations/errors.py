"""The guard's custom errors (from its compiled ABI) and refusal events, as sentences.

    decode_revert(program, abi, "0x...") -> "nonce 7 was already used: ..."

The selectors come from the ABI `interlock build` wrote, so a renamed or added error is decoded
by name; the sentences name powers, roles, scopes and times from the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from interlock.ir.nodes import Program
from interlock.operations.describe import UnknownPower, fmt_time, power_of, target_names
from interlock.verifier.describe import fmt_duration, power_label

Sentence = Callable[[Program, Sequence[Any]], str]


def _power(p: Program, power_id: int) -> str:
    try:
        return f"power {power_id} `{power_label(p, power_of(p, power_id))}`"
    except UnknownPower:
        return f"power {power_id} (not in these rules)"


def _role(p: Program, power_id: int) -> str:
    try:
        role = p.role(power_of(p, power_id).role)
    except UnknownPower:
        return "its role"
    lock = f" after {fmt_duration(role.delay)}" if role.delay else ""
    return f"role `{role.name}`{lock}"


def _target(p: Program, power_id: int, index: int) -> str:
    try:
        names = target_names(p, power_of(p, power_id), 1 << index)
    except UnknownPower:
        names = []
    return f"`{names[0]}`" if names else f"target {index}"


def _param(p: Program, index: int) -> str:
    names = [x.name for x in p.params if x.index == index]
    return f"`{names[0]}`" if names else f"param {index}"


def _hash(value: bytes) -> str:
    return "0x" + value.hex()


SENTENCES: dict[str, Sentence] = {
    "RoleNotSatisfied": lambda p, a: (
        f"the signatures do not satisfy {_role(p, a[0])} of {_power(p, a[0])}"),
    "Expired": lambda p, a: f"the operation expired at {fmt_time(a[0])} (its deadline)",
    "NonceUsed": lambda p, a: (
        f"nonce {a[0]} was already used: this operation (or another of its role with its nonce) "
        "was submitted before"),
    "TooEarly": lambda p, a: (
        f"the queued operation {_hash(a[0])} may run from {fmt_time(a[1])}, not before"),
    "QueueExpired": lambda p, a: (
        f"the queued operation {_hash(a[0])} expired at {fmt_time(a[1])} (the end of its grace "
        "period after the eta): queue it again with a new nonce"),
    "NotQueued": lambda p, a: (
        f"operation {_hash(a[0])} is not queued (never queued, already executed or cancelled)"),
    "Timelocked": lambda p, a: f"{_power(p, a[0])} is timelocked: queue it first",
    "NotTimelocked": lambda p, a: f"{_power(p, a[0])} is not timelocked: execute it directly",
    "UnknownSigner": lambda p, a: f"{to_checksum_address(a[0])} is not a signer of the guard",
    "UnknownPower": lambda p, a: f"the guard has no power {a[0]}",
    "SignersNotSorted": lambda p, a: (
        f"signature {a[0]} is out of order (signers must be by increasing address, no repeat)"),
    "BadSignature": lambda p, a: f"signature {a[0]} is malformed, recovers to no address, "
                                 "or its contract signer refused it",
    "HighS": lambda p, a: f"signature {a[0]} is high-s (malleable); the guard wants low-s",
    "TooManySignatures": lambda p, a: f"{a[0]} signatures are more than the guard has signers",
    "InvalidTargets": lambda p, a: f"{_power(p, a[0])} may not act on targets bitmask {a[1]}",
    "InvalidValue": lambda p, a: f"{_power(p, a[0])} does not allow the value {a[1]}",
    "PowerConditionFalse": lambda p, a: (
        f"the `when` condition of {_power(p, a[0])} does not hold now"),
    "PowerCooldown": lambda p, a: (
        f"{_power(p, a[0])} is in its cooldown for {_target(p, a[0], a[1])} until "
        f"{fmt_time(a[2])}"),
    "SetStepTooSoon": lambda p, a: (
        f"{_power(p, a[0])} set {_param(p, a[1])} less than its step's period ago: it may set "
        f"it again from {fmt_time(a[2])}"),
    "SetStepTooLarge": lambda p, a: (
        f"{_power(p, a[0])} may not move {_param(p, a[1])} from {a[2]} to {a[3]}: more than "
        "its step bound"),
    "WrongRole": lambda p, a: (
        f"operation {_hash(a[0])} is queued for another role than this `cancel` power's"),
    "ReentrancyGuardReentrantCall": lambda p, a: "the guard was re-entered",
}


def _signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"


def event_signature(abi: Sequence[dict[str, Any]], name: str) -> str:
    """`PauseRefused(uint8)`: an event's signature as its ABI declares it."""
    entry = next(e for e in abi if e.get("type") == "event" and e.get("name") == name)
    return _signature(entry)


def decode_revert(program: Program, abi: Sequence[dict[str, Any]], data: str | bytes) -> str:
    """The sentence for a revert's data (`0x` + selector + arguments)."""
    raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else data
    if len(raw) < 4:
        return "the guard reverted without a reason"
    for entry in abi:
        if entry.get("type") != "error":
            continue
        sig = _signature(entry)
        if keccak(text=sig)[:4] == raw[:4]:
            args = decode([i["type"] for i in entry["inputs"]], raw[4:])
            sentence = SENTENCES.get(entry["name"])
            text = sentence(program, args) if sentence else "the guard refused"
            return f"{text} [{entry['name']}]"
    return f"the guard reverted with unknown data 0x{raw.hex()}"


def refused_pauses(program: Program, scopes: Sequence[int]) -> list[str]:
    """Sentences for `PauseRefused(scope)` events: a scope's `gap` refused the pause."""
    out = []
    for index in scopes:
        scope = next((s for s in program.scopes if s.index == index), None)
        name = scope.name if scope else f"#{index}"
        gap = f" ({fmt_duration(scope.gap)} after its last pause ended)" if scope and scope.gap \
            else ""
        out.append(f"the pause of `{name}` was refused: its gap{gap} is running, "
                   "so it stays open [PauseRefused]")
    return out
