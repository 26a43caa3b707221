"""Custom state reads -> IR: `read debt = call 0x... "totalSupply()(uint256)" USDC`.

The signature string is type-checked here, once, so no back end ever parses text: it must be
`NAME(TYPES)(TYPE)` with ABI types (eth-abi's grammar, `uint` normalised to `uint256`), exactly
one integer return (`uintN` / `intN`), and one constant argument per parameter type (an
address or a declared asset, vault or feed for `address`; an integer in range for `uintN` /
`intN`; `bool` as `0` or `1`). A diagnostic's caret points at the offending part of the string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from eth_abi.grammar import BasicType, normalize, parse
from eth_utils.address import to_checksum_address

from interlock.dsl import ast
from interlock.dsl.analysis.common import Sink, Symbols, address
from interlock.ir import codes as C
from interlock.ir import nodes as ir

_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
TARGET_KINDS = ("asset", "vault", "feed")
_INT = re.compile(r"u?int[0-9]+$")
ARG_HELP = "arguments are `address`, `uintN`, `intN` or `bool` constants"


class _Bad(ValueError):
    """A signature error: the message and the offending part's offset in the string."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.start, self.end = start, end


def _group(text: str, start: int, what: str) -> tuple[list[tuple[str, int]], int]:
    """The comma-separated items of the parenthesised list at `start` (each with its offset),
    nested parentheses kept whole, and the offset just after its `)`."""
    if start >= len(text) or text[start] != "(":
        raise _Bad(f"expected the {what} in parentheses, e.g. `totalSupply()(uint256)`",
                   min(start, len(text) - 1), min(start + 1, len(text)))
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return _items(text[start + 1:i], start + 1), i + 1
    raise _Bad("unbalanced parentheses in the signature", start, len(text))


def _items(inner: str, base: int) -> list[tuple[str, int]]:
    if not inner.strip():
        return []
    out, depth, first = [], 0, 0
    for i, ch in enumerate(inner + ","):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            piece = inner[first:i]
            out.append((piece.strip(), base + first + len(piece) - len(piece.lstrip())))
            first = i + 1
    return out


def _abi_type(text: str, at: int) -> str:
    """The canonical form of an ABI type, or `_Bad`."""
    bad = _Bad(f"`{text}` is not a Solidity ABI type", at, at + max(len(text), 1))
    try:
        canonical = str(normalize(text))  # type: ignore[no-untyped-call]
        parsed = parse(canonical)
        parsed.validate()
    except Exception:
        raise bad from None
    if isinstance(parsed, BasicType) and parsed.base not in (
            "address", "bool", "uint", "int", "bytes", "string", "fixed", "ufixed"):
        raise bad
    return canonical


def split_signature(sig: str) -> tuple[str, list[tuple[str, int]], list[tuple[str, int]]]:
    """`balanceOf(address)(uint256)` -> name, parameter types and return types, canonical,
    each with its offset in `sig`; `_Bad` when it is not of that form."""
    m = _NAME.match(sig)
    if m is None:
        raise _Bad("a read's signature is `name(types)(type)`, e.g. `totalSupply()(uint256)`",
                   0, max(len(sig), 1))
    params, after = _group(sig, m.end(), "parameter types")
    returns, end = _group(sig, after, "return type")
    if end != len(sig):
        raise _Bad(f"unexpected `{sig[end:]}` after the return types", end, len(sig))
    return (m.group(), [(_abi_type(t, at), at) for t, at in params],
            [(_abi_type(t, at), at) for t, at in returns])


def _part(span: ir.Span, start: int, end: int) -> ir.Span:
    """The span of characters `[start, end)` of a signature whose string starts at `span`."""
    if span.line != span.end_line:
        return span
    return span.model_copy(update={"column": span.column + 1 + start,
                                   "end_column": span.column + 1 + end})


