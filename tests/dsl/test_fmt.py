"""The formatter: canonical layout, comments kept, idempotent, meaning unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.dsl.fmt import FormatError, format_source
from interlock.dsl.parser import parse

DATA = Path(__file__).parent / "data"
SPEC = (DATA / "perp_venue.guard").read_text(encoding="utf-8")


def test_spec_example_is_idempotent_and_keeps_meaning() -> None:
    once = format_source(SPEC, "p.guard")
    assert format_source(once, "p.guard") == once
    assert parse(once, "p.guard").module == parse(SPEC, "p.guard").module


def test_spec_example_is_canonical() -> None:
    assert format_source(SPEC, "p.guard") == SPEC


MESSY = """protocol   X   # top
# lead
role a = 2 of [x, # c1
  y, z] # c2
signer x 0x1111111111111111111111111111111111111111
signer yy 0x1111111111111111111111111111111111111112  # tail



score s {   # h
  # inner
  1 when tvl(A) >    0   # t1
  2 when (tvl(A)) > 1 }
invariant short: always paused(s)
invariant a_longer_one: s never locked forever
# end
"""

EXPECTED = """protocol X  # top
# lead
# c1
role a = 2 of [x, y, z]  # c2
signer x  0x1111111111111111111111111111111111111111
signer yy 0x1111111111111111111111111111111111111112  # tail

score s {  # h
  # inner
  1 when tvl(A) > 0  # t1
  2 when (tvl(A)) > 1
}
invariant short:        always paused(s)
invariant a_longer_one: s never locked forever
# end
"""


def test_layout_and_comments() -> None:
    assert format_source(MESSY, "m.guard") == EXPECTED
    assert format_source(EXPECTED, "m.guard") == EXPECTED


def test_every_comment_survives_in_order() -> None:
    before = parse(MESSY, "m.guard").module
    after = parse(format_source(MESSY, "m.guard"), "m.guard").module
    assert before is not None and after is not None
    assert [c.text for c in before.comments] == [c.text for c in after.comments]
    assert before == after


def test_breaker_block_layout() -> None:
    text = "protocol P\nbreaker b { when x > 1 then pause s for 1h, alert \"hi\" cooldown 2h }\n"
    assert format_source(text, "b.guard") == (
        "protocol P\nbreaker b {\n  when x > 1\n  then pause s for 1h, alert \"hi\"\n"
        "  cooldown 2h\n}\n")


def test_unparsable_text_raises() -> None:
    with pytest.raises(FormatError) as info:
        format_source("protocol P\nscope s max 7\n", "b.guard")
    assert info.value.diagnostics[0].code == "E0101"


def test_runs_align_across_comments_and_long_then_lists_wrap() -> None:
    effects = ", ".join(f"pause scope_number_{i} for 1h" for i in range(5))
    text = ("protocol P\nscope a max 1h\n# the long one\nscope longer_name max 2h\nscope c\n"
            f"breaker b {{ when x > 1 then {effects} }}\n")
    out = format_source(text, "w.guard")
    assert "scope a           max 1h\n# the long one\nscope longer_name max 2h\nscope c\n" in out
    then = [line for line in out.splitlines() if "scope_number_" in line]
    assert len(then) == 2 and all(len(line) <= 100 for line in then)
    assert then[0].startswith("  then pause scope_number_0") and then[0].endswith(",")
    assert then[1].startswith("       pause scope_number_")
    assert format_source(out, "w.guard") == out
    assert parse(out, "w.guard").module == parse(text, "w.guard").module
