"""`interlock op` end to end on Anvil: propose, sign in separate files, merge, submit, effect;
a timelocked `set` queued, refused before its eta, executed after; a queued one cancelled."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from interlock.operations import opfile
from interlock.operations.chain import digest
from tests.operations.conftest import D, Env, H

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

WITHDRAWALS, LIQUIDATIONS = 1, 2


def propose(env: Env, *words: str, out: str = "op.json", extra: tuple[str, ...] = ()) -> Path:
    assert env.op("propose", str(env.build), *words, "--rpc", env.rpc, "-o", out, *extra) == 0
    return Path(out)


def sign_copy(env: Env, src: Path, signer: str, dest: str) -> Path:
    shutil.copy(src, dest)
    env_key = f"KEY_{signer.upper()}"
    os.environ[env_key] = env.key(signer)
    try:
        assert env.op("sign", dest, "--key-env", env_key) == 0
    finally:
        del os.environ[env_key]
    return Path(dest)


def test_two_of_three_pause_signed_apart_merged_and_submitted(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    op = propose(env, "pause", "withdrawals", "for", "6h", extra=("--deadline", "1h"))
    data = json.loads(op.read_text())
    assert data["summary"].startswith("pause withdrawals for 6h -- power 0 `guardian: pause *")
    assert data["typed_data"]["primaryType"] == "Operation"
    assert data["typed_data"]["message"]["targets"] == 1 << WITHDRAWALS
    assert data["typed_data"]["message"]["value"] == 6 * H
    a = sign_copy(env, op, "alice", "alice.json")
    c = sign_copy(env, op, "carol", "carol.json")
    capsys.readouterr()
    assert env.op("status", str(a), "--rpc", env.rpc) == 0
    out = capsys.readouterr().out
    assert "signed by: alice (foundation)" in out
    assert "not satisfied" in out and "bob (foundation) | carol (auditor)" in out
    assert env.op("status", str(a), str(c), "--rpc", env.rpc) == 0
    out = capsys.readouterr().out
    assert "role `guardian` is satisfied" in out and "not submitted yet" in out
    assert env.op("submit", str(a), str(c), "--rpc", env.rpc) == 0
    out = capsys.readouterr().out
    assert "execute: tx 0x" in out and "executed operation 0x" in out
    until = env.guard_fn("pausedUntil", WITHDRAWALS)
    assert until == env.now() + 6 * H  # paused 6h from the execution block
    assert env.guard_fn("isActive", WITHDRAWALS) is False
    assert env.op("status", str(a), str(c), "--rpc", env.rpc) == 0
    assert "done: its nonce is used" in capsys.readouterr().out


def test_timelocked_set_queued_refused_early_executed_after(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    op = propose(env, "set", "max_leverage", "to", "12", extra=("--deadline", "3d"))
    a = sign_copy(env, op, "alice", "a.json")
    b = sign_copy(env, op, "bob", "b.json")
    assert env.op("submit", str(a), str(b), "--rpc", env.rpc) == 0
    out = capsys.readouterr().out
    assert "queue: tx 0x" in out and "it may run from" in out
    queued_at = env.now()
    assert env.op("status", str(a), str(b), "--rpc", env.rpc) == 0
    assert "queued: may run from" in capsys.readouterr().out
    # before the eta: refused, with the guard's sentence, nothing sent
    env.mine_at(queued_at + D - 60)
    block = env.chain.w3.eth.block_number
    assert env.op("submit", str(a), str(b), "--rpc", env.rpc) == 1
    err = capsys.readouterr().err
    assert "may run from" in err and "not before [TooEarly]" in err
    assert "nothing was sent" in err
    assert env.chain.w3.eth.block_number == block
    assert env.guard_fn("paramBase", 0) == 20
    env.mine_at(queued_at + D)
    assert env.op("submit", str(a), str(b), "--rpc", env.rpc) == 0
    assert "executeQueued: tx 0x" in capsys.readouterr().out
    assert env.guard_fn("paramBase", 0) == 12


def propose_with_hash_bit(env: Env, high: bool, *words: str) -> Path:
    """A proposal whose operation hash has its top bit set (or not): found by trying nonces
    (a cancel carries the hash in `int256 value`, negative when the top bit is set)."""
    for nonce in range(1, 64):
        op = propose(env, *words, extra=("--deadline", "3d", "--nonce", str(nonce)))
        if (digest(opfile.load(op))[0] >= 0x80) == high:
            return op
    raise AssertionError("no nonce gave the wanted hash")


@pytest.mark.parametrize("high_bit", [False, True])
def test_a_queued_set_is_cancelled(env: Env, capsys: pytest.CaptureFixture[str],
                                   high_bit: bool) -> None:
    op = propose_with_hash_bit(env, high_bit, "set", "max_leverage", "to", "30")
    a = sign_copy(env, op, "alice", "a.json")
    c = sign_copy(env, op, "carol", "c.json")
    assert env.op("submit", str(a), str(c), "--rpc", env.rpc) == 0
    queued_at = env.now()
    assert env.op("cancel", str(a), "--rpc", env.rpc, "-o", "cancel.json") == 0
    cancel = Path("cancel.json")
    assert "cancel governor's queued operation 0x" in json.loads(cancel.read_text())["summary"]
    b2 = sign_copy(env, cancel, "bob", "cb.json")
    c2 = sign_copy(env, cancel, "carol", "cc.json")
    capsys.readouterr()
    assert env.op("submit", str(b2), str(c2), "--rpc", env.rpc) == 0
    assert "cancelled queued operation 0x" in capsys.readouterr().out
    env.mine_at(queued_at + D + 1)
    assert env.op("submit", str(a), str(c), "--rpc", env.rpc) == 1
    assert "was already used" in capsys.readouterr().err  # queued once, then cancelled
    assert env.guard_fn("paramBase", 0) == 20


def test_dry_run_and_json_status(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    op = propose(env, "suspend", "ETH_USD", "for", "30m")
    a = sign_copy(env, op, "alice", "a.json")
    capsys.readouterr()
    assert env.op("status", str(a), "--rpc", env.rpc, "--format", "json") == 0
    st = json.loads(capsys.readouterr().out)
    assert st["signed"] == [{"signer": "alice", "entity": "foundation",
                             "contract_signature": False}]
    assert not st["satisfied"] and st["missing"] == [["bob"], ["carol"]]
    assert st["queue"] == {"nonce_used": False, "eta": None, "ready": False}
    assert st["clock"] == "chain" and not st["expired"]
    b = sign_copy(env, op, "bob", "b.json")
    block = env.chain.w3.eth.block_number
    assert env.op("submit", str(a), str(b), "--rpc", env.rpc, "--dry-run") == 0
    assert "dry run: would call `execute`" in capsys.readouterr().out
    assert env.chain.w3.eth.block_number == block
    assert env.guard_fn("isSuspended", 0) is False


def test_status_marks_the_members_that_are_contracts(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """With --rpc, a member with code (here: code put at carol's address) is a contract, for
    which calling `execute` itself is how it approves; a member without code is a key."""
    carol = env.address("carol")
    env.node.rpc("anvil_setCode", [carol, "0x00"])  # STOP: any code makes it a contract
    try:
        op = propose(env, "pause", "deposits", "for", "1h")
        a = sign_copy(env, op, "alice", "a.json")
        capsys.readouterr()
        assert env.op("status", str(a), "--rpc", env.rpc, "--format", "json") == 0
        st = json.loads(capsys.readouterr().out)
        assert [(c["signer"], c["contract"], c["needed"]) for c in st["callers"]] == [
            ("bob", False, 0), ("carol", True, 0)]
        assert env.op("status", str(a), "--rpc", env.rpc) == 0
        assert ("a call by bob (foundation) or carol (auditor, contract) would complete it now"
                in capsys.readouterr().out)
    finally:
        env.node.rpc("anvil_setCode", [carol, "0x"])
