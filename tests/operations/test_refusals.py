"""Every refusal of the guard, decoded into its sentence: through `interlock op submit` where the
tool can produce it, and by simulating crafted calls for what the tool itself never sends
(unsorted, high-s, foreign or too many signatures, bad targets or values, the wrong method)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from interlock.compiler import eip712
from interlock.operations.chain import Guard, Refused, connect, simulate
from interlock.testing.signing import Operation, domain, sign_operation, to_high_s
from tests.operations.conftest import Env, H
from tests.operations.test_op_e2e import propose, sign_copy

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

P_PAUSE, P_UNPAUSE, P_UNPAUSE_LIQ, P_SUSPEND, P_EXTEND, P_SET, P_CANCEL = range(7)
WITHDRAWALS = 1


def submit_refused(env: Env, files: list[Path], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    block = env.chain.w3.eth.block_number
    assert env.op("submit", *map(str, files), "--rpc", env.rpc) == 1
    err = capsys.readouterr().err
    assert "nothing was sent" in err
    assert env.chain.w3.eth.block_number == block
    return err


def signed(env: Env, words: list[str], signers: list[str], extra: tuple[str, ...] = (),
           name: str = "op") -> list[Path]:
    op = propose(env, *words, out=f"{name}.json", extra=extra)
    return [sign_copy(env, op, s, f"{name}-{s}.json") for s in signers]


def test_one_signature_does_not_satisfy_the_role(env: Env,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    files = signed(env, ["pause", "withdrawals", "for", "1h"], ["alice"])
    err = submit_refused(env, files, capsys)
    assert ("the signatures do not satisfy role `guardian` of power 0 `guardian: pause * for "
            "at most 3d` [RoleNotSatisfied]") in err


def test_expired(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    files = signed(env, ["pause", "withdrawals", "for", "1h"], ["alice", "bob"],
                   extra=("--deadline", "5m"))
    env.mine_at(env.now() + 301)
    err = submit_refused(env, files, capsys)
    assert "the operation expired at" in err and "(its deadline) [Expired]" in err


def test_nonce_used(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    files = signed(env, ["unpause", "deposits"], ["alice", "bob"])
    assert env.op("submit", *map(str, files), "--rpc", env.rpc) == 0
    err = submit_refused(env, files, capsys)
    assert "was already used" in err and "[NonceUsed]" in err


def test_power_cooldown(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    first = signed(env, ["pause", "withdrawals", "for", "1h"], ["alice", "bob"], name="a")
    assert env.op("submit", *map(str, first), "--rpc", env.rpc) == 0
    again = signed(env, ["pause", "withdrawals", "for", "2h"], ["alice", "bob"], name="b")
    err = submit_refused(env, again, capsys)
    assert "is in its cooldown for `withdrawals` until" in err and "[PowerCooldown]" in err


def test_power_condition_false(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    sus = signed(env, ["suspend", "ETH_USD", "for", "30m"], ["alice", "carol"], name="s")
    assert env.op("submit", *map(str, sus), "--rpc", env.rpc) == 0
    files = signed(env, ["unpause", "liquidations"], ["alice", "carol"], name="u")
    err = submit_refused(env, files, capsys)
    assert ("the `when` condition of power 2 `guardian: unpause liquidations` does not hold "
            "now [PowerConditionFalse]") in err


def test_pause_refused_by_gap_is_reported(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    vault, token = env.harness.vaults["pool"], env.harness.tokens["USDC"]
    assert env.chain.call_fn(vault.functions.reportOutflow(token.address, 200_000 * 10**6),
                             env.chain.accounts[0]).ok
    un = signed(env, ["unpause", "withdrawals"], ["alice", "bob"], name="u")
    assert env.op("submit", *map(str, un), "--rpc", env.rpc) == 0
    files = signed(env, ["pause", "withdrawals", "for", "1h"], ["alice", "bob"], name="p")
    sentence = ("refused: the pause of `withdrawals` was refused: its gap (1d after its last "
                "pause ended) is running, so it stays open [PauseRefused]")
    err = submit_refused(env, files, capsys)  # predicted by the simulation: nothing sent
    assert sentence in err
    assert env.op("submit", *map(str, files), "--rpc", env.rpc, "--force") == 1
    out, err = capsys.readouterr()
    assert "execute: tx 0x" in out and sentence in err  # sent: the receipt's event says it
    assert env.guard_fn("isActive", WITHDRAWALS) is True
    msg = json.loads(files[0].read_text())["typed_data"]["message"]
    role = eip712.nonce_role(env.program, msg["power"])
    assert env.guard_fn("nonceUsed", role, msg["nonce"]) is True


# --- what the tool never sends, simulated against the same guard ---------------------------


def live(env: Env) -> Guard:
    return connect(env.program, env.abi(), env.rpc, env.guard)  # type: ignore[arg-type]


def sigs(env: Env, op: Operation, *signers: str) -> list[bytes]:
    dom = domain(env.program, env.chain.w3.eth.chain_id, env.guard)
    return sign_operation(op, [env.harness.signer_keys[s] for s in signers], dom)


def refusal(env: Env, method: str, *args: Any) -> str:
    with pytest.raises(Refused) as info:
        simulate(live(env), method, args, env.chain.accounts[2])
    return info.value.sentence


FAR = 2_100_000_000


def test_crafted_refusals_are_sentences(env: Env) -> None:
    op = Operation(P_PAUSE, 1 << WITHDRAWALS, H, 77, FAR)
    good = sigs(env, op, "alice", "bob")
    assert refusal(env, "execute", op.as_tuple(), good[::-1]).endswith(
        "signature 1 is out of order (signers must be by increasing address, no repeat) "
        "[SignersNotSorted]")
    assert refusal(env, "execute", op.as_tuple(), [good[0], to_high_s(good[1])]) == \
        "signature 1 is high-s (malleable); the guard wants low-s [HighS]"
    assert refusal(env, "execute", op.as_tuple(), [good[0][:19]]) == \
        "signature 0 is malformed, recovers to no address, or its contract signer refused " \
        "it [BadSignature]"
    stranger = Account.from_key(b"\x42" * 32)
    dom = domain(env.program, env.chain.w3.eth.chain_id, env.guard)
    foreign = sign_operation(op, [b"\x42" * 32], dom)
    assert refusal(env, "execute", op.as_tuple(), foreign) == \
        f"{stranger.address} is not a signer of the guard [UnknownSigner]"
    assert refusal(env, "execute", op.as_tuple(), good * 2) == \
        "4 signatures are more than the guard has signers [TooManySignatures]"
    bad_targets = Operation(P_EXTEND, 1, H, 78, FAR)  # extend may only act on withdrawals
    assert refusal(env, "execute", bad_targets.as_tuple(),
                   sigs(env, bad_targets, "alice", "bob")) == \
        "power 4 `guardian: extend withdrawals by at most 1w` may not act on targets " \
        "bitmask 1 [InvalidTargets]"
    too_long = Operation(P_PAUSE, 1 << WITHDRAWALS, 100 * H, 79, FAR)
    assert refusal(env, "execute", too_long.as_tuple(), sigs(env, too_long, "alice", "bob")) \
        == "power 0 `guardian: pause * for at most 3d` does not allow the value 360000 " \
        "[InvalidValue]"


def test_crafted_method_and_queue_refusals(env: Env) -> None:
    s = Operation(P_SET, 0, 12, 80, FAR)
    assert refusal(env, "execute", s.as_tuple(), sigs(env, s, "alice", "bob")) == \
        "power 5 `governor: set max_leverage within [5, 40]` is timelocked: queue it first " \
        "[Timelocked]"
    p = Operation(P_PAUSE, 1 << WITHDRAWALS, H, 81, FAR)
    assert refusal(env, "queue", p.as_tuple(), sigs(env, p, "alice", "bob")) == \
        "power 0 `guardian: pause * for at most 3d` is not timelocked: execute it directly " \
        "[NotTimelocked]"
    assert refusal(env, "executeQueued", s.as_tuple()).endswith(
        "is not queued (never queued, already executed or cancelled) [NotQueued]")
    u = Operation(99, 0, 0, 82, FAR)
    assert refusal(env, "execute", u.as_tuple(), sigs(env, u, "alice", "bob")) == \
        "the guard has no power 99 [UnknownPower]"
