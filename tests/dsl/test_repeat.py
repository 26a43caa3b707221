"""Groups and `for each`: parsed, expanded into ordinary IR, and reported at the template with a
note at the instance (docs/language.md, "Groups" and "Repetition")."""

from __future__ import annotations

import pytest

from interlock.dsl import ast
from interlock.dsl.frontend import compile_text
from interlock.dsl.parser import parse
from interlock.ir import codes as C
from interlock.ir import nodes as ir
from interlock.ir.canonical import program_text
from interlock.report.diagnostic_text import render_diagnostic
from tests.dsl.ir_compare import without_positions

HEAD = """protocol P
signer alice 0x1111111111111111111111111111111111111111
signer bob 0x2222222222222222222222222222222222222222
signer carol 0x3333333333333333333333333333333333333333
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
asset WETH 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2 decimals 18
vault pool 0x4444444444444444444444444444444444444444 holds USDC, WETH
"""  # 7 lines

TEMPLATE = HEAD + """for each a in [USDC, WETH] {
  scope w_{a}
  breaker drain_{a} {
    when outflow(a, 1h) > 10% of tvl(a)
    then pause w_{a} for 6h
  }
}
"""

BY_HAND = HEAD + """scope w_USDC
breaker drain_USDC {
  when outflow(USDC, 1h) > 10% of tvl(USDC)
  then pause w_USDC for 6h
}
scope w_WETH
breaker drain_WETH {
  when outflow(WETH, 1h) > 10% of tvl(WETH)
  then pause w_WETH for 6h
}
"""


def _program(text: str) -> ir.Program:
    result = compile_text(text, "t.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    return result.program


def _errors(text: str) -> list[tuple[str, int, int]]:
    result = compile_text(text, "t.guard")
    assert result.program is None
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics if d.is_error]


# --- parsing -----------------------------------------------------------------------------------


def test_group_and_for_each_parse_with_spans() -> None:
    result = parse(HEAD + "group keys = [alice, bob]\n" + TEMPLATE[len(HEAD):], "t.guard")
    assert result.module is not None
    group, loop = result.module.decls[-2:]
    assert isinstance(group, ast.GroupDecl) and [m.text for m in group.members] == ["alice", "bob"]
    assert isinstance(loop, ast.ForEachDecl)
    assert loop.var.text == "a" and isinstance(loop.items, tuple)
    assert [i.text for i in loop.items] == ["USDC", "WETH"]
    assert (loop.span.line, loop.span.end_line) == (9, 15)
    assert [type(d).__name__ for d in loop.body] == ["ScopeDecl", "BreakerDecl"]
    assert loop.body[0].name.text == "w_{a}"  # type: ignore[union-attr]


def test_for_each_over_a_group_name() -> None:
    result = parse("protocol P\nfor each s in reserves {\n  scope x_{s}\n}\n", "t.guard")
    assert result.module is not None
    loop = result.module.decls[1]
    assert isinstance(loop, ast.ForEachDecl) and isinstance(loop.items, ast.Name)


@pytest.mark.parametrize(("text", "line", "column"), [
    ("group g = []\n", 2, 12),
    ("for a in [x] {\n}\n", 2, 5),
    ("for each in [x] {\n}\n", 2, 10),
    ("for each a in [x] scope s\n", 2, 19),
    ("scope s_{}\n", 2, 9),
])
def test_syntax_errors(text: str, line: int, column: int) -> None:
    result = parse("protocol P\n" + text, "t.guard")
    assert result.module is None
    d = result.diagnostics[0]
    assert (d.code, d.span.line, d.span.column) in {
        (C.SYNTAX, line, column), (C.BAD_CHARACTER, line, column)}, d


def test_each_stays_a_name() -> None:
    assert _program(HEAD + "scope each\n").scope("each").name == "each"


# --- expansion -----------------------------------------------------------------------------------


def test_for_each_gives_the_hand_written_program() -> None:
    assert without_positions(_program(TEMPLATE)) == without_positions(_program(BY_HAND))
    # and the same canonical text, so the same rules hash a guard's signatures bind
    assert program_text(_program(TEMPLATE)) == program_text(_program(BY_HAND))


def test_instances_point_at_the_template_and_the_item() -> None:
    program = _program(TEMPLATE)
    usdc, weth = program.breaker("drain_USDC"), program.breaker("drain_WETH")
    assert usdc.span.line == weth.span.line == 10  # the template's line
    assert usdc.span.via is not None and weth.span.via is not None
    assert (usdc.span.via.line, usdc.span.via.column) == (8, 16)  # `USDC` in the list
    assert (weth.span.via.line, weth.span.via.column) == (8, 22)
    assert program.scope("w_WETH").index == 1  # ids follow the expanded order


