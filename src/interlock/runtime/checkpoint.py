"""Durable progress: the last fully processed blocks and the metric-window state, in SQLite.

The monitor writes one checkpoint per processed block, in one transaction, after the block's
events are counted and its decisions made. A restarted monitor loads the newest and resumes at
the next block, so no event is missed (blocks after the checkpoint are re-read from the node)
and none is counted twice (blocks up to the checkpoint are never re-read). The checkpoints of the
last `KEEP` blocks are kept with their hashes: when a processed block turns out to have been
replaced (a reorganisation deeper than the confirmation depth), the monitor rewinds to the last
block still on the chain and re-processes from there.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    guard TEXT NOT NULL,
    block INTEGER NOT NULL,
    block_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (guard, block)
);
"""

KEEP = 64


class CheckpointError(Exception):
    """The checkpoint file cannot be trusted (the message says why and what to do)."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(
            f"checkpoint `{path}` is unusable: {why}. Its windows cannot be trusted: move it "
            "away and start again (the monitor then starts at the head, or at --from-block N "
            "to rebuild the windows from an earlier block)")


@dataclass(frozen=True)
class Checkpoint:
    block: int
    block_hash: str
    state: dict[str, Any]


class CheckpointStore:
    """One SQLite file may hold the checkpoints of several guards (keyed by address)."""

    def __init__(self, path: str | Path, guard: str, *, refuse_empty: bool = False) -> None:
        """`refuse_empty`: a zero-length file is an error (a monitor starting on it would start
        with empty windows; SQLite leaves a file empty only between creating and initialising
        it), not a new checkpoint."""
        self.path = str(path)
        self.guard = guard.lower()
        if self.path != ":memory:":
            file = Path(self.path)
            file.parent.mkdir(parents=True, exist_ok=True)
            if refuse_empty and file.exists() and file.stat().st_size == 0:
                raise CheckpointError(self.path, "the file is empty (zero bytes)")
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise CheckpointError(self.path, f"not a checkpoint database ({exc})") from exc

    def _row(self, where: str, args: tuple[Any, ...]) -> Checkpoint | None:
        try:
            row = self._db.execute(
                "SELECT block, block_hash, state FROM checkpoints WHERE guard = ? " + where,
                (self.guard, *args),
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise CheckpointError(self.path, f"the database is damaged ({exc})") from exc
        if row is None:
            return None
        try:
            state = json.loads(row[2])
        except ValueError as exc:
            raise CheckpointError(self.path, f"block {row[0]}'s state is not JSON") from exc
        if not isinstance(state, dict):
            raise CheckpointError(self.path, f"block {row[0]}'s state is not an object")
        return Checkpoint(int(row[0]), str(row[1]), state)

    def load(self) -> Checkpoint | None:
        """The newest checkpoint."""
        return self._row("ORDER BY block DESC LIMIT 1", ())

    def load_at(self, block: int) -> Checkpoint | None:
        return self._row("AND block = ?", (block,))

    def save(self, block: int, block_hash: str, state: dict[str, Any]) -> None:
        """Record `block` as fully processed, atomically with the state after it."""
        payload = json.dumps(state, sort_keys=True, separators=(",", ":"))
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO checkpoints (guard, block, block_hash, state, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (self.guard, block, block_hash, payload, time.time()),
            )
            self._db.execute(
                "DELETE FROM checkpoints WHERE guard = ? AND (block <= ? OR block > ?)",
                (self.guard, block - KEEP, block),
            )

    def rewind(self, block: int) -> None:
        """Forget the checkpoints after `block` (they were on a replaced branch)."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM checkpoints WHERE guard = ? AND block > ?",
                             (self.guard, block))

    def recent_hashes(self) -> dict[int, str]:
        rows = self._db.execute(
            "SELECT block, block_hash FROM checkpoints WHERE guard = ?", (self.guard,)
        ).fetchall()
        return {int(b): str(h) for b, h in rows}

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CheckpointStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
