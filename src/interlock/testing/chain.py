"""A web3 connection to a test chain whose block timestamps the caller sets exactly.

`TestChain` wraps Anvil (`interlock.runtime.anvil.Anvil`): every transaction is mined in its
own block at the timestamp the caller chose (`at`), several blocks may share a timestamp (as
several transactions in one block would), and snapshots let one deployment serve many runs.
Transactions are sent with an explicit gas limit, so a reverting one is mined with status 0
instead of failing in gas estimation: the caller sees a refusal as data (`TxOutcome`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from web3 import Web3

from interlock.runtime.anvil import Anvil

TX_GAS = 5_000_000


@dataclass(frozen=True)
class TxOutcome:
    ok: bool
    gas_used: int
    block_timestamp: int
    tx_hash: str
    logs: tuple[Any, ...] = ()  # the receipt's logs


class TestChain:
    """Anvil plus the few RPC calls the chain driver needs (time, snapshots, deployment)."""

    __test__ = False  # not a pytest test class

    def __init__(self, node: Anvil) -> None:
        self.node = node
        self.w3 = Web3(Web3.HTTPProvider(node.http_url, request_kwargs={"timeout": 30}))
        self.accounts: list[str] = list(self.w3.eth.accounts)

    # --- time and snapshots ---------------------------------------------------------------

    def latest_timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def at(self, timestamp: int) -> None:
        """The next block (and so the next transaction) is mined at `timestamp`."""
        self.node.rpc("evm_setNextBlockTimestamp", [timestamp])

    def mine(self, timestamp: int) -> None:
        self.at(timestamp)
        self.node.rpc("evm_mine")

    def snapshot(self) -> str:
        return str(self.node.rpc("evm_snapshot"))

    def revert(self, snapshot_id: str) -> None:
        if self.node.rpc("evm_revert", [snapshot_id]) is not True:
            raise RuntimeError(f"could not revert to snapshot {snapshot_id}")

    # --- transactions ---------------------------------------------------------------------

    def send(self, tx: dict[str, Any], *, timestamp: int | None = None) -> TxOutcome:
        """Send `tx` (from an unlocked account) and wait for it; a revert is `ok=False`."""
        if timestamp is not None:
            self.at(timestamp)
        full = {"gas": TX_GAS, **tx}
        tx_hash = self.w3.eth.send_transaction(full)  # type: ignore[arg-type]
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.001)
        block = self.w3.eth.get_block(receipt["blockNumber"])
        return TxOutcome(
            ok=receipt["status"] == 1,
            gas_used=int(receipt["gasUsed"]),
            block_timestamp=int(block["timestamp"]),
            tx_hash=tx_hash.to_0x_hex(),
            logs=tuple(receipt["logs"]),
        )

    def call_fn(self, fn: Any, sender: str, *, timestamp: int | None = None) -> TxOutcome:
        """Send a bound contract function (`contract.functions.f(args)`) from `sender`."""
        tx = fn.build_transaction({"from": sender, "gas": TX_GAS})
        tx.pop("nonce", None)
        for fee_key in ("maxFeePerGas", "maxPriorityFeePerGas", "gasPrice"):
            tx.pop(fee_key, None)
        return self.send(dict(tx), timestamp=timestamp)

    def deploy(self, abi: Sequence[dict[str, Any]], bytecode: str, *args: Any) -> Any:
        """Deploy a contract from the first account; returns the web3 contract object."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        tx_hash = factory.constructor(*args).transact({"from": self.accounts[0]})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.001)
        if receipt["status"] != 1 or receipt["contractAddress"] is None:
            raise RuntimeError("contract deployment reverted")
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=abi)
