"""Read a trace as a stream: the header, then one validated `Block` at a time (flat memory).

Every problem is a `TraceError` naming the file and line (docs/backtest.md lists the codes):
an unreadable file or a broken gzip stream, a line that is not JSON, a line that violates the
schema, blocks out of order, a missing `End` line (a truncated trace) or an `End` whose count
disagrees with the blocks read.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from interlock.backtest.trace import READABLE_VERSIONS, TRACE_FORMAT, Block, End, Header

UNREADABLE = "T0001"
NOT_JSON = "T0002"
SCHEMA = "T0003"
ORDER = "T0004"
TRUNCATED = "T0005"
MISMATCH = "T0006"  # the trace does not fit the rules (used by the backtest)


class TraceError(Exception):
    """`path:line: error[CODE]: message` — a bad trace, never a traceback."""

    def __init__(self, path: str, line: int, code: str, message: str) -> None:
        super().__init__(f"{path}:{line}: error[{code}]: {message}")
        self.path, self.line, self.code, self.message = path, line, code, message


def _open(path: str) -> IO[str]:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _validation_message(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    msg = str(first["msg"]).lower()
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    elif first["type"] == "missing":
        msg = "missing field"
    return f"`{where}`: {msg}" if where else msg


@dataclass
class TraceReader:
    """Iterate a trace file: `header` is read on open, `blocks()` streams the rest."""

    path: str
    header: Header
    _lines: Iterator[tuple[int, str]]
    _stream: IO[str]

    @classmethod
    def open(cls, path: str | Path) -> TraceReader:
        p = str(path)
        try:
            stream = _open(p)
        except OSError as err:
            raise TraceError(p, 1, UNREADABLE, f"cannot read `{p}`: "
                             f"{(err.strerror or str(err)).lower()}") from None
        lines = _numbered(p, stream)
        first = next(lines, None)
        if first is None:
            raise TraceError(p, 1, TRUNCATED, "empty trace: expected a header line")
        number, text = first
        raw = _json(p, number, text)
        if not isinstance(raw, dict) or raw.get("format") != TRACE_FORMAT:
            raise TraceError(p, number, SCHEMA, "the first line must be a header with "
                             f"`\"format\": \"{TRACE_FORMAT}\"`")
        if raw.get("version") not in READABLE_VERSIONS:
            raise TraceError(p, number, SCHEMA, f"unsupported trace version "
                             f"`{raw.get('version')}` (this interlock reads versions "
                             f"{', '.join(map(str, READABLE_VERSIONS))})")
        try:
            header = Header.model_validate(raw)
        except ValidationError as err:
            raise TraceError(p, number, SCHEMA, _validation_message(err)) from None
        return cls(p, header, lines, stream)

    def close(self) -> None:
        self._stream.close()

    def blocks(self) -> Iterator[tuple[int, Block]]:
        """Every block in order with its line number; raises `TraceError` at the first bad
        line."""
        prev: Block | None = None
        count = 0
        last_line = 1
        try:
            for number, text in self._lines:
                last_line = number
                raw = _json(self.path, number, text)
                if isinstance(raw, dict) and "end" in raw:
                    self._finish(number, raw, count)
                    return
                block = self._block(number, raw)
                _check_order(self.path, number, prev, block)
                prev = block
                count += 1
                yield number, block
        finally:
            self.close()
        raise TraceError(self.path, last_line, TRUNCATED,
                         f"the trace ends after {count} blocks without its `end` line "
                         "(truncated?)")

    def _block(self, number: int, raw: object) -> Block:
        try:
            return Block.model_validate(raw)
        except ValidationError as err:
            raise TraceError(self.path, number, SCHEMA, _validation_message(err)) from None

    def _finish(self, number: int, raw: dict[str, object], count: int) -> None:
        try:
            end = End.model_validate(raw)
        except ValidationError as err:
            raise TraceError(self.path, number, SCHEMA, _validation_message(err)) from None
        if end.blocks != count:
            raise TraceError(self.path, number, TRUNCATED,
                             f"the `end` line counts {end.blocks} blocks, the trace has {count}")
        for extra, _ in self._lines:
            raise TraceError(self.path, extra, SCHEMA, "nothing may follow the `end` line")


def _numbered(path: str, stream: IO[str]) -> Iterator[tuple[int, str]]:
    number = 0
    try:
        for number, text in enumerate(stream, start=1):
            if text.strip():
                yield number, text
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise TraceError(path, number + 1, TRUNCATED,
                         f"the gzip stream is broken ({str(err).lower() or 'cut off'})") from None
    except UnicodeDecodeError:
        raise TraceError(path, number + 1, UNREADABLE, "not UTF-8 text") from None


def _json(path: str, number: int, text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        cut = err.pos >= len(text.rstrip("\n")) - 1
        hint = " (the line is cut off: truncated?)" if cut else ""
        raise TraceError(path, number, NOT_JSON,
                         f"not JSON: {err.msg.lower()} at column {err.colno}{hint}") from None


def _check_order(path: str, number: int, prev: Block | None, block: Block) -> None:
    if prev is None:
        return
    if block.block != prev.block + 1:
        raise TraceError(path, number, ORDER, f"block {block.block} follows block {prev.block}: "
                         "blocks must be consecutive and in order")
    if block.time < prev.time:
        raise TraceError(path, number, ORDER, f"block {block.block}'s time {block.time} is "
                         f"before block {prev.block}'s time {prev.time}")


__all__ = ["MISMATCH", "TraceError", "TraceReader"]