def test_nested_for_each_chains_the_items_innermost_first() -> None:
    text = HEAD + ("for each a in [USDC, WETH] {\n  for each s in [x, y] {\n"
                   "    scope p_{a}_{s}\n  }\n}\n")
    program = _program(text)
    assert [s.name for s in program.scopes] == ["p_USDC_x", "p_USDC_y", "p_WETH_x", "p_WETH_y"]
    via = program.scope("p_WETH_y").span.via
    assert via is not None and (via.line, via.column) == (9, 21)  # `y`
    assert via.via is not None and (via.via.line, via.via.column) == (8, 22)  # `WETH`


def test_error_in_an_instance_names_the_template_and_the_instance() -> None:
    text = HEAD + """for each a in [USDC, WETH] {
  breaker big_{a} {
    when outflow(a, 1h) > 5_000 USDC
    then alert "big"
  }
}
"""
    result = compile_text(text, "rules.guard")
    assert result.program is None
    [diag] = result.diagnostics
    assert render_diagnostic(diag, text) == (
        "rules.guard:10:10: error[E0301]: cannot compare an amount of `WETH` and an amount of "
        "`USDC`\n"
        "   |\n"
        "10 |     when outflow(a, 1h) > 5_000 USDC\n"
        "   |          ^~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
        "   = note: in the `for each` instance for this item at rules.guard:8:22\n")


def test_names_that_collide_across_instances() -> None:
    text = HEAD + "for each a in [USDC, WETH] {\n  scope same\n}\n"
    result = compile_text(text, "t.guard")
    [diag] = result.diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == (C.DUPLICATE_NAME, 9, 9)
    assert [(lb.span.line, lb.span.column) for lb in diag.labels] == [(9, 9), (8, 22)]


@pytest.mark.parametrize(("body", "code", "line", "column"), [
    ("for each a in [USDC, USDC] {\n  scope s_{a}\n}\n", C.LISTED_TWICE, 8, 22),
    ("for each a in nope {\n  scope s_{a}\n}\n", C.UNKNOWN_NAME, 8, 15),
    ("for each USDC in [x] {\n  scope s_{USDC}\n}\n", C.LOOP_VAR_SHADOWS, 8, 10),
    ("for each a in [x] {\n  for each a in [y] {\n    scope s_{a}\n  }\n}\n",
     C.LOOP_VAR_SHADOWS, 9, 12),
    ("for each a in [x] {\n  scope s_{b}\n}\n", C.UNKNOWN_PLACEHOLDER, 9, 9),
    ("for each a in [x] {\n  protocol Q\n}\n", C.NOT_REPEATABLE, 9, 3),
])
def test_for_each_errors(body: str, code: str, line: int, column: int) -> None:
    assert (code, line, column) in _errors(HEAD + body)


# --- groups --------------------------------------------------------------------------------------


def test_group_members_are_spliced_into_role_lists() -> None:
    grouped = _program(HEAD + "group keys = [alice, bob]\nrole r = 2 of [keys, carol]\n")
    listed = _program(HEAD + "role r = 2 of [alice, bob, carol]\n")
    assert [without_positions(r) for r in grouped.roles] == [
        without_positions(r) for r in listed.roles]


def test_nested_groups_and_other_lists() -> None:
    text = HEAD + ("group a = [alice]\ngroup ab = [a, bob]\nrole r = 1 of [ab]\n"
                   "group tokens = [USDC, WETH]\nscope s1\nscope s2\ngroup both = [s1, s2]\n"
                   "allow r to pause both for at most 1h\n"
                   "for each t in tokens {\n  scope w_{t}\n}\n")
    program = _program(text)
    role = program.role("r").expr
    assert isinstance(role, ir.Threshold)
    assert role.members == (ir.SignerMember(name="alice"), ir.SignerMember(name="bob"))
    assert program.powers[0].targets == ("s1", "s2")
    assert {"w_USDC", "w_WETH"} <= {s.name for s in program.scopes}


def test_member_listed_twice_through_a_group_notes_the_group() -> None:
    text = HEAD + "group keys = [alice, bob]\nrole r = 2 of [keys, alice]\n"
    result = compile_text(text, "t.guard")
    [diag] = result.diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == (C.LISTED_TWICE, 9, 22)
    # the first listing came from the group: its member, with the group's use as the instance
    assert [(lb.span.line, lb.span.column) for lb in diag.labels] == [(8, 15)]
    assert diag.labels[0].span.via is not None and diag.labels[0].span.via.line == 9


@pytest.mark.parametrize(("body", "code", "line", "column"), [
    ("group g = [alice]\nrole r = g\n", C.WRONG_KIND, 9, 10),
    ("group g = [h]\ngroup h = [g]\n", C.GROUP_CYCLE, 8, 7),
    ("group g = [alice]\nscope g\n", C.DUPLICATE_NAME, 9, 7),
    ("group g = [USDC]\nrole r = 1 of [g]\n", C.WRONG_KIND, 8, 12),
])
def test_group_errors(body: str, code: str, line: int, column: int) -> None:
    assert (code, line, column) in _errors(HEAD + body)
