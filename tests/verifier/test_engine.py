"""The engine: dispatch, order, isolation (timeouts, crashes, errors), parallel jobs, progress."""

from __future__ import annotations

import os
import time

import pytest

from interlock.ir import nodes as ir
from interlock.verifier import engine
from interlock.verifier.engine import Progress, verify
from interlock.verifier.result import PropertyResult

SPAN = ir.Span(file="t.guard", line=3, column=1, end_line=3, end_column=10)


def coalition_program(n_invariants: int = 2) -> ir.Program:
    """Two signers of one entity; a 2-of-2 role: signer-safe, entity-unilateral."""
    signers = tuple(
        ir.Signer(name=n, address=f"0x{i + 1:040x}", entity="org", index=i, span=SPAN)
        for i, n in enumerate(("alice", "bob"))
    )
    role = ir.Role(
        name="ops",
        expr=ir.Threshold(k=2, members=tuple(ir.SignerMember(name=n) for n in ("alice", "bob"))),
        delay=0,
        span=SPAN,
    )
    power = ir.Power(
        id=0, role="ops", kind="unpause", targets=("s",), max_duration=None, within=None,
        cooldown=None, when=None, delay=0, span=SPAN,
    )
    props: list[ir.Property] = [
        ir.NoUnilateralProp(by="signer", except_kinds=()),
        ir.NoUnilateralProp(by="entity", except_kinds=()),
    ]
    invariants = tuple(
        ir.Invariant(name=f"inv{i}", prop=props[i % 2], span=SPAN) for i in range(n_invariants)
    )
    return ir.Program(
        protocol="T", source_path="t.guard", source_sha256="0" * 64, signers=signers, agents=(),
        roles=(role,), scopes=(ir.Scope(name="s", index=0, max_pause=None, gap=None, span=SPAN),),
        assets=(), vaults=(), feeds=(), params=(), metrics=(), scores=(), breakers=(),
        powers=(power,), invariants=invariants, span=SPAN,
    )


def test_dispatches_coalition_properties_in_order() -> None:
    events: list[Progress] = []
    results = verify(coalition_program(4), timeout_s=10, jobs=2, on_progress=events.append)
    assert [r.name for r in results] == ["inv0", "inv1", "inv2", "inv3"]
    assert [r.status for r in results] == ["proved", "violated", "proved", "violated"]
    assert results[1].counterexample is not None
    assert results[1].counterexample.timeline[0].actor == "org"
    assert sorted(e.name for e in events if e.event == "start") == ["inv0", "inv1", "inv2", "inv3"]
    done = [e for e in events if e.event == "done"]
    assert len(done) == 4 and all(e.result is not None and e.total == 4 for e in done)


def test_in_process_gives_the_same_answers() -> None:
    prog = coalition_program(2)
    isolated = verify(prog, timeout_s=10)
    inline = verify(prog, timeout_s=10, isolate=False)
    assert [r.status for r in isolated] == [r.status for r in inline]
    assert isolated[1].counterexample == inline[1].counterexample


def _stuck(program: ir.Program, invariant: ir.Invariant, timeout_s: float) -> PropertyResult:
    time.sleep(3600)
    raise AssertionError("unreachable")


def _crash(program: ir.Program, invariant: ir.Invariant, timeout_s: float) -> PropertyResult:
    os._exit(7)


def _bug(program: ir.Program, invariant: ir.Invariant, timeout_s: float) -> PropertyResult:
    raise ZeroDivisionError("division by zero")


def test_stuck_checker_is_killed_and_reported_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "check_property", _stuck)
    monkeypatch.setattr(engine, "KILL_GRACE_S", 0.2)
    start = time.perf_counter()
    (result,) = verify(coalition_program(1), timeout_s=0.5)
    assert time.perf_counter() - start < 60  # killed, not left sleeping for an hour
    assert result.status == "unknown" and result.method == "timeout"
    assert result.reason == "timeout: no answer within 0.5s"


def test_parallel_jobs_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "check_property", _stuck)
    monkeypatch.setattr(engine, "KILL_GRACE_S", 0.0)
    events: list[Progress] = []
    results = verify(coalition_program(3), timeout_s=0.5, jobs=2, on_progress=events.append)
    assert all(r.status == "unknown" for r in results)
    kinds = [(e.event, e.index) for e in events]
    # two workers started before the first finished; the third waited for a free slot
    assert kinds[:2] == [("start", 0), ("start", 1)]
    assert kinds.index(("start", 2)) > min(kinds.index(("done", 0)), kinds.index(("done", 1)))


def test_crashed_worker_is_unknown_not_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "check_property", _crash)
    (result,) = verify(coalition_program(1), timeout_s=5)
    assert result.status == "unknown"
    assert result.reason == "internal error: worker exited (7)"


def test_checker_exception_is_unknown_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "check_property", _bug)
    (result,) = verify(coalition_program(1), timeout_s=5)
    assert result.status == "unknown" and result.method == "error"
    assert result.reason == "internal error: ZeroDivisionError: division by zero"


def test_no_invariants() -> None:
    assert verify(coalition_program(0)) == ()
