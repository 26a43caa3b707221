"""`interlock status` as text: one table per kind of state, times as dates and time left."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interlock.operations.describe import fmt_time
from interlock.verifier.describe import fmt_duration


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header).rstrip(), *(fmt.format(*r).rstrip() for r in rows)]


def _at(ts: int | None, now: int) -> str:
    if ts is None:
        return "-"
    left = ts - now
    rel = f"in {fmt_duration(left)}" if left > 0 else f"{fmt_duration(-left)} ago"
    return f"{fmt_time(ts)} ({rel})"


def _span(seconds: int | None) -> str:
    return "-" if seconds is None else fmt_duration(seconds)


def render_status(st: dict[str, Any]) -> list[str]:
    now = st["now"]
    lines = [f"{st['protocol']}Guard {st['guard']} on chain {st['chain_id']}, "
             f"at {fmt_time(now)}", ""]
    lines += table(["scope", "state", "until", "since", "max left", "gap until", "last change"], [
        [s["scope"], "PAUSED" if s["paused"] else "open", _at(s["until"], now),
         _at(s["since"], now), _span(s["max_remaining"]), _at(s["gap_until"], now),
         s["last_change"] or "-"]
        for s in st["scopes"]])
    if st["feeds"]:
        lines += ["", *table(["feed", "state", "until"], [
            [f["feed"], "SUSPENDED" if f["suspended_until"] else "live",
             _at(f["suspended_until"], now)] for f in st["feeds"]])]
    if st["params"]:
        lines += ["", *table(["param", "base", "effective", "live overrides"], [
            [p["param"], str(p["base"]), str(p["effective"]),
             ", ".join(f"{o['value']} by `{o['breaker']}` until {_at(o['until'], now)}"
                       for o in p["overrides"]) or "-"] for p in st["params"]])]
    lines += [""]
    lines += table(["queued operation", "power", "eta"], [
        [q["operation_hash"][:18] + "...", q["power"],
         _at(q["eta"], now) + (" READY" if q["ready"] else "")] for q in st["queued"]]) \
        if st["queued"] else ["no queued operations"]
    if st["breakers"]:
        lines += ["", *table(["breaker", "effect until", "cooldown until"], [
            [b["breaker"], _at(b["effect_until"], now), _at(b["cooldown_until"], now)]
            for b in st["breakers"]])]
    return lines
