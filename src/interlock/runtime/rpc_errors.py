"""What a node's JSON-RPC error means for the monitor, from its code and message.

Nodes and providers word their errors differently (Anvil, geth, Erigon, hosted RPCs); the
monitor needs to know only a few things about one: the guard refused the call (a revert: never
retried), the provider asks us to slow down (retried with backoff, even when the error carries
`data`), the transaction is already in the node's pool (it was sent), the nonce was taken, the
account cannot pay for gas, or the node no longer keeps the state of an old block (pruned).
"""

from __future__ import annotations

from typing import Any

REVERT_CODE = 3  # EIP-1474 / geth: "execution reverted", with the revert data in `data`
_RATE_LIMIT_CODES = frozenset({-32005, -32029, 429})
_RATE_LIMIT_WORDS = ("rate limit", "too many requests", "limit exceeded", "exceeded the quota",
                     "capacity exceeded", "try again later", "request limit")
_KNOWN_WORDS = ("already known", "already imported", "known transaction",
                "transaction already exists", "alreadyknown")
_NONCE_WORDS = ("nonce too low", "replacement transaction underpriced", "nonce")
_UNFUNDED_WORDS = ("insufficient funds", "insufficient balance", "funds for gas")
# the state of an old block is gone (a pruned full node keeps the last 128 blocks' state)
_PRUNED_WORDS = ("blockoutofrange", "missing trie node", "historical state",
                 "state not available", "state is not available", "state histories",
                 "required historical state unavailable", "pruned")


def _text(message: str) -> str:
    return message.lower()


def is_rate_limited(code: int | None, message: str) -> bool:
    text = _text(message)
    return code in _RATE_LIMIT_CODES or any(w in text for w in _RATE_LIMIT_WORDS)


def is_revert(code: int | None, message: str, data: Any) -> bool:
    """The guard (the EVM) refused the call. A rate limit carrying `data` is not one."""
    if is_rate_limited(code, message):
        return False
    text = _text(message)
    if code == REVERT_CODE or "revert" in text:
        return True
    # some nodes say only "execution failed" and put the revert data (a selector or more) in
    # `data`: that is a revert; a dict or a URL in `data` is the provider's commentary
    return isinstance(data, str) and data.startswith("0x") and len(data) >= 10


def is_already_known(message: str) -> bool:
    """The node has the very transaction already (a replica sent the same bytes)."""
    text = _text(message)
    return any(w in text for w in _KNOWN_WORDS)


def is_nonce_taken(message: str) -> bool:
    text = _text(message)
    return any(w in text for w in _NONCE_WORDS)


def is_unfunded(message: str) -> bool:
    text = _text(message)
    return any(w in text for w in _UNFUNDED_WORDS)


def is_state_pruned(message: str) -> bool:
    text = _text(message)
    return any(w in text for w in _PRUNED_WORDS)
