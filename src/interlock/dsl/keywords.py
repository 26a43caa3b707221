"""Contextual keywords: a word of the grammar is a name wherever the grammar cannot read it
as that word.

Lark's lexer turns a word like `forever` into its keyword token even where the parser only
accepts a name. `KeywordsAsNames` wraps the lexer and hands the parser a `NAME` instead
whenever the current LALR state has no action for the keyword but one for `NAME`. A word is
therefore refused as a name only where both readings fit the same state (`reserved`): `not`
where an expression starts, `always` where a property starts, `then` after a number that could
carry a unit, ... The list is computed from the parse table, so it is exact for the grammar
(docs/language.md prints it; a test keeps the two equal).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from lark import Lark, Token

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def keyword_terminals(parser: Lark) -> dict[str, str]:
    """Terminal name -> word, for every terminal that is a fixed word a name could spell."""
    return {
        t.name: t.pattern.value
        for t in parser.terminals
        if t.pattern.type == "str" and _WORD.match(t.pattern.value)
    }


def _states(parser: Lark) -> dict[Any, dict[str, Any]]:
    table = parser.parser.parser.parser.parse_table
    states: dict[Any, dict[str, Any]] = table.states
    return states


def reserved(parser: Lark) -> frozenset[str]:
    """The words refused as names: those a parser state where a name may start also accepts
    as themselves (the keyword reading wins there)."""
    words = keyword_terminals(parser)
    out = set()
    for actions in _states(parser).values():
        if "NAME" in actions and actions["NAME"][0].name == "Shift":
            out |= {w for term, w in words.items() if term in actions}
    return frozenset(out)


@cache
def reserved_words() -> frozenset[str]:
    from interlock.dsl.parser import lark_parser

    return reserved(lark_parser())


def _fits(parser_state: Any, tok: Token) -> bool:
    """Whether the parser can shift `tok` here, after the reductions its lookahead allows:
    the LALR automaton run on a copy of the state stack alone (no values, so it is cheap)."""
    states = parser_state.parse_conf.states
    stack = list(parser_state.state_stack)
    while True:
        step = states[stack[-1]].get(tok.type)
        if step is None:
            return False
        action, arg = step
        if action.name == "Shift":
            return True
        size = len(arg.expansion)
        if size:
            del stack[-size:]
        stack.append(states[stack[-1]][arg.origin.name][1])


class KeywordsAsNames:
    """A lexer that retypes a keyword token to `NAME` where only a name fits."""

    def __init__(self, inner: Any, words: dict[str, str]) -> None:
        self.inner = inner
        self.words = words

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        states = parser_state.parse_conf.parse_table.states
        for tok in self.inner.lex(lexer_state, parser_state):
            if tok.type in self.words:
                actions = states[parser_state.position]
                if "NAME" in actions and (tok.type not in actions or not _fits(parser_state, tok)):
                    tok = Token.new_borrow_pos("NAME", str(tok), tok)
            yield tok

    def __getattr__(self, name: str) -> Any:  # the rest of the lexer's interface
        return getattr(self.inner, name)


def install(parser: Lark) -> Lark:
    """`parser` with its lexer wrapped in `KeywordsAsNames` (done once, when it is built)."""
    frontend = parser.parser
    frontend.lexer = KeywordsAsNames(frontend.lexer, keyword_terminals(parser))
    return parser
