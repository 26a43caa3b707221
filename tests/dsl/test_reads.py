"""Custom state reads in the front end: the IR they give, their diagnostics, their printing."""

from __future__ import annotations

import pytest

from interlock.dsl.fmt import format_source as format_text
from interlock.dsl.frontend import compile_text
from interlock.ir import codes as C
from interlock.ir.nodes import Atom, StateRead

HEAD = """protocol P
signer alice 0x1111111111111111111111111111111111111111
signer bob 0x2222222222222222222222222222222222222222
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
feed F 0x3333333333333333333333333333333333333333 decimals 8
scope borrow
"""
DEBT = "0x5555555555555555555555555555555555555555"
TAIL = """breaker hot {
  when debt > 90% of tvl(USDC)
  then pause borrow for 6h
}
"""


def _program(text: str):  # type: ignore[no-untyped-def]
    result = compile_text(text, "r.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    return result.program


def _codes(text: str) -> list[tuple[str, int, int]]:
    result = compile_text(text, "r.guard")
    assert result.program is None
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics]


def test_reads_are_typed_in_the_ir() -> None:
    p = _program(HEAD + f'read debt = call {DEBT} "totalSupply()(uint)" USDC\n'
                 'read held = call USDC "balanceOf(address)(uint256)" (pool) USDC\n'
                 'read util = call pool "util(uint8,int16,bool,address)(int128)" '
                 f'(3, -4, 1, {DEBT})\n' + TAIL)
    debt, held, util = p.reads
    assert debt == StateRead(name="debt", address=DEBT, function="totalSupply", arg_types=(),
                             args=(), returns="uint256", unit="USDC", span=debt.span)
    assert held.address == p.asset("USDC").address and held.args == (
        p.vaults[0].address,) and held.canonical() == "balanceOf(address)"
    assert util.arg_types == ("uint8", "int16", "bool", "address") and util.args == (
        "3", "-4", "1", DEBT) and util.unit is None and util.text() == (
        "util(uint8,int16,bool,address)(int128)")
    hot = p.breaker("hot")
    assert not hot.onchain  # a read is off chain only: the agent trips it
    assert Atom(kind="read", target="debt") in [t.atom for t in hot.when.terms]  # type: ignore[union-attr]


def test_a_plain_read_is_a_count_and_compares_with_numbers() -> None:
    p = _program(HEAD + f'read n = call {DEBT} "count()(uint32)"\n'
                 "breaker b {\n  when n > 1_000\n  then pause borrow for 1h\n}\n")
    assert p.reads[0].unit is None and p.reads[0].returns == "uint32"


@pytest.mark.parametrize(("line", "code", "column"), [
    (f'read debt = call {DEBT} "totalSupply()(uint256)" NOPE', C.UNKNOWN_NAME, 86),
    (f'read debt = call {DEBT} "totalSupply()(uint256)" pool', C.BAD_UNIT_NAME, 86),
    (f'read debt = call {DEBT} "totalSupply(uint256)"', C.BAD_READ_SIGNATURE, 81),
    (f'read debt = call {DEBT} "totalSupply()()"', C.READ_NOT_INTEGER, 76),
    (f'read debt = call {DEBT} "totalSupply()(bool)"', C.READ_NOT_INTEGER, 76),
    (f'read debt = call {DEBT} "f(bytes)(uint256)" (1)', C.READ_ARGUMENTS, 64),
    (f'read debt = call {DEBT} "f(uint8)(uint256)"', C.READ_ARGUMENTS, 61),
    (f'read debt = call {DEBT} "f(uint8)(uint256)" (1, 2)', C.READ_ARGUMENTS, 85),
    (f'read debt = call {DEBT} "f(uint8)(uint256)" (pool)', C.READ_ARGUMENTS, 82),
    (f'read debt = call {DEBT} "f(int8)(uint256)" (-129)', C.READ_ARGUMENT_RANGE, 81),
    (f'read debt = call {DEBT} "f(bool)(uint256)" (2)', C.READ_ARGUMENT_RANGE, 81),
    ('read debt = call nowhere "totalSupply()(uint256)"', C.UNKNOWN_NAME, 18),
    ('read debt = call alice "totalSupply()(uint256)"', C.WRONG_KIND, 18),
    ('read debt = call 0x1234 "totalSupply()(uint256)"', C.BAD_ADDRESS, 18),
])
def test_bad_reads(line: str, code: str, column: int) -> None:
    assert (code, 8, column) in _codes(HEAD + line + "\n")


def test_units_of_reads_are_checked_in_conditions() -> None:
    text = HEAD + f'read debt = call {DEBT} "totalSupply()(uint256)" F\n' + TAIL
    assert (C.UNIT_MISMATCH, 10, 8) in _codes(text)
    state_only = HEAD + f'read debt = call {DEBT} "totalSupply()(uint256)" USDC\n' \
        "invariant i: always (debt > 0)\n"
    assert (C.METRIC_NOT_ALLOWED, 9, 22) in _codes(state_only)


def test_reads_repeat_in_for_each_and_print_back() -> None:
    text = HEAD + "asset dUSDC 0x4444444444444444444444444444444444444444 decimals 6\n" \
        "for each a in [USDC] {\n" \
        '  read debt_{a} = call d{a} "balanceOf(address)(uint256)" (pool) a\n' \
        "  breaker hot_{a} {\n    when debt_{a} > 9 * tvl(a)\n    then pause borrow for 6h\n" \
        "  }\n}\n"
    p = _program(text)
    (r,) = p.reads
    assert r.name == "debt_USDC" and r.unit == "USDC" and r.address == p.asset("dUSDC").address
    assert r.span.via is not None  # the instance points at the list item too
    formatted = format_text(text, "r.guard")
    assert '  read debt_{a} = call d{a} "balanceOf(address)(uint256)" (pool) a\n' in formatted
    assert format_text(formatted, "r.guard") == formatted
    assert _program(formatted).reads == p.reads
