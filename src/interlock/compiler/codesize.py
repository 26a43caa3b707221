"""Runtime code size of a compiled guard against EIP-170, and which rules cost the bytes.

    too_large(program, compiled)  # -> [SizeReport] for each contract over 24,576 bytes

Where the bytes go is read from solc's own output, not from recompiling variants (one solcjs
compile of a 20-scope guard takes 15-20 s here; one per rule would take minutes): the runtime
source map gives every instruction of the deployed code a source range, and the generated
guard dispatches per rule in blocks we can find in its text — `if (ruleId == N) {...}` and
`if (ruleId == N) return ...` for breaker N, `if (op.power == N) {...}` and
`if (power == N) return ...` for power N, `if (scope == N) return ...` for scope N. An
instruction counts for the rule whose block contains the start of its source range; the
rest (helpers such as `_pause`, the signature check, the ABI dispatcher, code solc generates)
is shared. The figure is what removing the rule's own blocks would save, roughly: the
optimizer can merge or move code, so it is a ranking, not an exact saving.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from interlock.compiler.solc import CompiledContract, CompileResult
from interlock.ir.codes import TOO_LARGE
from interlock.ir.diagnostics import Diagnostic, Label
from interlock.ir.nodes import PauseEffect, Program, Span

EIP170_LIMIT = 24_576  # bytes of deployed code (EIP-170)
TOP = 5  # costs named in a diagnostic

_BLOCK = re.compile(r"^\s*if \((ruleId|op\.power|power|scope) == (\d+)\) (\{|return)")
_KIND = {"ruleId": "breaker", "op.power": "power", "power": "power", "scope": "scope"}


@dataclass(frozen=True)
class Cost:
    kind: str  # "breaker", "power" or "scope"
    index: int  # rule id, power id or scope index
    label: str  # `breaker drain`, `allow guardian to pause *`, `scope withdraw`
    span: Span  # the declaration in the rule file
    size: int  # bytes of runtime code attributed to it


@dataclass(frozen=True)
class SizeReport:
    contract: str
    size: int
    costs: tuple[Cost, ...]  # largest first


def runtime_size(contract: CompiledContract) -> int:
    return (len(contract.deployed_bytecode) - 2) // 2


def too_large(program: Program, compiled: CompileResult) -> list[SizeReport]:
    """Every contract of `compiled` whose runtime code exceeds EIP-170, with its costs."""
    out = []
    for key, contract in sorted(compiled.contracts.items()):
        if ":" in key and runtime_size(contract) > EIP170_LIMIT:
            costs = rule_costs(program, contract, compiled)
            out.append(SizeReport(contract.name, runtime_size(contract), costs))
    return out


def rule_costs(
    program: Program, contract: CompiledContract, compiled: CompileResult
) -> tuple[Cost, ...]:
    """The bytes of `contract`'s runtime code attributed to each breaker, power and scope
    (its code may come from any of the compiled files: `NAMEGuard` is `NAMEGuarded`'s)."""
    files = {compiled.source_ids[n]: t for n, t in compiled.sources.items()
             if n in compiled.source_ids}
    starts = {i: _line_starts(t) for i, t in files.items()}
    owners = {i: _owners(t.splitlines()) for i, t in files.items()}
    sizes: Counter[tuple[str, int]] = Counter()
    for size, offset, file in instructions(contract.deployed_bytecode, contract.source_map):
        if file not in files or offset < 0:
            continue  # code solc generated itself (ABI coding, checked arithmetic)
        item = owners[file].get(_line_of(starts[file], offset))
        if item is not None:
            sizes[item] += size
    costs = [_cost(program, kind, index, n) for (kind, index), n in sizes.items()]
    return tuple(sorted((c for c in costs if c is not None), key=lambda c: (-c.size, c.label)))


def _cost(program: Program, kind: str, index: int, size: int) -> Cost | None:
    if kind == "breaker" and index < len(program.breakers):
        b = program.breakers[index]
        return Cost(kind, index, f"breaker {b.name}", b.span, size)
    if kind == "power" and index < len(program.powers):
        p = program.powers[index]
        targets = ", ".join(p.targets) if len(p.targets) <= 2 else f"{len(p.targets)} targets"
        label = f"allow {p.role} to {p.kind} {targets}"
        return Cost(kind, index, label, p.span, size)
    if kind == "scope" and index < len(program.scopes):
        s = program.scopes[index]
        return Cost(kind, index, f"scope {s.name}", s.span, size)
    return None


def _owners(lines: list[str]) -> dict[int, tuple[str, int]]:
    """0-based line -> (kind, index) for the lines of each rule's dispatch blocks."""
    owner: dict[int, tuple[str, int]] = {}
    for i, line in enumerate(lines):
        m = _BLOCK.match(line)
        if m is None:
            continue
        item = (_KIND[m.group(1)], int(m.group(2)))
        end = _block_end(lines, i) if m.group(3) == "{" else i
        for j in range(i, end + 1):
            owner.setdefault(j, item)
    return owner


def _block_end(lines: list[str], start: int) -> int:
    depth = 0
    for j in range(start, len(lines)):
        depth += lines[j].count("{") - lines[j].count("}")
        if depth <= 0:
            return j
    return len(lines) - 1


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts


def _line_of(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:  # the last line start <= offset
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


def instructions(bytecode: str, source_map: str) -> Iterator[tuple[int, int, int]]:
    """(bytes, source offset, source file id) of each instruction of `bytecode`, from solc's
    compressed source map (`s:l:f:j:m;...`, an empty field repeats the previous entry's)."""
    code = bytes.fromhex(bytecode.removeprefix("0x"))
    entries = source_map.split(";") if source_map else []
    pc, s, f = 0, -1, -1
    for entry in entries:
        if pc >= len(code):
            return
        fields = entry.split(":")
        if fields and fields[0]:
            s = int(fields[0])
        if len(fields) > 2 and fields[2]:
            f = int(fields[2])
        op = code[pc]
        size = 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)  # PUSH1..PUSH32 carry data
        yield size, s, f
        pc += size


def scope_costs(program: Program, costs: tuple[Cost, ...]) -> list[tuple[str, int]]:
    """Bytes per scope: its own blocks, the breakers that pause only it and the powers whose
    only target it is (what dropping the scope with its rules would save), largest first."""
    totals: Counter[str] = Counter()
    for c in costs:
        scopes = _scopes_of(program, c)
        if len(scopes) == 1:
            totals[scopes.pop()] += c.size
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))


