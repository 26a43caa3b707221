"""A real Safe 1.4.1 (2 of 3 owners) as a member of a role, through the operation file: `op
status --rpc` names the SafeMessage hash its owners sign, their combined signature enters the
file with `op sign --signature --rpc` (checked by the Safe's `isValidSignature`), the status
counts it and `op submit` executes it on the guard. On Anvil.

Attacks: a Safe signature of too few owners, or of another operation, is refused by `op sign
--rpc`; written into the file by hand, `op status --rpc` and `op submit` refuse the file and the
guard itself rejects the entry (`BadSignature`); without `--rpc` a contract signature is not
taken (nothing can check it offline).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from interlock.operations import opfile
from interlock.operations.chain import digest, op_tuple
from interlock.operations.signing import ordered_signatures
from interlock.testing.chain import TestChain
from interlock.testing.safe import Safe, deploy_safe
from tests.compiler.conftest import error_selector, revert_data
from tests.operations.conftest import Env, deployed_env
from tests.operations.test_bad_input import error_of
from tests.operations.test_op_e2e import propose, sign_copy
from tests.operations.test_wallets import CAST, cast_sign

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

TREASURY = "0x4444444444444444444444444444444444444444"
RULES = f"""protocol SafeOps

signer alice    0x1111111111111111111111111111111111111111 entity foundation
signer bob      0x2222222222222222222222222222222222222222 entity foundation
signer treasury {TREASURY} entity dao

role guardian = 2 of [alice, bob, treasury]

scope deposits
scope withdrawals

