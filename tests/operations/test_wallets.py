"""Any wallet can sign an operation file's typed data: signatures from `cast wallet sign --data
--from-file` (npm `@foundry-rs/cast`, pinned) and from eth-account are the same bytes and the
guard accepts them; the guard's `operationHash` is the EIP-712 hash of the file's typed data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from interlock.compiler import eip712
from tests.operations.conftest import Env
from tests.operations.test_op_e2e import propose, sign_copy

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

CAST = Path(__file__).resolve().parents[2] / "node_modules/@foundry-rs/cast-linux-amd64/bin/cast"


def cast_sign(typed_data: dict[str, object], key: str, tmp: Path) -> str:
    assert CAST.is_file(), f"cast not found at {CAST}: run `npm ci`"
    td = tmp / "typed.json"
    td.write_text(json.dumps(typed_data))
    out = subprocess.run([str(CAST), "wallet", "sign", "--data", "--from-file", str(td),
                          "--private-key", key], capture_output=True, text=True, timeout=60,
                         check=True)
    return out.stdout.strip()


def test_cast_signature_is_accepted(env: Env, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    op = propose(env, "pause", "withdrawals", "for", "2h")
    typed = json.loads(op.read_text())["typed_data"]
    sig = cast_sign(typed, env.key("carol"), tmp_path)
    mine = Account.from_key(env.key("carol")).sign_message(encode_typed_data(full_message=typed))
    assert sig == "0x" + bytes(mine.signature).hex()  # RFC 6979: the same bytes
    assert env.guard_fn("operationHash", eip712.message_tuple(typed["message"])) == \
        _hash_eip191_message(encode_typed_data(full_message=typed))
    assert env.op("sign", str(op), "--signature", sig, "--signer", "carol",
                  "-o", "carol.json") == 0
    alice = sign_copy(env, op, "alice", "alice.json")
    capsys.readouterr()
    assert env.op("submit", "carol.json", str(alice), "--rpc", env.rpc) == 0
    assert "executed operation" in capsys.readouterr().out
    assert env.guard_fn("isActive", 1) is False


def test_keystore_signing(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    ks = tmp_path / "bob.json"
    ks.write_text(json.dumps(Account.encrypt(env.key("bob"), "hunter2")))
    op = propose(env, "unpause", "deposits")
    monkeypatch.setenv("BOB_PASSWORD", "wrong")
    assert env.op("sign", str(op), "--keystore", str(ks), "--password-env", "BOB_PASSWORD") == 2
    assert "wrong password?" in capsys.readouterr().err
    monkeypatch.setenv("BOB_PASSWORD", "hunter2")
    assert env.op("sign", str(op), "--keystore", str(ks), "--password-env", "BOB_PASSWORD") == 0
    assert "bob signed" in capsys.readouterr().out
    assert [s["signer"] for s in json.loads(op.read_text())["signatures"]] == ["bob"]


def test_keystore_password_prompt(env: Env, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from interlock.cli import app

    ks = tmp_path / "carol.json"
    ks.write_text(json.dumps(Account.encrypt(env.key("carol"), "s3cret")))
    op = propose(env, "unpause", "deposits")
    result = CliRunner().invoke(app, ["op", "sign", str(op), "--keystore", str(ks),
                                      "--build", str(env.build)], input="s3cret\n")
    assert result.exit_code == 0, result.output
    assert "carol signed" in result.output
    assert "s3cret" not in result.output  # the prompt does not echo
