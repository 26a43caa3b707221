"""The parser: every construct of SPEC §2-3 parses, with spans; syntax errors become E01xx."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.dsl import ast
from interlock.dsl.parser import parse

DATA = Path(__file__).parent / "data"
SPEC = (DATA / "perp_venue.guard").read_text(encoding="utf-8")


def _module(text: str) -> ast.Module:
    result = parse(text, "t.guard")
    assert result.diagnostics == ()
    assert result.module is not None
    return result.module


def test_spec_example_parses() -> None:
    module = _module(SPEC)
    kinds = [type(d).__name__ for d in module.decls]
    assert kinds[0] == "ProtocolDecl"
    assert kinds.count("SignerDecl") == 5
    assert kinds.count("BreakerDecl") == 4
    assert kinds.count("AllowDecl") == 5
    assert kinds.count("InvariantDecl") == 5
    assert len(module.comments) == 5


def test_spans_are_one_based_and_exclusive() -> None:
    module = _module("protocol P\nsigner alice 0x1111111111111111111111111111111111111111\n")
    signer = module.decls[1]
    assert isinstance(signer, ast.SignerDecl)
    assert (signer.name.span.line, signer.name.span.column) == (2, 8)
    assert signer.name.span.end_column == 13
    assert signer.span.end_column == 56


VALID = [
    "signer a 0x1111111111111111111111111111111111111111 entity org",
    "agent w 0x1111111111111111111111111111111111111111",
    "role r = 2 of [a, b, c] and (x or y) after 48h",
    "scope s max 72h gap 24h",
    "scope s gap 1h max 2h",
    "asset T 0x1111111111111111111111111111111111111111 decimals 18",
    "vault v 0x1111111111111111111111111111111111111111 holds A, B",
    "feed F 0x1111111111111111111111111111111111111111 decimals 8 "
    "reference 0x2222222222222222222222222222222222222222 heartbeat 1h",
    "param p = -5 in [-10, 50] safer higher",
    "metric m = count(Borrow(address indexed who, uint256 amount) at pool, 1h)",
    "metric m = sum(Borrow(address indexed who, uint256 amount).amount at "
    "0x1111111111111111111111111111111111111111, 24h)",
    "metric m = count(Ping() at pool, 12s)",
    "score s { 10 when calls(x, 1h, per sender) > 5 20 when staleness(F) > 1h }",
    "breaker b { when inflow(A, 1h) + 2 * outflow(A, 1h) >= 1_000.5 A or not paused(s) "
    "then pause a, b for 1h, suspend F for 30m, set p to 3 for 1h, block sender from s for 1d, "
    'alert "drain!" cooldown 0s }',
    "breaker b { when -change(F, 1h) / 2 < 50bps -> suspended(F) then pause * for 1w }",
    "allow r to pause * except a, b for at most 72h cooldown 24h when not paused(x)",
    "allow r to unpause s when p > 3 cooldown 1h",
    "allow r to suspend F, G for at most 1h",
    "allow r to resume *",
    "allow r to set p within [-3, 5]",
    "allow r to extend s by at most 7d",
    "allow r to cancel governor",
    "invariant i: no unilateral signer except pause, set",
    "invariant i: no unilateral entity",
    "invariant i: every power needs 2 signers",
    "invariant i: every power needs 1 entity",
    "invariant i: always (p >= 2 and p <= 50) assuming a, b",
    "invariant i: s paused at most 72h then open 24h assuming gov",
    "invariant i: s never locked forever",
    "invariant i: no unilateral entity except unpause",
    "invariant i: every power needs 2 entities except set, cancel",
    'accept W0802 guardian because "the guardian unpauses by design"',
    'accept W0804 because "tiers kept for the dashboard"',
    "asset T 0x1111111111111111111111111111111111111111 decimals 18 priced by F",
    "feed F 0x1111111111111111111111111111111111111111 decimals 8 quote USD heartbeat 1h",
    "breaker b { when value(outflow(*, 24h)) > 5_000_000.5 USD or value(inflow(T, 1h)) > "
    "10% of value(tvl(*)) and value(tvl(T)) < 1 USD then pause s for 1h }",
]

PRICED = ("protocol P\nscope s\n"
          "asset T 0x1111111111111111111111111111111111111111 decimals 6 priced by F\n"
          "vault v 0x3333333333333333333333333333333333333333 holds T\n"
          "feed F 0x2222222222222222222222222222222222222222 decimals 8 quote USD\n")


def test_value_metrics_parse_print_and_analyse() -> None:
    """`value(...)` of one asset and of `*`, printed back as written, analysed to atoms."""
    from interlock.dsl.frontend import compile_text
    from interlock.dsl.printer import expr

    text = PRICED + ("breaker b { when value(outflow(*, 24h)) - value(tvl(T)) > 2.5 USD "
                     "then pause s for 1h }\n")
    breaker = _module(text).decls[-1]
    assert expr(breaker.when) == "value(outflow(*, 24h)) - value(tvl(T)) > 2.5 USD"
    result = compile_text(text, "t.guard")
    assert result.program is not None and result.diagnostics == ()
    cond = result.program.breakers[0].when
    assert [(t.coef, t.atom.kind, t.atom.target, t.atom.window) for t in cond.terms] == [
        (1, "value_outflow", "*", 86_400), (-1, "value_tvl", "T", None)]
    assert cond.constant == -25 * 10**17 and result.program.breakers[0].onchain


def test_a_value_compares_only_with_a_value() -> None:
    from interlock.dsl.frontend import compile_text

    text = PRICED + ("breaker b { when value(tvl(T)) > tvl(T) then pause s for 1h }\n"
                     "breaker c { when value(tvl(T)) > 5 then pause s for 1h }\n")
    got = [(d.code, d.message) for d in compile_text(text, "t.guard").diagnostics]
    assert got == [("E0301", "cannot compare a value in `USD` and an amount of `T`"),
                   ("E0302", "a number compared with a value in `USD` needs a unit")]


@pytest.mark.parametrize("decl", VALID)
def test_valid_declarations_parse(decl: str) -> None:
    _module(f"protocol P\n{decl}\n")


def test_declarations_may_span_lines() -> None:
    module = _module("protocol P\nrole r =\n  2 of [a,\n        b]\n  after 1h\n")
    role = module.decls[1]
    assert isinstance(role, ast.RoleDecl)
    assert (role.span.line, role.span.end_line) == (2, 5)


def test_precedence() -> None:
    module = _module("protocol P\ninvariant i: always not a > 1 and b > 2 or c > 3 -> d > 4\n")
    inv = module.decls[1]
    assert isinstance(inv, ast.InvariantDecl) and inv.prop.cond is not None
    top = inv.prop.cond
    assert isinstance(top, ast.BoolOp) and top.op == "->"
    assert isinstance(top.left, ast.BoolOp) and top.left.op == "or"
    assert isinstance(top.left.left, ast.BoolOp) and top.left.left.op == "and"
    assert isinstance(top.left.left.left, ast.Not)


def test_literals_keep_their_text_and_value() -> None:
    module = _module("protocol P\nbreaker b { when x > 2.5% then pause s for 90m }\n")
    breaker = module.decls[1]
    assert isinstance(breaker, ast.BreakerDecl)
    cmp = breaker.when
    assert isinstance(cmp, ast.Compare) and isinstance(cmp.right, ast.PercentLit)
    assert cmp.right.percent.raw == "2.5%"
    assert cmp.right.percent.ratio * 1000 == 25
    dur = breaker.effects[0].duration
    assert dur is not None and dur.seconds == 5400


def test_nodes_compare_without_spans() -> None:
    a = _module("protocol P\nscope s max 1h\n")
    b = _module("\n\nprotocol    P\n\n  scope s\n max 1h # note\n")
    assert a.decls == b.decls


@pytest.mark.parametrize(("text", "code", "line", "column"), [
    ("protocol P\nscope s max 72\n", "E0101", 2, 13),
    ("protocol P\nscope s @\n", "E0102", 2, 9),
    ("protocol P\nrole r = 2 of [a,", "E0103", 2, 18),
    ("protocol P\nalert \"x\"\n", "E0101", 2, 1),
])
def test_syntax_errors(text: str, code: str, line: int, column: int) -> None:
    result = parse(text, "t.guard")
    assert result.module is None
    [diag] = result.diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == (code, line, column)


def test_expected_an_expression() -> None:
    [diag] = parse("protocol P\ninvariant i: always x > ", "t.guard").diagnostics
    assert diag.message == "unexpected end of file, expected an expression"


def test_expected_a_declaration() -> None:
    [diag] = parse("protocol P\nallow\n", "t.guard").diagnostics
    assert diag.message == "unexpected end of file, expected a name"
    [diag] = parse("protocol P\nsignr a\n", "t.guard").diagnostics
    assert diag.message == "expected a declaration, found `signr`"
    assert diag.help == "did you mean `signer`?"


def test_one_syntax_error_per_declaration() -> None:
    text = ("protocol P\nscope a max 7\nscope b\nrole r = 2 of [x y]\n"
            "breaker b { when x > then pause a for 1h }\ninvariant i: always x >\n")
    result = parse(text, "t.guard")
    assert result.module is None
    assert [(d.code, d.span.line, d.span.column) for d in result.diagnostics] == [
        ("E0101", 2, 13), ("E0101", 4, 18), ("E0101", 5, 22), ("E0103", 6, 24)]
    assert result.diagnostics[2].message == "unexpected keyword `then`"


@pytest.mark.parametrize(("text", "message", "help"), [
    ("protocol P\ninvariant i: always p = 3\n",
     "expected an operator, a declaration or `assuming`, found `=`", "compare with `==`"),
    ("protocol P\ninvariant i: always p > 1 && p < 3\n", "unexpected character `&`", "write `and`"),
    ("protocol P\ninvariant i: always p > 3 %\n", "unexpected character `%`",
     "write a percentage without a space: `10%`"),
    ("protocol P\nscope s max 1.5h\n", "expected a duration, found `1.5`",
     "durations are whole numbers of a unit: write `90m`, not `1.5h`"),
])
def test_common_mistakes_get_help(text: str, message: str, help: str) -> None:
    [diag] = parse(text, "t.guard").diagnostics
    assert (diag.message, diag.help) == (message, help)