allow guardian to pause * for at most 24h
"""
OWNER_KEYS = tuple(bytes([0x50 + i]) * 32 for i in range(3))  # the Safe's owners, 2 of 3
WITHDRAWALS = 1
SAFES: dict[str, Safe] = {}


def _deploy_safe(chain: TestChain) -> Mapping[str, str]:
    owners = [Account.from_key(k).address for k in OWNER_KEYS]
    SAFES["treasury"] = deploy_safe(chain.w3, owners, 2)
    return {TREASURY: SAFES["treasury"].address}


@pytest.fixture(scope="module")
def safe_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from deployed_env(tmp_path_factory.mktemp("safe"), RULES, _deploy_safe)


@pytest.fixture
def env(safe_env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    snap = safe_env.chain.snapshot()
    monkeypatch.chdir(tmp_path)
    yield safe_env
    safe_env.chain.revert(snap)


def status_json(env: Env, capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    capsys.readouterr()
    assert env.op("status", str(path), "--rpc", env.rpc, "--format", "json") == 0
    return dict(json.loads(capsys.readouterr().out))


def owners_sign(typed: dict[str, Any], keys: Sequence[bytes]) -> str:
    """Each owner signs the SafeMessage typed data in a wallet; joined by owner address."""
    signed = sorted((int(Account.from_key(k).address, 16),
                     Account.sign_message(encode_typed_data(full_message=typed), k).signature)
                    for k in keys)
    return "0x" + b"".join(bytes(s) for _, s in signed).hex()


def test_safe_owners_sign_and_the_operation_executes(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    safe = SAFES["treasury"]
    op = propose(env, "pause", "withdrawals", "for", "6h")
    a = sign_copy(env, op, "alice", "a.json")
    st = status_json(env, capsys, a)
    treasury = next(c for c in st["callers"] if c["signer"] == "treasury")
    approve = treasury["approve"]
    d = digest(opfile.load(a))
    assert treasury["contract"] is True and approve["digest"] == "0x" + d.hex()
    # the hash named is the Safe's own (its fallback handler computes it)
    assert approve["safe_message_hash"] == "0x" + safe.message_hash(d).hex()
    assert env.op("status", str(a), "--rpc", env.rpc) == 0
    out = capsys.readouterr().out
    assert f"its owners sign its SafeMessage hash {approve['safe_message_hash']}" in out
    assert "--signer treasury --signature 0x… --rpc URL" in out
    sig = owners_sign(approve["safe_message"], OWNER_KEYS[1:])
    assert sig == "0x" + safe.owner_signatures(d, OWNER_KEYS[1:]).hex()  # what Safe expects
    # an owner using cast (docs/operations.md, "A Safe signs"): the typed data, or the raw hash
    key = "0x" + OWNER_KEYS[1].hex()
    mine = owners_sign(approve["safe_message"], OWNER_KEYS[1:2])
    assert cast_sign(approve["safe_message"], key, Path.cwd()) == mine
    raw = subprocess.run([str(CAST), "wallet", "sign", "--no-hash", "--private-key", key,
                          approve["safe_message_hash"]], capture_output=True, text=True,
                         timeout=60, check=True)
    assert raw.stdout.strip() == mine
    assert env.op("sign", str(a), "--signer", "treasury", "--signature", sig,
                  "--rpc", env.rpc) == 0
    assert "treasury signed (contract signature, accepted on chain" in capsys.readouterr().out
    data = json.loads(a.read_text())
    assert data["format"] == "interlock-operation/2"
    assert data["signatures"][1] == {"kind": "contract", "signer": "treasury",
                                     "address": safe.address, "signature": sig}
    assert env.op("status", str(a), "--rpc", env.rpc) == 0
    out = capsys.readouterr().out
    assert "signed by: alice (foundation), treasury (dao, contract signature)" in out
    assert "role `guardian` is satisfied" in out
    assert env.op("status", str(a)) == 0  # offline: counted, and said to be checked when added
    assert "give --rpc to check them again" in capsys.readouterr().out
    assert env.op("submit", str(a), "--rpc", env.rpc) == 0
    assert "executed operation 0x" in capsys.readouterr().out
    assert env.guard_fn("isActive", WITHDRAWALS) is False


def test_too_few_owners_or_another_operation_is_refused(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    safe = SAFES["treasury"]
    op = propose(env, "pause", "withdrawals", "for", "6h")
    other = propose(env, "pause", "deposits", "for", "1h", out="other.json")
    d = digest(opfile.load(op))
    one = "0x" + safe.owner_signatures(d, OWNER_KEYS[:1]).hex()
    elsewhere = "0x" + safe.owner_signatures(digest(opfile.load(other)), OWNER_KEYS[:2]).hex()
    for sig in (one, elsewhere):
        err = error_of(env, capsys, "sign", str(op), "--signer", "treasury", "--signature", sig,
                       "--rpc", env.rpc)
        assert "does not accept this signature on chain" in err
        assert f"SafeMessage hash 0x{safe.message_hash(d).hex()}" in err
    assert json.loads(op.read_text())["signatures"] == []
    # without --rpc nothing can check a contract signature
    both = "0x" + safe.owner_signatures(d, OWNER_KEYS[:2]).hex()
    err = error_of(env, capsys, "sign", str(op), "--signer", "treasury", "--signature", both)
    assert "this one is 130; a contract signer's EIP-1271 signature (a Safe's) may be any " \
        "length, but only the contract can check it: name it with --signer and give --rpc " \
        "URL" in err
    # one owner's 65 bytes look like an EOA's: they recover to the owner, not to the Safe
    err = error_of(env, capsys, "sign", str(op), "--signer", "treasury", "--signature", one)
    assert "not by `treasury`" in err and "give --rpc URL" in err


def test_a_forged_entry_is_refused_by_the_tool_and_by_the_guard(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    safe = SAFES["treasury"]
    op = propose(env, "pause", "withdrawals", "for", "6h")
    a = sign_copy(env, op, "alice", "a.json")
    one = "0x" + safe.owner_signatures(digest(opfile.load(a)), OWNER_KEYS[:1]).hex()
    data = json.loads(a.read_text())
    data["format"] = "interlock-operation/2"
    data["signatures"].append({"kind": "contract", "signer": "treasury",
                               "address": safe.address, "signature": one})
    a.write_text(json.dumps(data))
    block = env.chain.w3.eth.block_number
    for cmd in ("status", "submit"):
        err = error_of(env, capsys, cmd, str(a), "--rpc", env.rpc)
        assert "the contract signature listed for `treasury`" in err
        assert "is not valid on chain now" in err
    assert env.chain.w3.eth.block_number == block  # nothing sent
    # the guard, given the entry as `op submit` would encode it, rejects it
    f = opfile.load(a)
    sigs = ordered_signatures(f)
    assert bytes.fromhex(safe.address[2:]) + bytes.fromhex(one[2:]) in sigs
    guard = env.chain.w3.eth.contract(address=env.guard, abi=env.abi())
    with pytest.raises(Exception) as info:  # web3 raises a custom-error type per revert
        guard.functions.execute(op_tuple(f), sigs).call({"from": env.chain.accounts[2]})
    assert revert_data(info.value).startswith(error_selector(env.abi(), "BadSignature"))
    # and a version 1 file cannot hold a contract signature
    data["format"] = "interlock-operation/1"
    a.write_text(json.dumps(data))
    assert "a contract signature needs format `interlock-operation/2`" in error_of(
        env, capsys, "status", str(a))
