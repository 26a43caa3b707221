"""Contextual keywords: a grammar word is a name wherever the grammar cannot read it as that
word; only the words some name position also reads as themselves are reserved (E0203)."""

from __future__ import annotations

import pytest

from interlock.dsl.frontend import compile_text
from interlock.dsl.keywords import reserved_words

HEAD = "protocol P\nsigner alice 0x1111111111111111111111111111111111111111\n"
HEAD += "role g = 1 of [alice]\n"


@pytest.mark.parametrize("word", ["forever", "open", "locked", "never", "at", "most", "pause",
                                  "set", "except", "power", "sum", "from", "entity", "max"])
def test_grammar_words_are_names_where_only_a_name_fits(word: str) -> None:
    text = HEAD + (
        f"scope {word}\nscope other\n"
        f"breaker b {{ when paused({word}) then pause {word}, other for 1h cooldown 1h }}\n"
        f"breaker c {{ when paused(other) then pause * except {word} for 1h }}\n"
        f"allow g to unpause {word}, other\n"
        f"invariant {word}_1: {word} paused at most 2h then open 1h assuming g\n"
        f"invariant i2: {word} never locked forever\n"
        f"invariant i3: always (paused({word}) -> paused({word}))\n"
    )
    result = compile_text(text, "k.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    assert [i.prop.scope for i in result.program.invariants[:2]] == [word, word]  # type: ignore[union-attr]


def test_an_invariant_called_forever() -> None:
    text = HEAD + "scope withdrawals\ninvariant forever: withdrawals never locked forever\n"
    result = compile_text(text, "k.guard")
    assert result.program is not None
    assert result.program.invariants[0].name == "forever"


@pytest.mark.parametrize("word", ["not", "always", "then", "paused", "tvl", "because"])
def test_ambiguous_words_stay_reserved(word: str) -> None:
    assert word in reserved_words()
    result = compile_text(HEAD + f"scope {word}\n", "k.guard")
    assert result.program is None
    assert [d.code for d in result.diagnostics] == ["E0203"]


def test_freed_words_are_not_reserved() -> None:
    assert {"forever", "open", "locked", "never", "at", "most"}.isdisjoint(reserved_words())
