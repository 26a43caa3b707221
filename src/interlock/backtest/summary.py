"""The figures a backtest reports for one trace (docs/backtest.md, "What it reports")."""

from __future__ import annotations

from typing import Any

from interlock.backtest.results import Tally, TraceResult
from interlock.ir.nodes import Program


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _tally(t: Tally) -> dict[str, Any]:
    return {
        "count": t.count,
        "stopped": t.stopped,
        "stopped_share": _share(t.stopped, t.count),
        "value": dict(sorted(t.value.items())),
        "stopped_value": dict(sorted(t.stopped_value.items())),
        "out_without_rules": dict(sorted(t.out_without.items())),
        "out_with_rules": dict(sorted(t.out_with.items())),
    }


def _breakers(program: Program, r: TraceResult) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for b in program.breakers:
        firings = [f for f in r.firings if f.breaker == b.name]
        calls = [c for c in r.agent if c.breaker == b.name]
        out[b.name] = {
            "onchain": b.onchain,
            "firings": [{"block": f.block, "time": f.time, "by": f.by, "sender": f.sender,
                         "effects": list(f.effects)} for f in firings],
            "agent": [{"method": c.method, "sender": c.sender, "decided": c.decided,
                       "block": c.block, "accepted": c.accepted, "reason": c.reason}
                      for c in calls],
            "alerts": sum(1 for a in r.alerts if a.breaker == b.name),
        }
    return out


def _incident(r: TraceResult) -> dict[str, Any]:
    first = r.first_attack
    contained = r.containment()
    without, with_ = r.attacker.out_without, r.attacker.out_with
    out: dict[str, Any] = {
        "containable_expected": r.containable,
        "why_not": r.why_not,
        "first_malicious": None if first is None else {"block": first[0], "time": first[1]},
        "contained": contained is not None,
        "containment": None,
        "attacker_out_without_rules": dict(sorted(without.items())),
        "attacker_out_with_rules": dict(sorted(with_.items())),
        "saved": {a: v - with_.get(a, 0) for a, v in sorted(without.items())},
        "saved_share": {a: _share(v - with_.get(a, 0), v) for a, v in sorted(without.items())},
    }
    if contained is not None and first is not None:
        out["containment"] = {
            "breaker": contained.breaker, "by": contained.by, "block": contained.block,
            "time": contained.time, "seconds_after_first_malicious": contained.time - first[1],
            "blocks_after_first_malicious": contained.block - first[0],
        }
    return out


def summarize(program: Program, r: TraceResult) -> dict[str, Any]:
    """One trace's result as plain data (the JSON report; text and HTML render this)."""
    out: dict[str, Any] = {
        "path": r.path,
        "name": r.name,
        "kind": r.kind,
        "blocks": r.blocks,
        "first_block": r.first_block,
        "last_block": r.last_block,
        "start": r.start,
        "end": r.end,
        "firings": len(r.firings),
        "breakers": _breakers(program, r),
        "paused_seconds": {s.name: r.paused_seconds(s.name) for s in program.scopes},
        "ordinary_flows": _tally(r.ordinary),
        "attacker_flows": _tally(r.attacker),
        "stopped_flows": [vars(s) for s in r.stopped[:1000]],
        "stopped_flows_total": len(r.stopped),
        "alerts": [vars(a) for a in r.alerts[:1000]],
    }
    if r.kind == "incident" or r.first_attack is not None:
        out["incident"] = _incident(r)
    return out
