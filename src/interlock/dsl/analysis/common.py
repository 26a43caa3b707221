"""Shared pieces of the analysis: the diagnostic sink, the symbol table, literal helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from eth_utils.address import is_checksum_address, to_checksum_address

from interlock.dsl import ast
from interlock.dsl.keywords import reserved_words
from interlock.ir import codes as C
from interlock.ir.diagnostics import Diagnostic, Label, did_you_mean
from interlock.ir.nodes import Span

# what each kind of declaration is called in messages
KIND_WORD = {
    "signer": "signer", "agent": "agent", "role": "role", "scope": "scope", "asset": "asset",
    "vault": "vault", "feed": "feed", "param": "param", "metric": "metric", "score": "score",
    "breaker": "breaker", "invariant": "invariant", "group": "group", "read": "read",
}
INT256_MAX = 2**255 - 1


@dataclass
class Sink:
    """Collects the diagnostics of one phase (append-only)."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, span: Span, *, help: str | None = None,
              labels: Iterable[Label] = ()) -> None:
        self.items.append(Diagnostic(code=code, severity="error", message=message, span=span,
                                     help=help, labels=tuple(labels)))

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)


@dataclass(frozen=True)
class Symbol:
    kind: str
    decl: ast.Decl


class Symbols:
    """Every declared name (unique across kinds) and what it names."""

    def __init__(self, decls: Iterable[ast.Declaration], sink: Sink) -> None:
        self.sink = sink
        self.table: dict[str, Symbol] = {}
        for decl in decls:
            kind = _decl_kind(decl)
            if kind is None or not isinstance(decl, ast.Decl):
                continue
            name = decl.name
            if name.text in reserved_words():
                sink.error(C.KEYWORD_NAME, f"`{name.text}` is a keyword and cannot be a name",
                           name.span, help=f"rename it, e.g. `{name.text}_`")
                continue
            first = self.table.get(name.text)
            if first is not None:
                sink.error(C.DUPLICATE_NAME, f"`{name.text}` is declared twice", name.span,
                           labels=[Label(span=first.decl.name.span,
                                         message=f"first declared here as a {first.kind}")])
                continue
            self.table[name.text] = Symbol(kind, decl)

    def names_of(self, kinds: Iterable[str]) -> list[str]:
        wanted = set(kinds)
        return [n for n, s in self.table.items() if s.kind in wanted]

    def resolve(self, name: ast.Name, kinds: tuple[str, ...]) -> Symbol | None:
        """The symbol `name` refers to, if it is one of `kinds`; else report and return None."""
        what = " or ".join(f"a {KIND_WORD[k]}" for k in kinds)
        sym = self.table.get(name.text)
        if sym is None:
            self.sink.error(C.UNKNOWN_NAME, f"unknown name `{name.text}`, expected {what}",
                            name.span, help=did_you_mean(name.text, self.names_of(kinds)))
            return None
        if sym.kind not in kinds:
            self.sink.error(C.WRONG_KIND,
                            f"expected {what}, found {KIND_WORD[sym.kind]} `{name.text}`",
                            name.span, labels=[Label(span=sym.decl.name.span,
                                                     message="declared here")])
            return None
        return sym


def _decl_kind(decl: ast.Declaration) -> str | None:
    table: dict[type, str] = {
        ast.SignerDecl: "signer", ast.AgentDecl: "agent", ast.RoleDecl: "role",
        ast.ScopeDecl: "scope", ast.AssetDecl: "asset", ast.VaultDecl: "vault",
        ast.FeedDecl: "feed", ast.ParamDecl: "param", ast.MetricDecl: "metric",
        ast.ScoreDecl: "score", ast.BreakerDecl: "breaker", ast.InvariantDecl: "invariant",
        ast.GroupDecl: "group", ast.ReadDecl: "read",
    }
    return table.get(type(decl))


def integer(num: ast.Number, sink: Sink, what: str, *, lo: int | None = None,
            hi: int | None = None) -> int | None:
    """An integer literal within [lo, hi]; report fractions and out-of-range values."""
    value = num.value
    if value.denominator != 1:
        sink.error(C.NOT_INTEGER, f"{what} must be a whole number, found `{num.raw}`", num.span)
        return None
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"from {lo} to {hi}" if lo is not None and hi is not None else (
            f"at least {lo}" if lo is not None else f"at most {hi}")
        sink.error(C.OUT_OF_RANGE, f"{what} must be {bounds}, found `{num.raw}`", num.span)
        return None
    return int(value)


def scaled(value: Fraction, decimals: int, raw: str, span: Span, sink: Sink,
           unit: str) -> int | None:
    """`value` whole units in base units of `decimals`; report digits that do not fit."""
    base = value * 10**decimals
    if base.denominator != 1:
        sink.error(C.FRACTION_DOES_NOT_FIT,
                   f"`{raw}` has more decimal places than `{unit}` ({decimals} decimals)", span)
        return None
    return int(base)


MAX_DURATION = 2**32 - 1  # about 136 years: timestamps plus durations stay far inside uint64


def _too_long(d: ast.Duration, sink: Sink) -> bool:
    if d.seconds > MAX_DURATION:
        sink.error(C.OUT_OF_RANGE, f"`{d.raw}` is too long (at most {MAX_DURATION} seconds, "
                                   "about 136 years)", d.span)
        return True
    return False


def seconds(d: ast.Duration, sink: Sink, what: str, *, positive: bool) -> int:
    value = d.seconds
    if _too_long(d, sink):
        return MAX_DURATION
    if positive and value == 0:
        sink.error(C.ZERO_DURATION, f"{what} must be longer than zero", d.span)
    return value


def window(d: ast.Duration, sink: Sink) -> int:
    value = d.seconds
    if _too_long(d, sink):
        return MAX_DURATION
    if value == 0 or value % 12:
        sink.error(C.BAD_WINDOW, f"a window must be a positive multiple of 12 seconds, "
                                 f"found `{d.raw}`", d.span,
                   help="windows are 12 buckets of equal whole seconds (docs/semantics.md)")
    return value


def address(addr: ast.Address, sink: Sink) -> str | None:
    text = addr.text
    hexpart = text[2:]
    if len(hexpart) != 40 or any(ch not in "0123456789abcdefABCDEF" for ch in hexpart):
        sink.error(C.BAD_ADDRESS, f"`{text}` is not an address (0x and 40 hex digits)",
                   addr.span)
        return None
    mixed = hexpart != hexpart.lower() and hexpart != hexpart.upper()
    checksummed: str = to_checksum_address(text.lower())
    if mixed and not is_checksum_address(text):
        sink.error(C.BAD_CHECKSUM, f"`{text}` fails its EIP-55 checksum", addr.span,
                   help=f"did you mean `{checksummed}`?")
        return None
    return checksummed