def _scopes_of(program: Program, cost: Cost) -> set[str]:
    if cost.kind == "scope":
        return {program.scopes[cost.index].name}
    if cost.kind == "power":
        p = program.powers[cost.index]
        return set(p.targets) if p.kind in ("pause", "unpause", "extend", "unblock") else set()
    b = program.breakers[cost.index]
    return {s for e in b.effects if isinstance(e, PauseEffect) for s in e.scopes}


def size_diagnostic(program: Program, report: SizeReport) -> Diagnostic:
    """E0601 at the `protocol` line, the costliest rules as labels at their declarations."""
    by_kind: Counter[str] = Counter()
    for c in report.costs:
        by_kind[c.kind] += c.size
    kinds = ", ".join(f"{k}s {n:,}" for k, n in sorted(by_kind.items(), key=lambda kv: -kv[1]))
    kinds += f", shared {report.size - sum(by_kind.values()):,}"
    scopes = ", ".join(f"`{s}` {n:,}" for s, n in scope_costs(program, report.costs)[:TOP])
    span = program.span
    line = Span(file=span.file, line=span.line, column=span.column, end_line=span.line,
                end_column=span.column + len(f"protocol {program.protocol}"))
    return Diagnostic(
        code=TOO_LARGE,
        severity="error",
        message=(f"`{report.contract}` is {report.size:,} bytes of runtime code, over "
                 f"EIP-170's {EIP170_LIMIT:,}: no chain would deploy it"),
        span=line,
        labels=tuple(Label(span=c.span, message=f"`{c.label}`: {c.size:,} bytes")
                     for c in report.costs[:TOP]),
        help=(f"bytes by kind: {kinds}; costliest scopes with their "
              f"rules: {scopes or 'none'}. Split the rules into two protocols or drop rules "
              "(`--optimizer-runs 1` trims only about 1%)"),
    )
