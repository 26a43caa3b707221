"""Operation files without a chain: words resolve to powers, the summary is derived from the
typed data, the schema is the committed one and every file validates against it, roles report
their smallest missing signer sets."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from interlock.compiler import eip712
from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.operations import opfile
from interlock.operations.roles import role_status
from interlock.operations.words import WordsError, resolve
from tests.operations.conftest import H
from tests.operations.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
GUARD = "0x" + "ab" * 20


@pytest.fixture(scope="module")
def program() -> Program:
    result = compile_text(RULES, "ops.guard")
    assert result.program is not None
    return result.program


def test_schema_is_committed_and_files_validate(program: Program) -> None:
    committed = (ROOT / "docs" / "operation.schema.json").read_text(encoding="utf-8")
    assert committed == opfile.file_json_schema_text(), \
        "regenerate docs/operation.schema.json (see docs/operations.md)"
    r = resolve(program, ["pause", "*", "except", "liquidations", "for", "6h"])
    f = opfile.new_file(program, 1, GUARD, {"power": r.power.id, "targets": r.targets,
                                            "value": r.value, "nonce": 5, "deadline": 10**10})
    jsonschema.validate(opfile.OperationFile.model_validate_json(opfile.dump(f))
                        .model_dump(mode="json"), opfile.file_json_schema())
    assert f.summary.startswith("pause deposits, withdrawals for 6h -- power 0")
    assert f.typed_data["types"]["Operation"] == eip712.message_types()["Operation"]
    assert f.typed_data["domain"] == {"name": "OpsVenueGuard", "version": "1", "chainId": 1,
                                      "verifyingContract": GUARD}
    assert f.typed_data["message"]["rulesHash"] == eip712.rules_hash(program)
    opfile.check_file(program, f)


@pytest.mark.parametrize(("words", "power", "targets", "value"), [
    ("pause withdrawals for 6h", 0, 0b010, 6 * H),
    ("pause deposits, withdrawals for 72h", 0, 0b011, 72 * H),
    ("pause * for 1h", 0, 0b111, H),
    ("unpause withdrawals", 1, 0b010, 0),
    ("unpause liquidations", 2, 0b100, 0),
    ("suspend ETH_USD for 30m", 3, 0b1, 30 * 60),
    ("extend withdrawals by 2d", 4, 0b010, 48 * H),
    ("set max_leverage to 12", 5, 0, 12),
    ("cancel governor 0x" + "0f" * 32, 6, 0, int("0f" * 32, 16)),
    ("cancel governor 0x" + "f0" * 32, 6, 0, int("f0" * 32, 16) - 2**256),  # int256
])
def test_words_resolve(program: Program, words: str, power: int, targets: int,
                       value: int) -> None:
    r = resolve(program, words.split())
    assert (r.power.id, r.targets, r.value) == (power, targets, value)


def test_a_scope_no_power_covers(program: Program) -> None:
    with pytest.raises(WordsError, match=r"no power allows `unpause \*`"):
        resolve(program, ["unpause", "*"])


def test_missing_signer_sets(program: Program) -> None:
    st = role_status(program, "guardian", ["alice"])
    assert not st.satisfied and st.missing == (("bob",), ("carol",))
    assert role_status(program, "guardian", []).missing == (
        ("alice", "bob"), ("alice", "carol"), ("bob", "carol"))
    assert role_status(program, "governor", ["bob", "carol"]).satisfied


def test_a_cancel_of_a_high_hash_is_signable(program: Program) -> None:
    """An operation hash with its top bit set is a negative `int256 value` (two's complement)."""
    from eth_account import Account
    from eth_account.messages import encode_typed_data

    r = resolve(program, ["cancel", "governor", "0x" + "ff" * 32])
    f = opfile.new_file(program, 1, GUARD, {"power": r.power.id, "targets": 0,
                                            "value": r.value, "nonce": 1, "deadline": 10**10})
    assert r.value == -1 and f.summary.startswith(
        "cancel governor's queued operation 0x" + "ff" * 32)
    Account.from_key(b"\x01" * 32).sign_message(encode_typed_data(full_message=f.typed_data))


def test_cancel_holds_words_name_the_hold() -> None:
    text = (ROOT / "examples" / "bridge.guard").read_text(encoding="utf-8")
    bridge = compile_text(text, "bridge.guard").program
    assert bridge is not None
    r = resolve(bridge, ["cancel", "holds", "7"])
    assert (r.power.kind, r.power.role, r.targets, r.value) == ("cancel_holds", "council", 0, 7)
    for bad in (["cancel", "holds"], ["cancel", "holds", "0"], ["cancel", "holds", "x"]):
        with pytest.raises(WordsError, match="cancel holds ID"):
            resolve(bridge, bad)
