"""The SQLite checkpoint: one atomic record per processed block, per guard."""

from __future__ import annotations

from pathlib import Path

from interlock.runtime.checkpoint import KEEP, CheckpointStore


def test_save_load_and_resume(tmp_path: Path) -> None:
    db = tmp_path / "cp" / "monitor.sqlite"
    with CheckpointStore(db, "0xAbC") as store:
        assert store.load() is None
        store.save(10, "0x10", {"metrics": {"x": 1}})
        store.save(11, "0x11", {"metrics": {"x": 2}})
    with CheckpointStore(db, "0xabc") as again:  # the guard key is case-insensitive
        cp = again.load()
        assert cp is not None
        assert (cp.block, cp.block_hash, cp.state) == (11, "0x11", {"metrics": {"x": 2}})
        assert again.recent_hashes() == {10: "0x10", 11: "0x11"}


def test_guards_do_not_share_checkpoints(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    with CheckpointStore(db, "0x1") as a, CheckpointStore(db, "0x2") as b:
        a.save(5, "0x5", {})
        assert b.load() is None


def test_only_recent_hashes_are_kept(tmp_path: Path) -> None:
    with CheckpointStore(tmp_path / "m.sqlite", "0x1") as store:
        for n in range(KEEP + 10):
            store.save(n, hex(n), {"n": n})
        hashes = store.recent_hashes()
        assert len(hashes) == KEEP
        assert min(hashes) == 10
        assert store.load_at(5) is None
        cp = store.load_at(40)
        assert cp is not None and cp.state == {"n": 40}


def test_rewind_forgets_the_replaced_branch(tmp_path: Path) -> None:
    with CheckpointStore(tmp_path / "m.sqlite", "0x1") as store:
        for n in range(10):
            store.save(n, hex(n), {"n": n})
        store.rewind(6)
        cp = store.load()
        assert cp is not None and cp.block == 6
        store.save(7, "0xnew", {"n": "new"})
        assert store.recent_hashes()[7] == "0xnew"
