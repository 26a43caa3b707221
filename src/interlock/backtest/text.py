"""The text rendering of a backtest report (what `interlock backtest` prints by default)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from interlock.ir.nodes import Program
from interlock.verifier.describe import fmt_duration


def fmt_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_amount(program: Program, asset: str, amount: int) -> str:
    decimals = program.asset(asset).decimals
    whole, frac = divmod(amount, 10**decimals)
    text = f"{whole:,}" if frac == 0 else f"{whole:,}.{frac:0{decimals}d}".rstrip("0")
    return f"{text} {asset}"


def _amounts(program: Program, values: dict[str, int]) -> str:
    return ", ".join(fmt_amount(program, a, v) for a, v in values.items()) or "nothing"


def _firing_line(f: dict[str, Any]) -> str:
    by = {"flow": "the guard, on a vault's flow report", "poke": "the monitor's poke",
          "trip": "the monitor's trip", "tripSender": "the monitor's tripSender"}[f["by"]]
    effects = "; ".join(f["effects"]) or "no state change (alerts only)"
    return f"block {f['block']} ({fmt_time(f['time'])}) by {by}: {effects}"


def _breaker_lines(name: str, b: dict[str, Any]) -> list[str]:
    where = "on chain" if b["onchain"] else "agent only"
    n = len(b["firings"])
    fired = f"fired {n} time{'s' if n > 1 else ''}" if n else "never fired"
    lines = [f"  breaker {name} ({where}): {fired}"
             + (f", {b['alerts']} alerts" if b["alerts"] else "")]
    lines += [f"    {_firing_line(f)}" for f in b["firings"][:10]]
    if n > 10:
        lines.append(f"    ... {n - 10} more")
    refused = [c for c in b["agent"] if not c["accepted"]]
    if b["agent"]:
        lines.append(f"    the agent sent {len(b['agent'])} {b['agent'][0]['method']}"
                     f" ({len(refused)} refused by the guard"
                     + (f": {refused[0]['reason']}" if refused else "") + ")")
    return lines


def incident_lines(program: Program, inc: dict[str, Any]) -> list[str]:
    first = inc["first_malicious"]
    if first is None:
        return ["  incident: no attacker flow in the trace"]
    lines = [f"  incident: first malicious transaction at block {first['block']} "
             f"({fmt_time(first['time'])})"]
    c = inc["containment"]
    if c is None:
        lines.append("    NOT CONTAINED: attacker outflows kept moving funds after every firing")
    else:
        lines.append(f"    contained by `{c['breaker']}` at block {c['block']}: "
                     f"{fmt_duration(c['seconds_after_first_malicious'])} and "
                     f"{c['blocks_after_first_malicious']} blocks after the first malicious "
                     "transaction")
    lines.append(f"    attacker took {_amounts(program, inc['attacker_out_with_rules'])} with "
                 f"the rules, {_amounts(program, inc['attacker_out_without_rules'])} without")
    for asset, saved in inc["saved"].items():
        lines.append(f"    saved {fmt_amount(program, asset, saved)} "
                     f"({inc['saved_share'][asset]:.1%})")
    if not inc["containable_expected"]:
        lines.append(f"    beyond these rules by construction: {inc['why_not']}")
    return lines


def render_trace(program: Program, t: dict[str, Any]) -> list[str]:
    lines = [f"{t['name']} ({t['kind']}) {t['path']}: {t['blocks']} blocks "
             f"{t['first_block']}..{t['last_block']}, {fmt_time(t['start'])} to "
             f"{fmt_time(t['end'])} ({fmt_duration(t['end'] - t['start'])})"]
    for name, b in t["breakers"].items():
        lines += _breaker_lines(name, b)
    if "incident" in t:
        lines += incident_lines(program, t["incident"])
    o = t["ordinary_flows"]
    lines.append(f"  ordinary flows: {o['count']}, {o['stopped']} stopped "
                 f"({o['stopped_share']:.2%}; {_amounts(program, o['stopped_value'])})")
    paused = [f"{s} {fmt_duration(v)}" for s, v in t["paused_seconds"].items() if v]
    lines.append("  paused: " + (", ".join(paused) if paused else "never"))
    return lines


def render_text(program: Program, report: dict[str, Any]) -> str:
    lines = [f"backtest of {report['rules']} ({report['protocol']}): "
             f"{len(report['traces'])} trace(s)", ""]
    for t in report["traces"]:
        lines += [*render_trace(program, t), ""]
    if report.get("sweep"):
        from interlock.backtest.sweep import render_sweep
        lines += render_sweep(program, report["sweep"])
    return "\n".join(lines).rstrip("\n") + "\n"
