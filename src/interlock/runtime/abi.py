"""The ABI fragments the monitor uses: the guard interface of docs/semantics.md, ERC-20 and
Chainlink-style feeds. Kept here (not read from a build) so a monitor needs only the rules and the
guard's address.
"""

from __future__ import annotations

from typing import Any

from eth_utils.crypto import keccak


def _fn(
    name: str,
    inputs: list[tuple[str, str]],
    outputs: list[tuple[str, str]] | None = None,
    mutability: str = "view",
) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "stateMutability": mutability,
        "inputs": [{"name": n, "type": t} for n, t in inputs],
        "outputs": [{"name": n, "type": t} for n, t in (outputs or [])],
    }


GUARD_ABI: list[dict[str, Any]] = [
    _fn("isActive", [("scope", "uint8")], [("", "bool")]),
    _fn("pausedUntil", [("scope", "uint8")], [("", "uint64")]),
    _fn("pausedSince", [("scope", "uint8")], [("", "uint64")]),
    _fn("suspendedUntil", [("feed", "uint8")], [("", "uint64")]),
    _fn("isSuspended", [("feed", "uint8")], [("", "bool")]),
    _fn("paramBase", [("param", "uint8")], [("", "int256")]),
    _fn("paramValue", [("param", "uint8")], [("", "int256")]),
    _fn("firedUntil", [("ruleId", "uint256")], [("", "uint64")]),
    _fn("outflow", [("asset", "address"), ("window", "uint64")], [("", "uint256")]),
    _fn("inflow", [("asset", "address"), ("window", "uint64")], [("", "uint256")]),
    _fn("poke", [("ruleId", "uint256")], mutability="nonpayable"),
    _fn("trip", [("ruleId", "uint256")], mutability="nonpayable"),
    _fn("tripSender", [("ruleId", "uint256"), ("sender", "address")], mutability="nonpayable"),
]

ERC20_ABI: list[dict[str, Any]] = [
    _fn("balanceOf", [("owner", "address")], [("", "uint256")]),
]

FEED_ABI: list[dict[str, Any]] = [
    _fn(
        "latestRoundData",
        [],
        [
            ("roundId", "uint80"),
            ("answer", "int256"),
            ("startedAt", "uint256"),
            ("updatedAt", "uint256"),
            ("answeredInRound", "uint80"),
        ],
    ),
]

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


def event_topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def selector(signature: str) -> bytes:
    return bytes(keccak(text=signature)[:4])