def _int_range(abi: str) -> tuple[int, int]:
    bits = int(abi.removeprefix("u").removeprefix("int"))
    return (0, 2**bits - 1) if abi.startswith("u") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _constant(arg: ast.ReadArg, abi: str, sink: Sink, symbols: Symbols,
              located: Mapping[str, str]) -> str | None:
    """One argument as the IR keeps it (a checksummed address or a decimal integer)."""
    if abi == "address":
        if isinstance(arg, ast.Address):
            return address(arg, sink)
        if isinstance(arg, ast.Name):
            return located[arg.text] if symbols.resolve(arg, TARGET_KINDS) else None
        sink.error(C.READ_ARGUMENTS, f"`{arg.raw}` is not an address, the parameter is "
                                     "`address`", arg.span, help=ARG_HELP)
        return None
    if not isinstance(arg, ast.Number):
        sink.error(C.READ_ARGUMENTS, f"`{arg.text}` is not a number, the parameter is `{abi}`",
                   arg.span, help=ARG_HELP)
        return None
    lo, hi = (0, 1) if abi == "bool" else _int_range(abi)
    value = arg.value
    if value.denominator != 1 or not lo <= value <= hi:
        sink.error(C.READ_ARGUMENT_RANGE, f"`{arg.raw}` is not a `{abi}` (whole numbers "
                                          f"from {lo} to {hi})", arg.span)
        return None
    return str(int(value))


def read(d: ast.ReadDecl, symbols: Symbols, sink: Sink, located: Mapping[str, str],
         unit_of: Callable[[ast.Name], str | None]) -> ir.StateRead | None:
    """The checked read, or None after reporting every problem of its declaration."""
    target: str | None
    if isinstance(d.target, ast.Address):
        target = address(d.target, sink)
    else:
        target = located[d.target.text] if symbols.resolve(d.target, TARGET_KINDS) else None
    unit = unit_of(d.unit) if d.unit is not None else None
    sig = d.signature
    try:
        name, params, returns = split_signature(sig.text)
    except _Bad as bad:
        sink.error(C.BAD_READ_SIGNATURE, str(bad), _part(sig.span, bad.start, bad.end),
                   help="e.g. `\"totalSupply()(uint256)\"` or `\"balanceOf(address)(uint256)\"`")
        return None
    if len(returns) != 1 or not _INT.match(returns[0][0]):
        where = returns[0][1] if returns else len(sig.text) - 1
        got = ", ".join(f"`{t}`" for t, _ in returns) or "nothing"
        sink.error(C.READ_NOT_INTEGER, f"a read returns one integer (`uintN` or `intN`), "
                                       f"`{name}` returns {got}",
                   _part(sig.span, where, len(sig.text)),
                   help="a metric is a number: read a function returning `uint256` or `int256`")
        return None
    bad_types = [(t, at) for t, at in params if not (_INT.match(t) or t in ("address", "bool"))]
    if bad_types:
        t, at = bad_types[0]
        sink.error(C.READ_ARGUMENTS, f"a read cannot pass a `{t}` argument", _part(
            sig.span, at, at + len(t)), help=ARG_HELP)
        return None
    if len(d.args) != len(params):
        sink.error(C.READ_ARGUMENTS, f"`{name}` takes {len(params)} argument"
                                     f"{'' if len(params) == 1 else 's'}, "
                                     f"{len(d.args)} given", d.args[-1].span if d.args else
                   sig.span, help=ARG_HELP)
        return None
    args = [_constant(a, t, sink, symbols, located) for a, (t, _) in zip(d.args, params,
                                                                         strict=True)]
    if target is None or (d.unit is not None and unit is None) or None in args:
        return None
    return ir.StateRead(name=d.name.text, address=to_checksum_address(target), function=name,
                        arg_types=tuple(t for t, _ in params),
                        args=tuple(a for a in args if a is not None),
                        returns=returns[0][0], unit=unit, span=d.span)


def read_unit(r: ir.StateRead, symbols: Symbols) -> str:
    """The unit a read has in conditions: `asset:NAME`, `feed:NAME`, or `count` (an integer)."""
    return "count" if r.unit is None else f"{symbols.table[r.unit].kind}:{r.unit}"
