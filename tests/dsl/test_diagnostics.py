"""One invalid snippet per diagnostic code: (code, line, column) exactly.

Each case is a rule file; `HEAD` (5 lines) is a valid preamble most cases extend, so their
positions are on line 6 or later.
"""

from __future__ import annotations

import pytest

from interlock.dsl.frontend import compile_file, compile_text
from interlock.ir import codes as C

HEAD = """protocol P
signer alice 0x1111111111111111111111111111111111111111
signer bob 0x2222222222222222222222222222222222222222
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
scope trading
"""
FEEDS = "feed F 0x3333333333333333333333333333333333333333 decimals 8\n"  # line 6
READ = "read d = call 0x5555555555555555555555555555555555555555 "  # the signature at column 58

CASES: list[tuple[str, str, int, int]] = [
    # --- syntax ---------------------------------------------------------------------------------
    (C.SYNTAX, HEAD + "scope s max 72\n", 6, 13),
    (C.SYNTAX, HEAD + "signer carol 0x3333333333333333333333333333333333333333 entiti x\n", 6, 57),
    (C.BAD_CHARACTER, HEAD + "scope s ?\n", 6, 9),
    (C.UNEXPECTED_EOF, HEAD + "breaker b { when tvl(USDC) > 0 then pause", 6, 42),
    (C.MISSING_PROTOCOL, "scope s\nprotocol P\n", 1, 1),
    (C.DUPLICATE_PROTOCOL, HEAD + "protocol Q\n", 6, 1),
    (C.TOO_DEEP, HEAD + "invariant i: always " + "(" * 101 + "1 > 0" + ")" * 101 + "\n", 6, 121),
    # --- names ----------------------------------------------------------------------------------
    (C.UNKNOWN_NAME, HEAD + "role r = 1 of [alise]\n", 6, 16),
    (C.DUPLICATE_NAME, HEAD + "scope alice\n", 6, 7),
    (C.KEYWORD_NAME, HEAD + "scope price\n", 6, 7),
    (C.WRONG_KIND, HEAD + "role r = 1 of [USDC]\n", 6, 16),
    (C.DUPLICATE_ADDRESS, HEAD + "signer carol 0x1111111111111111111111111111111111111111\n",
     6, 14),
    (C.BAD_CHECKSUM, HEAD + "signer carol 0xa0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48\n", 6, 14),
    (C.BAD_ADDRESS, HEAD + "signer carol 0x1234\n", 6, 14),
    (C.LISTED_TWICE, HEAD + "role r = 1 of [alice, alice]\n", 6, 23),
    (C.AGENT_IN_ROLE, HEAD + "agent w 0x4444444444444444444444444444444444444444\n"
     "role r = 1 of [w]\n", 7, 16),
    (C.UNKNOWN_FIELD,
     HEAD + "metric m = sum(Borrow(address who, uint256 amount).amt at USDC, 1h)\n",
     6, 52),
    (C.BAD_EVENT_TYPE, HEAD + "metric m = count(Borrow(adress who) at USDC, 1h)\n", 6, 25),
    (C.ZERO_SIGNER, HEAD + "signer z 0x0000000000000000000000000000000000000000\n", 6, 1),
    (C.UNKNOWN_PLACEHOLDER, HEAD + "scope s_{x}\n", 6, 7),
    (C.LOOP_VAR_SHADOWS, HEAD + "for each alice in [trading] {\n  scope s_{alice}\n}\n", 6, 10),
    (C.BAD_READ_SIGNATURE, HEAD + READ + '"totalSupply()(uint7)"\n', 6, 73),
    (C.READ_NOT_INTEGER, HEAD + READ + '"totalSupply()(address)"\n', 6, 73),
    (C.READ_ARGUMENTS, HEAD + READ + '"balanceOf(address)(uint256)" (5)\n', 6, 89),
    (C.UNPRICED_ASSET, HEAD + FEEDS + "breaker b {\n  when value(tvl(USDC)) > 0\n"
     "  then pause trading for 1h\n}\n", 8, 18),
    (C.NO_QUOTE, HEAD + FEEDS + "asset WETH 0x4444444444444444444444444444444444444444 decimals 18"
     " priced by F\n", 7, 77),
    (C.QUOTE_NAME_TAKEN, HEAD + "feed F 0x3333333333333333333333333333333333333333 decimals 8"
     " quote USDC\n", 6, 62),
    # --- types and units ------------------------------------------------------------------------
    (C.QUOTE_MISMATCH, HEAD + "feed F 0x3333333333333333333333333333333333333333 decimals 8"
     " quote USD\n"
     "feed G 0x5555555555555555555555555555555555555555 decimals 8 quote EUR\n"
     "asset WETH 0x4444444444444444444444444444444444444444 decimals 18 priced by F\n"
     "asset WBTC 0x6666666666666666666666666666666666666666 decimals 8 priced by G\n"
     "breaker b {\n  when value(outflow(*, 1h)) > 0 USD\n  then pause trading for 1h\n}\n",
     11, 8),
    (C.UNIT_MISMATCH, HEAD + FEEDS + "breaker b {\n  when tvl(USDC) > price(F)\n"
     "  then pause trading for 1h\n}\n", 8, 8),
    (C.NEEDS_UNIT, HEAD + "breaker b {\n  when tvl(USDC) > 1000\n  then pause trading for 1h\n}\n",
     7, 20),
    (C.NONLINEAR, HEAD + "breaker b {\n  when tvl(USDC) * tvl(USDC) > 0\n"
     "  then pause trading for 1h\n}\n", 7, 8),
    (C.NOT_A_NUMBER, HEAD + "breaker b {\n  when tvl(USDC) + paused(trading) > 0\n"
     "  then pause trading for 1h\n}\n", 7, 20),
    (C.NOT_A_CONDITION, HEAD + "breaker b {\n  when tvl(USDC)\n  then pause trading for 1h\n}\n",
     7, 8),
    (C.METRIC_NOT_ALLOWED, HEAD + "role r = 1 of [alice]\n"
     "allow r to unpause trading when tvl(USDC) > 0\n", 7, 33),
    (C.SCORE_IN_SCORE,
     HEAD + "score a {\n  1 when tvl(USDC) > 0\n}\nscore b {\n  1 when a > 0\n}\n",
     10, 10),
    (C.BAD_UNIT_NAME, HEAD + "breaker b {\n  when tvl(USDC) > 5 trading\n"
     "  then pause trading for 1h\n}\n", 7, 22),
    (C.NOT_CONSTANT, HEAD + "param p = 5 in [1, 9] safer lower\nbreaker b {\n"
     "  when tvl(USDC) > 0\n  then set p to p for 1h\n}\n", 9, 17),
    # --- ranges ---------------------------------------------------------------------------------
    (C.OUT_OF_RANGE, HEAD + "asset WETH 0x4444444444444444444444444444444444444444 decimals 78\n",
     6, 64),
    (C.VALUE_DECIMALS, HEAD + "feed F 0x3333333333333333333333333333333333333333 decimals 36"
     " quote USD\n"
     "asset WETH 0x4444444444444444444444444444444444444444 decimals 21 priced by F\n", 7, 77),
    (C.BAD_PARAM_RANGE, HEAD + "param p = 10 in [1, 9] safer lower\n", 6, 11),
    (C.ZERO_THRESHOLD, HEAD + "role r = 0 of [alice]\n", 6, 10),
    (C.THRESHOLD_TOO_LARGE, HEAD + "role r = 3 of [alice, bob]\n", 6, 10),
    (C.ZERO_DURATION, HEAD + "breaker b {\n  when tvl(USDC) > 0\n  then pause trading for 0s\n}\n",
     8, 26),
    (C.BAD_WINDOW, HEAD + "breaker b {\n  when outflow(USDC, 7s) > 0\n"
     "  then pause trading for 1h\n}\n", 7, 22),
    (C.NOT_INTEGER, HEAD + "role r = 1.5 of [alice, bob]\n", 6, 10),
    (C.FRACTION_DOES_NOT_FIT, HEAD + "breaker b {\n  when tvl(USDC) > 1.0000001 USDC\n"
     "  then pause trading for 1h\n}\n", 7, 20),
    (C.BAD_WITHIN, HEAD + "param p = 5 in [1, 9] safer lower\nrole r = 1 of [alice]\n"
     "allow r to set p within [20, 30]\n", 8, 26),
    (C.SET_OUT_OF_RANGE, HEAD + "param p = 5 in [1, 9] safer lower\nbreaker b {\n"
     "  when tvl(USDC) > 0\n  then set p to 0 for 1h\n}\n", 9, 17),
    (C.DIVISION_BY_ZERO, HEAD + "breaker b {\n  when tvl(USDC) / 0 > 0\n"
     "  then pause trading for 1h\n}\n", 7, 20),
    (C.TOO_MANY, HEAD + "".join(f"scope s{i}\n" for i in range(255)), 260, 1),
    (C.READ_ARGUMENT_RANGE, HEAD + READ + '"f(uint8)(uint256)" (300)\n', 6, 79),
    (C.BEYOND_SATURATION, HEAD + "feed F 0x3333333333333333333333333333333333333333 decimals 36\n"
     "breaker b {\n  when price(F) > 5000 F\n  then pause trading for 1h\n}\n", 8, 8),
    # --- rules ----------------------------------------------------------------------------------
    (C.ROLE_CYCLE, HEAD + "role a = b\nrole b = 1 of [a, alice]\n", 6, 6),
    (C.UNSAFE_DIRECTION, HEAD + "param p = 5 in [1, 9] safer lower\nbreaker b {\n"
     "  when tvl(USDC) > 0\n  then set p to 7 for 1h\n}\n", 9, 17),
    (C.BLOCK_WITHOUT_PER_SENDER, HEAD + "breaker b {\n  when tvl(USDC) > 0\n"
     "  then block sender for 1h\n}\n", 8, 8),
    (C.ASSUMING_ON_COALITION, HEAD + "role r = 1 of [alice]\n"
     "invariant i: no unilateral signer assuming r\n", 7, 44),
    (C.DUPLICATE_OPTION, HEAD + "scope s max 1h max 2h\n", 6, 16),
    (C.EMPTY_TARGETS, HEAD + "breaker b {\n  when tvl(USDC) > 0\n"
     "  then pause * except trading for 1h\n}\n", 8, 14),
    (C.NO_REFERENCE, HEAD + FEEDS + "breaker b {\n  when deviation(F) > 3%\n"
     "  then pause trading for 1h\n}\n", 8, 8),
    (C.CANCEL_UNTIMELOCKED, HEAD + "role r = 1 of [alice]\nallow r to cancel r\n", 7, 19),
    (C.BAD_AGGREGATE_FIELD, HEAD + "metric m = sum(Borrow(address who) at USDC, 1h)\n", 6, 16),
    (C.UNKNOWN_FINDING_CODE, HEAD + 'accept W0902 because "reviewed"\n', 6, 8),
    (C.EMPTY_REASON, HEAD + 'accept W0801 because ""\n', 6, 1),
    (C.UNKNOWN_NAME, HEAD + 'accept W0801 halt because "kept for drills"\n', 6, 14),
    (C.GROUP_CYCLE, HEAD + "group g = [h]\ngroup h = [g, alice]\n", 6, 7),
    (C.NOT_REPEATABLE, HEAD + "for each a in [trading] {\n  protocol Q\n}\n", 7, 3),
    # --- the current flow and held flows (issue 15, items 2 and 7) ------------------------------
    (C.FLOW_OUTSIDE_BREAKER, HEAD + "score s {\n  10 when flow(USDC) > 1 USDC\n}\n", 7, 11),
    (C.FLOW_OFFCHAIN, HEAD + "breaker b {\n  when flow(USDC) > 1 USDC and calls(trading, 1h) > 3"
     "\n  then pause trading for 1h\n}\n", 7, 8),
    (C.HOLD_WITHOUT_FLOW, HEAD + "breaker b {\n  when outflow(USDC, 1h) > 1 USDC\n"
     "  then hold flow for 1d\n}\n", 8, 8),
    (C.NOTHING_HELD, HEAD + "role r = 1 of [alice]\nallow r to cancel holds\n", 7, 1),
    (C.BAD_STEP, HEAD + "param p = 5 in [1, 9] safer lower\nrole r = 1 of [alice]\n"
     "allow r to set p by at most 0 per 1d\n", 8, 29),
    (C.BAD_STEP, HEAD + "param p = 5 in [1, 9] safer lower\nrole r = 1 of [alice]\n"
     "allow r to set p by at most 0% per 1d\n", 8, 29),
    (C.SIGNED_RELATIVE_STEP, HEAD + "param p = 5 in [-1, 9] safer lower\n"
     "role r = 1 of [alice]\nallow r to set p by at most 10% per 1d\n", 8, 29),
]


