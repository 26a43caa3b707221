"""Lark's parse errors -> our `Diagnostic`s (E01xx), with friendly names for terminals."""

from __future__ import annotations

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from interlock.ir import codes as C
from interlock.ir.diagnostics import Diagnostic, did_you_mean
from interlock.ir.nodes import Span

E_SYNTAX = C.SYNTAX
E_CHARACTER = C.BAD_CHARACTER
E_EOF = C.UNEXPECTED_EOF

_FRIENDLY = {
    "NAME": "a name",
    "ADDRESS": "an address",
    "DURATION": "a duration",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "BPS": "a percentage",
    "STRING": "a quoted string",
    "CMP_OP": "a comparison operator",
    "ARRAY_SUFFIX": "`[]`",
    "$END": "end of file",
}
_DECL_KEYWORDS = frozenset(
    [
    "protocol", "signer", "agent", "role", "scope", "asset", "vault", "feed", "param",
    "metric", "score", "breaker", "allow", "invariant", "accept", "group", "for",
    "read",
]
)
_EXPR_START = frozenset(
    [
    "NUMBER", "NAME", "PERCENT", "BPS", "DURATION", "LPAR", "MINUS", "NOT", "TVL", "PRICE",
    "DEVIATION", "STALENESS", "FLOW", "OUTFLOW", "INFLOW", "CHANGE", "CALLS", "PAUSED",
    "SUSPENDED", "VALUE",
]
)
_ORDER = (
    "an expression", "an operator", "a declaration", "a duration", "a name", "an address",
    "a number", "a percentage",
)


def _describe(term: str, parser: Lark) -> str:
    if term in _FRIENDLY:
        return _FRIENDLY[term]
    for t in parser.terminals:
        if t.name == term and isinstance(t.pattern, PatternStr):
            return f"`{t.pattern.value}`"
    return term.lower()


_OPERATORS = frozenset({"*", "/", "+", "-", "->", "and", "or"})


def _literal(term: str, parser: Lark) -> str | None:
    for t in parser.terminals:
        if t.name == term and isinstance(t.pattern, PatternStr):
            return str(t.pattern.value)
    return None


def _keyword(term: str, parser: Lark) -> str | None:
    for t in parser.terminals:
        if t.name == term and isinstance(t.pattern, PatternStr) and t.pattern.value.isalpha():
            return str(t.pattern.value)
    return None


def expected_text(expected: set[str], parser: Lark) -> str:
    """`a duration`, `` `for` or a name ``, `a declaration` ... from Lark's expected terminals."""
    words = {_keyword(t, parser) for t in expected}
    names: set[str] = set()
    if {"NUMBER", "NAME", "PERCENT", "LPAR"} <= expected:
        names.add("an expression")
        expected = {t for t in expected if t in ("$END", "RPAR") or (
            _keyword(t, parser) is not None and t not in _EXPR_START)}
    operators = {t for t in expected if t == "CMP_OP" or _literal(t, parser) in _OPERATORS}
    if len(operators) >= 3:
        names.add("an operator")
        expected = expected - operators
    if words >= _DECL_KEYWORDS:
        names.add("a declaration")
        expected = {t for t in expected if _keyword(t, parser) not in _DECL_KEYWORDS}
        expected.discard("$END")
    names |= {_describe(t, parser) for t in expected}
    ordered = sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else 99, n))
    if len(ordered) > 6:
        ordered = [*ordered[:5], "..."]
    if len(ordered) == 1:
        return ordered[0]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _keyword_taken_as_name(err: UnexpectedToken) -> Token | None:
    """The name just before the error, when it is a keyword (`x > then pause ...`).

    The contextual lexer reads a keyword as a name where no keyword fits; the real mistake is
    then that keyword, not the token after it.
    """
    from interlock.dsl.keywords import reserved_words

    ip = err.interactive_parser
    stack = ip.parser_state.value_stack if ip is not None else []
    last: object = stack[-1] if stack else None
    while isinstance(last, Tree) and last.children:
        last = last.children[-1]
    if isinstance(last, Token) and last.type == "NAME" and str(last) in reserved_words():
        return last
    return None


def _accepted(err: UnexpectedToken) -> set[str]:
    """The terminals really acceptable here (LALR's merged lookaheads over-approximate)."""
    try:
        ip = err.interactive_parser
        accepts: set[str] = set(ip.accepts()) if ip else set()  # type: ignore[no-untyped-call]
    except Exception:  # pragma: no cover - fall back to Lark's own list
        accepts = set()
    return accepts or set(err.expected)


def _found(tok_type: str, value: str) -> str:
    if tok_type == "$END":
        return "end of file"
    return f"`{value}`"


def _help(expected: set[str], tok_type: str, value: str, parser: Lark) -> str | None:
    if "DURATION" in expected and tok_type == "NUMBER":
        if "." in value:
            return "durations are whole numbers of a unit: write `90m`, not `1.5h`"
        return f"a duration needs a unit `s`, `m`, `h`, `d` or `w`, e.g. `{value}h`"
    if value == "=" and "CMP_OP" in expected:
        return "compare with `==`"
    if tok_type == "NAME":
        keywords = sorted(k for k in (_keyword(t, parser) for t in expected) if k)
        return did_you_mean(value, keywords)
    return None


def _span(path: str, line: int, col: int, length: int) -> Span:
    return Span(file=path, line=line, column=col, end_line=line, end_column=col + max(length, 1))


def convert_error(err: UnexpectedInput, text: str, path: str, parser: Lark) -> Diagnostic:
    if isinstance(err, UnexpectedToken):
        tok = err.token
        keyword = _keyword_taken_as_name(err)
        if keyword is not None:
            return Diagnostic(
                code=E_SYNTAX, severity="error", message=f"unexpected keyword `{keyword}`",
                span=_span(path, keyword.line or 1, keyword.column or 1, len(keyword)),
                help="a keyword cannot stand where a name or a value is expected")
        expected = _accepted(err)
        if tok.type == "$END":
            line, col = _end_position(text)
            return Diagnostic(code=E_EOF, severity="error",
                              message=f"unexpected end of file, expected "
                                      f"{expected_text(expected, parser)}",
                              span=_span(path, line, col, 1))
        value = str(tok)
        return Diagnostic(
            code=E_SYNTAX, severity="error",
            message=f"expected {expected_text(expected, parser)}, found {_found(tok.type, value)}",
            span=_span(path, tok.line or 1, tok.column or 1, len(value)),
            help=_help(expected, tok.type, value, parser))
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        char = text[pos] if pos < len(text) else ""
        shown = repr(char)[1:-1] if not char.isprintable() else char
        return Diagnostic(code=E_CHARACTER, severity="error",
                          message=f"unexpected character `{shown}`",
                          span=_span(path, err.line, err.column, 1),
                          help=_char_help(char))
    if isinstance(err, UnexpectedEOF):
        line, col = _end_position(text)
        return Diagnostic(code=E_EOF, severity="error",
                          message=f"unexpected end of file, expected "
                                  f"{expected_text(set(err.expected), parser)}",
                          span=_span(path, line, col, 1))
    raise err  # pragma: no cover - no other kinds exist


_CHAR_HELP = {
    "'": 'strings use double quotes: `"..."`',
    '"': "a string must end on the line it starts",
    "%": "write a percentage without a space: `10%`",
    "&": "write `and`",
    "|": "write `or`",
    "!": "write `not` (or `!=` to compare)",
    "=": "compare with `==`",
}


def _char_help(char: str) -> str | None:
    return _CHAR_HELP.get(char)


def _end_position(text: str) -> tuple[int, int]:
    """The last non-blank character's line and the column after it."""
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1
