"""The trace format: schema, streaming reader, and its errors (`file:line: error[CODE]`)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import jsonschema
import pytest

from interlock.backtest.reader import TraceError, TraceReader
from interlock.backtest.schema import SCHEMA_FILE, trace_line_schema, trace_schema_text
from interlock.cli import main
from tests.backtest.tracekit import drain_blocks, write

ROOT = Path(__file__).resolve().parents[2]
RULES = str(ROOT / "examples" / "perp_venue.guard")


def test_checked_in_schema_is_the_models() -> None:
    assert (ROOT / "schemas" / SCHEMA_FILE).read_text() == trace_schema_text()


def test_every_line_of_a_written_trace_validates_against_the_schema(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl", drain_blocks([10, 20]))
    validator = jsonschema.Draft202012Validator(trace_line_schema())
    for line in path.read_text().splitlines():
        validator.validate(json.loads(line))


def test_gzip_and_plain_read_the_same(tmp_path: Path) -> None:
    plain = write(tmp_path / "t.jsonl", drain_blocks([10, 20]))
    zipped = write(tmp_path / "t.jsonl.gz", drain_blocks([10, 20]))
    assert gzip.decompress(zipped.read_bytes()) == plain.read_bytes()
    a = [b for _, b in TraceReader.open(plain).blocks()]
    b = [b for _, b in TraceReader.open(zipped).blocks()]
    assert a == b and len(a) == 4


def _error(path: Path) -> TraceError:
    with pytest.raises(TraceError) as info:
        for _ in TraceReader.open(path).blocks():
            pass
    return info.value


def _lines(tmp_path: Path) -> list[str]:
    return write(tmp_path / "ok.jsonl", drain_blocks([10, 20])).read_text().splitlines()


def _bad(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("edit", "code", "line", "words"), [
    (lambda ls: ls[:-1], "T0005", 5, "without its `end` line"),
    (lambda ls: [*ls[:3], ls[3][:20]], "T0002", 4, "cut off"),
    (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], "T0004", 3, "follows block 101"),
    (lambda ls: [*ls[:2], ls[2].replace('"amount":10000000', '"amount":-5'), *ls[3:]],
     "T0003", 3, "`flows.0.amount`"),
    (lambda ls: [*ls[:2], ls[2].replace('"block"', '"blok"'), *ls[3:]], "T0003", 3,
     "missing field"),
    (lambda ls: [ls[0].replace('"version":1', '"version":7'), *ls[1:]], "T0003", 1,
     "unsupported trace version `7`"),
    (lambda ls: [*ls[:-1], '{"end":true,"blocks":9}'], "T0005", 6, "counts 9 blocks"),
])
def test_bad_traces_name_file_line_and_code(tmp_path: Path, edit, code, line, words) -> None:  # type: ignore[no-untyped-def]
    path = _bad(tmp_path, edit(_lines(tmp_path)))
    err = _error(path)
    assert (err.code, err.line) == (code, line), str(err)
    assert words in err.message
    assert str(err).startswith(f"{path}:{line}: error[{code}]: ")


def test_a_cut_gzip_stream_is_truncated(tmp_path: Path) -> None:
    path = write(tmp_path / "t.jsonl.gz", drain_blocks([10] * 50))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(path.read_bytes()[:-30])
    assert _error(cut).code == "T0005"


def test_cli_reports_a_bad_trace_with_exit_2_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bad(tmp_path, _lines(tmp_path)[:-1])
    assert main(["backtest", RULES, str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"{path}:5: error[T0005]: the trace ends after 4 blocks without its `end` "
                   "line (truncated?)\n")


def test_a_trace_that_does_not_fit_the_rules(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    lines = _lines(tmp_path)
    path = _bad(tmp_path, [*lines[:2], lines[2].replace('"vault":"pool"', '"vault":"tank"'),
                           *lines[3:]])
    assert main(["backtest", RULES, str(path)]) == 2
    assert "bad.jsonl:3: error[T0006]: the rules declare no vault `tank`" in capsys.readouterr().err


def test_memory_is_flat_in_trace_length(tmp_path: Path) -> None:
    import tracemalloc

    def peak(n: int) -> int:
        path = write(tmp_path / f"{n}.jsonl.gz", drain_blocks([1] * n))
        tracemalloc.start()
        for _ in TraceReader.open(path).blocks():
            pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(200), peak(4000)
    assert large < small * 1.5 + 200_000
