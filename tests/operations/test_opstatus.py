"""`interlock op status` without a chain: besides the missing signer sets, how many signatures
are still needed when a member submits the operation itself (its call counts as its approval,
docs/guard.md "Contract callers"), in text and in JSON (added fields only)."""

from __future__ import annotations

from eth_account import Account

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.operations import opfile, signing
from interlock.operations.opstatus import op_status, render
from interlock.operations.roles import with_caller

KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(("alice", "bob", "treasury"))}
RULES = """protocol Callers

signer alice    {alice} entity foundation
signer bob      {bob} entity foundation
signer treasury {treasury} entity dao

role guardian = 2 of [alice, bob, treasury]
role dao      = treasury or (alice and bob)
role governor = 2 of [alice, bob, treasury] after 1d

scope deposits

allow guardian to pause deposits for at most 24h
allow dao to pause deposits for at most 1h
allow governor to unpause deposits
"""
GUARD = "0x" + "ab" * 20
GUARDIAN_PAUSE, DAO_PAUSE, GOVERNOR_UNPAUSE = 0, 1, 2


def _program() -> Program:
    text = RULES.format(**{n: Account.from_key(k).address for n, k in KEYS.items()})
    program = compile_text(text, "callers.guard").program
    assert program is not None
    return program


def _signed(program: Program, power: int, *names: str) -> opfile.OperationFile:
    f = opfile.new_file(program, 1, GUARD, {"power": power, "targets": 1, "value": 600,
                                            "nonce": 7, "deadline": 10**10})
    for n in names:
        f = signing.sign(program, f, Account.from_key(KEYS[n]))
    return f


def test_each_member_calling_needs_one_signature_fewer() -> None:
    program = _program()
    st = op_status(program, _signed(program, GUARDIAN_PAUSE), None)
    assert not st["satisfied"] and st["caller_method"] == "execute"
    assert [(c["signer"], c["needed"], c["contract"]) for c in st["callers"]] == [
        ("alice", 1, None), ("bob", 1, None), ("treasury", 1, None)]  # offline: not read
    assert st["callers"][2]["missing"] == [["alice"], ["bob"]]
    lines = render(program, st)
    assert ("or submitted by a member itself (its call of `execute` counts as its approval): "
            "a call by alice (foundation), bob (foundation) or treasury (dao) needs 1 more "
            "signature") in lines


def test_a_call_that_completes_the_role_now() -> None:
    program = _program()
    st = op_status(program, _signed(program, DAO_PAUSE, "alice"), None)
    assert [(c["signer"], c["satisfied"], c["needed"]) for c in st["callers"]] == [
        ("treasury", True, 0), ("bob", True, 0)]
    st = op_status(program, _signed(program, DAO_PAUSE), None)
    assert {c["signer"]: c["needed"] for c in st["callers"]} == {
        "treasury": 0, "alice": 1, "bob": 1}
    assert (
        "or submitted by a member itself (its call of `execute` counts as its approval): "
        "a call by treasury (dao) would complete it now; a call by alice (foundation) or bob "
        "(foundation) needs 1 more signature") in render(program, st)


def test_a_timelocked_power_is_queued_by_the_call_and_a_satisfied_role_lists_none() -> None:
    program = _program()
    st = op_status(program, _signed(program, GOVERNOR_UNPAUSE, "bob"), None)
    assert st["caller_method"] == "queue"
    assert "its call of `queue` counts as its approval" in "\n".join(render(program, st))
    done = op_status(program, _signed(program, GUARDIAN_PAUSE, "alice", "bob"), None)
    assert done["satisfied"] and done["callers"] == []
    assert not any("submitted by a member" in line for line in render(program, done))


def test_with_caller_leaves_out_who_signed() -> None:
    program = _program()
    assert [m for m, _ in with_caller(program, "guardian", ["bob"])] == ["alice", "treasury"]


def test_a_deadline_past_year_9999_is_printed_as_the_number() -> None:
    """A hand-made deadline is any uint256 to the guard; no calendar date holds 2**40."""
    program = _program()
    for deadline in (2**40, 2**255):
        f = opfile.new_file(program, 1, GUARD, {"power": GUARDIAN_PAUSE, "targets": 1,
                                                "value": 600, "nonce": 7, "deadline": deadline})
        raw = f"unix time {deadline} (beyond year 9999)"
        assert f.summary.endswith(f"valid until {raw}")
        opfile.check_file(program, f)
        lines = render(program, op_status(program, f, None))
        assert any(line.startswith(f"valid until {raw} (") for line in lines), lines
