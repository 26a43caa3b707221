"""The agent key from an environment variable or an encrypted keystore; calldata per method."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from interlock.runtime.abi import selector
from interlock.runtime.evaluate import Decision
from interlock.runtime.executor import AgentKeyError, calldata, load_agent_key

KEY = "0x" + "11" * 32


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT", KEY)
    assert load_agent_key("AGENT").address == Account.from_key(KEY).address
    monkeypatch.setenv("AGENT", "not a key")
    with pytest.raises(AgentKeyError, match="does not hold a private key"):
        load_agent_key("AGENT")
    with pytest.raises(AgentKeyError, match="is not set"):
        load_agent_key("MISSING_AGENT_VAR")
    with pytest.raises(AgentKeyError, match="no agent key"):
        load_agent_key()


def test_key_from_keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "s3cret", iterations=2)))
    monkeypatch.setenv("AGENT_PW", "s3cret")
    acct = load_agent_key(keystore=str(path), password_env="AGENT_PW")
    assert acct.address == Account.from_key(KEY).address
    monkeypatch.setenv("AGENT_PW", "wrong")
    with pytest.raises(AgentKeyError, match="wrong password"):
        load_agent_key(keystore=str(path), password_env="AGENT_PW")
    with pytest.raises(AgentKeyError, match="cannot read keystore"):
        load_agent_key(keystore=str(tmp_path / "missing.json"))


def test_calldata_per_method() -> None:
    d = Decision("drain", 3, "poke", None, (), 1)
    assert calldata(d)[:4] == selector("poke(uint256)") and calldata(d)[-1] == 3
    t = Decision("tighten", 2, "trip", None, (), 1)
    assert calldata(t)[:4] == selector("trip(uint256)")
    s = Decision("spam", 1, "tripSender", "0x" + "ab" * 20, (), 1)
    assert calldata(s)[:4] == selector("tripSender(uint256,address)")
    assert calldata(s)[-20:] == bytes.fromhex("ab" * 20)
    with pytest.raises(ValueError):
        calldata(Decision("watch", 4, "alert", None, ("x",), 1))
