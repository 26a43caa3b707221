"""`interlock status` after a scripted incident on Anvil: the drain breaker fired (pause and a
param override), a human extended the pause, a timelocked `set` is queued."""

from __future__ import annotations

import json

import pytest

from interlock.cli import main
from tests.operations.conftest import D, Env, H
from tests.operations.test_op_e2e import propose, sign_copy

pytestmark = [pytest.mark.anvil, pytest.mark.evm]


def test_status_after_an_incident(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    vault, token = env.harness.vaults["pool"], env.harness.tokens["USDC"]
    t0 = env.now() + 10
    fired = env.chain.call_fn(vault.functions.reportOutflow(token.address, 200_000 * 10**6),
                              env.chain.accounts[0], timestamp=t0)
    assert fired.ok  # drain: withdrawals paused 6h, max_leverage overridden to 10 for 2h
    ext = propose(env, "extend", "withdrawals", "by", "1d", out="ext.json",
                  extra=("--deadline", "3h"))
    a, b = sign_copy(env, ext, "alice", "a.json"), sign_copy(env, ext, "bob", "b.json")
    env.chain.at(t0 + H)
    assert env.op("submit", str(a), str(b), "--rpc", env.rpc) == 0
    queued = propose(env, "set", "max_leverage", "to", "15", out="set.json",
                     extra=("--deadline", "3h"))
    qa, qc = sign_copy(env, queued, "alice", "qa.json"), sign_copy(env, queued, "carol", "qc.json")
    env.chain.at(t0 + 70 * 60)
    assert env.op("submit", str(qa), str(qc), "--rpc", env.rpc) == 0
    env.mine_at(t0 + 90 * 60)
    now = t0 + 90 * 60
    capsys.readouterr()

    assert main(["status", str(env.build), "--rpc", env.rpc, "--format", "json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["now"] == now == env.now()
    scopes = {s["scope"]: s for s in st["scopes"]}
    w = scopes["withdrawals"]
    assert w["paused"] and w["until"] == t0 + 30 * H == env.guard_fn("pausedUntil", 1)
    assert w["since"] == t0 == env.guard_fn("pausedSince", 1)
    assert w["last_change"] == "paused by power `guardian: extend withdrawals by at most 1w`"
    assert w["max_remaining"] == 42 * H  # since + 72h - until
    assert scopes["deposits"] == {"scope": "deposits", "paused": False, "until": None,
                                  "since": None, "last_change": None, "max_remaining": None,
                                  "gap_until": None}
    [lev] = st["params"]
    assert (lev["base"], lev["effective"]) == (20, 10)
    assert lev["base"] == env.guard_fn("paramBase", 0)
    assert lev["effective"] == env.guard_fn("paramValue", 0)
    assert lev["overrides"] == [{"breaker": "drain", "value": 10, "until": t0 + 2 * H}]
    [q] = st["queued"]
    assert q["power"] == "governor: set max_leverage within [5, 40]"
    assert q["eta"] == t0 + 70 * 60 + D and not q["ready"]
    assert q["eta"] == env.guard_fn("queuedAt", bytes.fromhex(q["operation_hash"][2:]))
    [drain] = st["breakers"]
    assert drain == {"breaker": "drain", "effect_until": t0 + 6 * H,
                     "cooldown_until": t0 + 30 * H}
    assert drain["effect_until"] == env.guard_fn("firedUntil", 0)
    [feed] = st["feeds"]
    assert feed == {"feed": "ETH_USD", "suspended_until": None}

    assert main(["status", str(env.build), "--rpc", env.rpc]) == 0
    text = capsys.readouterr().out
    assert "withdrawals   PAUSED" in text and "breaker `drain`" not in text.split("param")[0]
    assert "10 by `drain` until" in text and "governor: set max_leverage" in text


def test_status_says_why_a_breaker_paused(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    vault, token = env.harness.vaults["pool"], env.harness.tokens["USDC"]
    assert env.chain.call_fn(vault.functions.reportOutflow(token.address, 200_000 * 10**6),
                             env.chain.accounts[0]).ok
    capsys.readouterr()
    assert main(["status", str(env.build), "--rpc", env.rpc, "--format", "json"]) == 0
    scopes = {s["scope"]: s for s in json.loads(capsys.readouterr().out)["scopes"]}
    assert scopes["withdrawals"]["last_change"] == "paused by breaker `drain`"


def test_watch_redraws_until_interrupted(env: Env, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt
        env.chain.mine(env.now() + 60)  # the chain moves between two draws

    monkeypatch.setattr("interlock.operations.commands.time.sleep", sleep)
    capsys.readouterr()
    assert main(["status", str(env.build), "--rpc", env.rpc, "--watch", "5"]) == 0
    out = capsys.readouterr().out
    assert sleeps == [5, 5]  # (the screen is cleared between draws on a terminal only)
    assert out.count("OpsVenueGuard 0x") == 2
