"""Bad input to `interlock op`: each a clear error (exit 2), nothing sent."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from tests.operations.conftest import Env
from tests.operations.test_op_e2e import propose, sign_copy

pytestmark = [pytest.mark.anvil, pytest.mark.evm]


@pytest.fixture
def quiet(env: Env) -> Iterator[Env]:
    """The test must not send any transaction."""
    block = env.chain.w3.eth.block_number
    yield env
    assert env.chain.w3.eth.block_number == block


def error_of(env: Env, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert env.op(*args) == 2
    err = capsys.readouterr().err
    assert "\nerror: " in "\n" + err and "Traceback" not in err
    return err


def edit(path: Path, change: dict[str, object]) -> None:
    data = json.loads(path.read_text())
    for dotted, value in change.items():
        node = data
        *parents, last = dotted.split(".")
        for key in parents:
            node = node[key]
        node[last] = value
    path.write_text(json.dumps(data))


def two_signed(env: Env, words: list[str], extra: tuple[str, ...] = ()) -> list[Path]:
    op = propose(env, *words, extra=extra)
    return [sign_copy(env, op, "alice", "a.json"), sign_copy(env, op, "bob", "b.json")]


def test_edited_after_signing(quiet: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env = quiet
    a, b = two_signed(env, ["pause", "withdrawals", "for", "1h"])
    edit(a, {"typed_data.message.value": 72 * 3600})
    for cmd in ("submit", "status"):
        err = error_of(env, capsys, cmd, str(a), str(b), "--rpc", env.rpc)
        assert "the summary does not say what the typed data signs" in err
        assert "`pause withdrawals for 3d" in err
    # the summary edited to match: the signatures give it away
    data = json.loads(b.read_text())
    edit(b, {"typed_data.message.value": 72 * 3600,
             "summary": data["summary"].replace("for 1h", "for 3d")})
    err = error_of(env, capsys, "submit", str(b), "--rpc", env.rpc)
    assert "the signature listed for `bob` was made by 0x" in err
    assert "the file was edited after signing" in err
    # the domain's name is the file's (a protocol inheriting the guard names its own domain):
    # a name edited after signing makes the signatures recover to someone else
    edit(a, {"typed_data.message.value": 3600, "typed_data.domain.name": "OtherGuard"})
    err = error_of(env, capsys, "status", str(a), "--rpc", env.rpc)
    assert "the signature listed for `alice` was made by 0x" in err
    edit(a, {"typed_data.domain.chainId": 5})
    err = error_of(env, capsys, "sign", str(a), "--key-env", "NONE")
    assert "the typed data's `domain` is not the guard's" in err


def test_another_chain_or_guard(quiet: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env = quiet
    words = ["pause", "withdrawals", "for", "1h"]
    for name, extra, expected in [
        ("chain", ("--chain-id", "1", "--guard", env.guard),
         "the operation is for chain 1, the node at"),
        ("vault", ("--chain-id", "31337", "--guard", env.harness.vaults["pool"].address),
         "is not an Interlock guard: nothing sent"),
        ("nothing", ("--chain-id", "31337", "--guard", "0x" + "12" * 20),
         "no contract at 0x1212"),
    ]:
        assert env.op("propose", str(env.build), *words, "-o", f"{name}.json", *extra) == 0
        a = sign_copy(env, Path(f"{name}.json"), "alice", f"{name}-a.json")
        c = sign_copy(env, Path(f"{name}.json"), "carol", f"{name}-c.json")
        err = error_of(env, capsys, "submit", str(a), str(c), "--rpc", env.rpc)
        assert expected in err, err


def test_duplicate_and_unknown_signers(quiet: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env = quiet
    op = propose(env, "pause", "withdrawals", "for", "1h")
    a = sign_copy(env, op, "alice", "a.json")
    os.environ["KEY_ALICE"] = env.key("alice")
    try:
        err = error_of(env, capsys, "sign", str(a), "--key-env", "KEY_ALICE")
    finally:
        del os.environ["KEY_ALICE"]
    assert "`alice` has already signed this operation" in err
    entry = json.loads(a.read_text())["signatures"][0]
    edit(a, {"signatures": [entry, entry]})
    assert "`alice` is listed twice" in error_of(env, capsys, "status", str(a))
    stranger = Account.from_key(b"\x42" * 32)
    typed = json.loads(op.read_text())["typed_data"]
    sig = "0x" + bytes(stranger.sign_message(encode_typed_data(full_message=typed))
                       .signature).hex()
    err = error_of(env, capsys, "sign", str(op), "--signature", sig)
    assert f"made by {stranger.address}, which is not a signer of the rules" in err
    err = error_of(env, capsys, "sign", str(op), "--signature", sig, "--signer", "mallory")
    assert "`mallory` is not a signer of the rules" in err
    alice_sig = entry["signature"]
    err = error_of(env, capsys, "sign", str(op), "--signature", alice_sig, "--signer", "bob")
    assert f"made by {env.address('alice')}, not by `bob`" in err
    err = error_of(env, capsys, "sign", str(op), "--signature", "0x1234", "--signer", "bob")
    assert "a signature is 65 bytes (r, s, v), this one is 2" in err


def test_powers_that_do_not_exist(quiet: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env = quiet
    cases = {
        "frobnicate withdrawals": "`frobnicate` is not a power (powers are `pause`",
        "pauze withdrawals for 1h": "`pauze` is not a power: did you mean `pause`?",
        "pause withdrawls for 1h": "unknown scope `withdrawls`: did you mean `withdrawals`?",
        "pause withdrawals for 5d": "no power allows `pause withdrawals for 5d`: `5d` exceeds "
                                    "the power's `at most 3d`",
        "set max_leverage to 45": "`45` is outside the range [5, 40] the power allows",
        "resume ETH_USD": "no power allows `resume ETH_USD`: no `allow` line can resume",
        "extend deposits by 1h": "no power allows `extend deposits by 1h`: the rules allow "
                                 "`guardian: extend withdrawals by at most 1w`",
        "pause withdrawals": "`pause` ends with `for VALUE`, e.g. `for 6h`",
        "pause withdrawals for 6 hours": "`pause` ends with `for VALUE`",
        "pause withdrawals for 6x": "`6x` is not a duration",
        "set max_leverage to 10 --role council": "unknown role `council`",
    }
    for words, expected in cases.items():
        err = error_of(env, capsys, "propose", str(env.build), *words.split(), "--rpc", env.rpc)
        assert expected in err, (words, err)
    assert not list(Path.cwd().glob("*.json"))
    op = propose(env, "unpause", "deposits")
    data = json.loads(op.read_text())
    edit(op, {"typed_data.message.power": 42})
    assert "power 42 does not exist in these rules" in error_of(env, capsys, "status", str(op))
    edit(op, {"typed_data.message.power": data["typed_data"]["message"]["power"],
              "rules_sha256": "ab" * 32})
    assert "propose it again" in error_of(env, capsys, "status", str(op))
    Path("junk.json").write_text('{"hello": 1}')
    assert "`junk.json` is not an operation file" in error_of(env, capsys, "status", "junk.json")
    assert "cannot read `missing.json`" in error_of(env, capsys, "status", "missing.json")


def test_submitter_without_funds_or_key(quiet: Env, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    env = quiet
    a, b = two_signed(env, ["pause", "withdrawals", "for", "1h"])
    monkeypatch.setenv("INTERLOCK_SUBMITTER_KEY", "0x" + "57" * 32)
    capsys.readouterr()
    assert env.op("submit", str(a), str(b), "--rpc", env.rpc) == 1
    err = capsys.readouterr().err
    assert "the node did not accept the transaction from" in err and "nothing was sent" in err
    monkeypatch.delenv("INTERLOCK_SUBMITTER_KEY")
    assert "environment variable `INTERLOCK_SUBMITTER_KEY` is not set" in error_of(
        env, capsys, "submit", str(a), str(b), "--rpc", env.rpc)
    assert "cannot reach the node at http://127.0.0.1:1" in error_of(
        env, capsys, "submit", str(a), str(b), "--rpc", "http://127.0.0.1:1")
    assert "need an http(s):// node URL" in error_of(
        env, capsys, "submit", str(a), str(b), "--rpc", "ws://127.0.0.1:1")


def test_signing_an_expired_operation(quiet: Env, capsys: pytest.CaptureFixture[str]) -> None:
    env = quiet
    assert env.op("propose", str(env.build), "unpause", "deposits", "--chain-id", "31337",
                  "--guard", env.guard, "--deadline", "1s", "-o", "old.json") == 0
    edit(Path("old.json"), {"typed_data.message.deadline": 1_000_000_000})
    data = json.loads(Path("old.json").read_text())  # the summary made to match: still expired
    from interlock.operations.describe import summary
    edit(Path("old.json"), {"summary": summary(env.program, data["typed_data"]["message"])})
    err = error_of(env, capsys, "sign", "old.json", "--key-env", "NONE")
    assert "the operation expired at 2001-09-09 01:46:40 UTC (local clock)" in err
