"""`interlock fmt`: canonical text with every comment kept.

Layout rules: one declaration per line (blocks `score`/`breaker` one item per line, indented
two spaces; a `then` list longer than 100 columns continues under its first effect); single
spaces between tokens; at most one blank line, kept where the source had one; runs of
declarations of one kind (not broken by a blank line; `signer` and `agent` together) aligned on
their names. A comment on its own line stays on its own line before what followed it; a comment
at the end of a line stays at the end of the line that holds that code (when one output line
stands for several source lines, all but the last such comment move above it)."""

from __future__ import annotations

from dataclasses import dataclass

from interlock.dsl import ast
from interlock.dsl.parser import parse
from interlock.dsl.printer import Line, decl_lines
from interlock.ir.diagnostics import Diagnostic


class FormatError(Exception):
    """The text does not parse, so it cannot be formatted."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__(diagnostics[0].message if diagnostics else "syntax error")
        self.diagnostics = diagnostics


def format_source(text: str, path: str) -> str:
    parsed = parse(text, path)
    if parsed.module is None:
        raise FormatError(parsed.diagnostics)
    return format_module(parsed.module, text)


@dataclass
class _Item:
    line: Line | None  # a code line, or None for a comment on its own line
    comment: ast.Comment | None  # the own-line comment, or the code line's trailing one
    indent: int
    first: int  # source lines it stands for
    last: int


def format_module(module: ast.Module, text: str) -> str:
    src = text.split("\n")
    comments = sorted(module.comments, key=lambda c: (c.span.line, c.span.column))
    items: list[_Item] = []
    ci = 0
    for line in (ln for d in module.decls for ln in decl_lines(d)):
        while ci < len(comments) and comments[ci].span.line < line.first:
            items.append(_comment(comments[ci], line.indent))
            ci += 1
        attached = []
        while ci < len(comments) and comments[ci].span.line <= line.last:
            attached.append(comments[ci])
            ci += 1
        trailing = attached.pop() if attached and _is_trailing(attached[-1], src) else None
        items += [_comment(c, line.indent) for c in attached]
        items.append(_Item(line, trailing, line.indent, line.first, line.last))
    items += [_comment(c, 0) for c in comments[ci:]]
    return "\n".join(_render(items, src)) + "\n"


def _comment(c: ast.Comment, indent: int) -> _Item:
    return _Item(None, c, indent, c.span.line, c.span.line)


def _is_trailing(c: ast.Comment, src: list[str]) -> bool:
    return bool(src[c.span.line - 1][: c.span.column - 1].strip())


def _render(items: list[_Item], src: list[str]) -> list[str]:
    out: list[str] = []
    widths = _widths(items, src)
    prev_last = 0
    for n, item in enumerate(items):
        if prev_last and _blank_between(src, prev_last, item.first):
            out.append("")
        prev_last = max(prev_last, item.last)
        pad = " " * item.indent
        if item.line is None:
            assert item.comment is not None
            out.append(pad + item.comment.text)
            continue
        cols = [c.ljust(w) for c, w in zip(item.line.cols, widths.get(n, []), strict=False)]
        code = (pad + " ".join([*cols, item.line.text])).rstrip()
        out.append(f"{code}  {item.comment.text}" if item.comment else code)
    return out


def _widths(items: list[_Item], src: list[str]) -> dict[int, list[int]]:
    """Column widths for runs of consecutive code lines of one alignment group (`signer` and
    `agent` lines form one group: keywords aligned, names aligned per keyword)."""
    widths: dict[int, list[int]] = {}
    n = 0
    while n < len(items):
        line = items[n].line
        if line is None or line.group is None:
            n += 1
            continue
        end, last_code = n + 1, n
        while end < len(items) and not _blank_between(src, items[end - 1].last, items[end].first):
            nxt = items[end].line
            if nxt is not None and nxt.group != line.group:
                break
            if nxt is not None:
                last_code = end
            end += 1  # own-line comments do not break a run
        members = [k for k in range(n, last_code + 1) if items[k].line is not None]
        run = [ln for k in members if (ln := items[k].line) is not None]
        for k in members:
            this = items[k].line
            assert this is not None
            # the keyword column over the whole run; the others over lines of the same keyword
            # that have something after the column (nothing to align otherwise)
            same = [ln for ln in run if ln.cols[0] == this.cols[0]]
            widths[k] = [max(len(ln.cols[0]) for ln in run)] + [
                max([len(ln.cols[c]) for ln in same if c + 1 < len(ln.cols) or ln.text] or [0])
                for c in range(1, len(this.cols))]
        n = last_code + 1
    return widths


def _blank_between(src_lines: list[str], last: int, first: int) -> bool:
    return any(not src_lines[n - 1].strip() for n in range(last + 1, first)
               if 0 < n <= len(src_lines))
