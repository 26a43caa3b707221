"""Write a trace: the header, blocks one at a time (compact: defaults left out), the end line."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from types import TracebackType
from typing import IO

from interlock.backtest.trace import Block, End, Header


class TraceWriter:
    """`with TraceWriter(path, header) as w: w.write(block)`; gzip when `path` ends in `.gz`
    (written with mtime 0, so the same trace gives the same bytes)."""

    def __init__(self, path: str | Path, header: Header) -> None:
        self.path = Path(path)
        self.count = 0
        self._out: IO[str]
        if self.path.suffix == ".gz":
            raw = open(self.path, "wb")  # noqa: SIM115 (closed in close())
            self._raw: IO[bytes] | None = raw
            zipped = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="")
            self._out = io.TextIOWrapper(zipped, encoding="utf-8")
        else:
            self._raw = None
            self._out = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        self._out.write(header.model_dump_json(exclude_defaults=True) + "\n")

    def write(self, block: Block) -> None:
        self._out.write(block.model_dump_json(exclude_defaults=True) + "\n")
        self.count += 1

    def close(self) -> None:
        self._out.write(End(end=True, blocks=self.count).model_dump_json() + "\n")
        self._out.close()
        if self._raw is not None:
            self._raw.close()

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:  # an interrupted write leaves a trace without its end line: readers reject it
            self._out.close()
            if self._raw is not None:
                self._raw.close()