@pytest.mark.parametrize(("code", "text", "line", "column"), CASES, ids=[c[0] for c in CASES])
def test_code_line_column(code: str, text: str, line: int, column: int) -> None:
    result = compile_text(text, "case.guard")
    assert result.program is None
    found = [(d.code, d.span.line, d.span.column) for d in result.diagnostics]
    assert (code, line, column) in found, found


def test_every_code_has_a_case() -> None:
    covered = {c[0] for c in CASES} | {C.UNREADABLE}
    assert covered == set(C.TITLES)


def test_unreadable_file(tmp_path: object) -> None:
    result = compile_file("/nonexistent/rules.guard")
    assert [(d.code, d.span.line, d.span.column) for d in result.diagnostics] == [
        (C.UNREADABLE, 1, 1)]


def test_messages_follow_the_style() -> None:
    for _code, text, _line, _col in CASES:
        for d in compile_text(text, "case.guard").diagnostics:
            assert not d.message[0].isupper(), d.message
            assert not d.message.endswith("."), d.message
            assert "\n" not in d.message


def test_all_errors_of_the_phase_are_collected() -> None:
    text = HEAD + "role r = 1 of [alise]\nrole q = 1 of [bobb]\nscope price\n"
    codes = [d.code for d in compile_text(text, "x.guard").diagnostics]
    assert codes == [C.UNKNOWN_NAME, C.UNKNOWN_NAME, C.KEYWORD_NAME]


def test_did_you_mean() -> None:
    d = compile_text(HEAD + "role r = 1 of [alise]\n", "x.guard").diagnostics[0]
    assert d.help == "did you mean `alice`?"


def test_checksum_help_gives_the_right_spelling() -> None:
    d = compile_text(HEAD + "signer c 0xa0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48\n",
                     "x.guard").diagnostics[0]
    assert d.code == C.BAD_CHECKSUM
    assert d.help is not None and "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48" in d.help


def test_syntax_error_names_terminals_friendly() -> None:
    d = compile_text(HEAD + "scope s max 72\n", "x.guard").diagnostics[0]
    assert d.message == "expected a duration, found `72`"
    d = compile_text(HEAD + "signer c 0x3333333333333333333333333333333333333333 entiti x\n",
                     "x.guard").diagnostics[0]
    assert d.help == "did you mean `entity`?"


def test_docs_list_every_code_with_its_rendered_example() -> None:
    from tests.dsl.gen_diagnostics_doc import DOC, front_end_part

    docs = DOC.read_text("utf-8")
    for code, title in C.TITLES.items():
        assert f"### {code}: {title}" in docs
    assert docs.startswith(front_end_part()), "run `python -m tests.dsl.gen_diagnostics_doc`"
