"""`interlock op propose set` against a live guard: a value its step bound refuses is refused
before anyone signs (nothing written); a timelocked role's proposal is only warned about, as the
guard checks it against the base when the queued operation executes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.operations.conftest import Env, deployed_env
from tests.operations.test_op_e2e import sign_copy

pytestmark = [pytest.mark.anvil, pytest.mark.evm]

RULES = """protocol StepOps

signer alice 0x1111111111111111111111111111111111111111 entity risk
signer bob   0x2222222222222222222222222222222222222222 entity dao

role steward = alice
role council = bob after 1d

asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
param supply_cap = 1_000 USDC in [0, 1_000_000] safer lower

allow steward to set supply_cap by at most 100% per 3d
allow council to set supply_cap by at most 100 USDC per 1d
"""
CAP0 = 1_000 * 10**6


@pytest.fixture(scope="module")
def steps_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from deployed_env(tmp_path_factory.mktemp("steps"), RULES)


@pytest.fixture
def env(steps_env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    snap = steps_env.chain.snapshot()
    monkeypatch.chdir(tmp_path)
    yield steps_env
    steps_env.chain.revert(snap)


def _propose(env: Env, value: int, *extra: str) -> int:
    return env.op("propose", str(env.build), "set", "supply_cap", "to", str(value),
                  "--rpc", env.rpc, "-o", "op.json", *extra)


def test_a_value_beyond_the_step_is_refused_before_signing(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert _propose(env, 2 * CAP0 + 1, "--role", "steward") == 1
    err = capsys.readouterr().err
    assert ("refused: `by at most 100% per 3d`: 2000000001 moves `supply_cap` from its base "
            "1000000000 by more than the bound; it allows [0, 2000000000] now") in err
    assert not Path("op.json").exists()
    assert _propose(env, 2 * CAP0, "--role", "steward") == 0


def test_a_second_change_inside_the_period_is_refused(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert _propose(env, 2 * CAP0, "--role", "steward") == 0
    signed = sign_copy(env, Path("op.json"), "alice", "a.json")
    assert env.op("submit", str(signed), "--rpc", env.rpc) == 0
    assert env.guard_fn("paramBase", 0) == 2 * CAP0
    Path("op.json").unlink()
    capsys.readouterr()
    assert _propose(env, 2 * CAP0 + 1, "--role", "steward") == 1
    err = capsys.readouterr().err
    assert "refused: `by at most 100% per 3d`: this power last set `supply_cap` at" in err
    assert "so it may set it again from" in err
    assert not Path("op.json").exists()


def test_a_timelocked_proposal_is_only_warned_about(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert _propose(env, CAP0 + 101 * 10**6, "--role", "council") == 0
    err = capsys.readouterr().err
    assert ("warning: the guard would refuse this now: `by at most 100000000 per 1d`: "
            "1101000000 moves `supply_cap` from its base 1000000000") in err
    assert "a timelocked operation is checked when it executes" in err
    assert Path("op.json").exists()


def test_a_queued_set_meets_the_base_of_its_execution(
        env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """The council queues +100 USDC (within its step then); the steward halves the cap
    meanwhile, so at the eta `op submit` refuses it with the guard's sentence."""
    assert _propose(env, CAP0 + 100 * 10**6, "--role", "council", "--deadline", "3d") == 0
    council = sign_copy(env, Path("op.json"), "bob", "council.json")
    assert env.op("submit", str(council), "--rpc", env.rpc) == 0
    queued_at = env.now()
    assert _propose(env, CAP0 // 2, "--role", "steward") == 0
    steward = sign_copy(env, Path("op.json"), "alice", "steward.json")
    assert env.op("submit", str(steward), "--rpc", env.rpc) == 0
    env.mine_at(queued_at + 86_400)
    capsys.readouterr()
    assert env.op("submit", str(council), "--rpc", env.rpc) == 1
    err = capsys.readouterr().err
    assert ("may not move `supply_cap` from 500000000 to 1100000000: more than its step "
            "bound [SetStepTooLarge]") in err
    assert env.guard_fn("paramBase", 0) == CAP0 // 2
