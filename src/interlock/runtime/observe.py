"""What the monitor sees of one block, as plain data: the input of `metrics.MetricState`.

Ingestion (`ingest.py`) fills these from the node; tests and the benchmark build them directly.
Keeping the I/O out of the metric arithmetic makes that arithmetic replayable: the same
observations always give the same metric values.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LogEntry:
    address: str  # lower-case hex
    topics: tuple[str, ...]  # 0x-prefixed lower-case hex
    data: bytes
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class TxEntry:
    tx_hash: str
    sender: str  # lower-case hex
    to: str | None  # lower-case hex; None for contract creation
    pending: bool = False


@dataclass(frozen=True)
class FeedRound:
    answer: int
    updated_at: int


@dataclass(frozen=True)
class BlockObservation:
    number: int
    block_hash: str
    parent_hash: str
    timestamp: int
    logs: tuple[LogEntry, ...] = ()
    txs: tuple[TxEntry, ...] = ()
    # chain reads at this block: balanceOf per (asset address, vault address), rounds per feed
    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    rounds: dict[str, FeedRound] = field(default_factory=dict)
    # custom state reads (`read NAME = call ...`) by name; a failed one is absent
    reads: dict[str, int] = field(default_factory=dict)
    base_fee: int | None = None
    errors: tuple[str, ...] = ()  # chain reads that failed (their metrics are unavailable)
    # the node no longer keeps this block's state (a pruned node): its reads are all missing
    state_pruned: bool = False
