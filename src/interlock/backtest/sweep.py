"""`--sweep 'BREAKER.threshold=5%..20%/1%'`: rerun the backtest with one constant of a rule varied.

The sweep rewrites the rule *text* and compiles each variant with the front end, so every
variant is checked and replayed exactly as a hand-edited file would be. Two constants can be
varied: `threshold`, the one percentage (or, without one, the one number) in the breaker's
`when`, and `cooldown`, its cooldown duration. Values keep the unit written in the range
(`%`, `bps`, `s m h d w`, or none).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from interlock.ir.nodes import Breaker, Program

_SPEC = re.compile(r"^(?P<breaker>[A-Za-z_]\w*)\.(?P<what>threshold|cooldown)="
                   r"(?P<lo>[\d_.]+)(?P<unit>%|bps|[smhdw]?)\.\.(?P<hi>[\d_.]+)(?P=unit)"
                   r"/(?P<step>[\d_.]+)(?P=unit)$")
_PERCENT = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?:%|bps)")
_NUMBER = re.compile(r"(?<![\w.])\d[\d_]*(?:\.\d+)?(?![\w%.])")
_COOLDOWN = re.compile(r"\bcooldown\s+(\d+[smhdw])")
MAX_POINTS = 200


class SweepError(Exception):
    """A sweep specification that cannot be applied (exit 2)."""


def parse_spec(spec: str) -> tuple[str, str, list[str]]:
    """(breaker, `threshold`|`cooldown`, the literal values to try, in order)."""
    m = _SPEC.match(spec.replace(" ", ""))
    if m is None:
        raise SweepError(f"cannot read the sweep `{spec}`: expected "
                         "`BREAKER.threshold=LOW..HIGH/STEP` (e.g. `drain.threshold=5%..20%/1%`) "
                         "or `BREAKER.cooldown=6h..48h/6h`, one unit throughout")
    lo, hi, step = (Decimal(m[k].replace("_", "")) for k in ("lo", "hi", "step"))
    if step <= 0 or hi < lo:
        raise SweepError(f"the sweep `{spec}` needs LOW <= HIGH and a positive STEP")
    values: list[str] = []
    v = lo
    while v <= hi and len(values) < MAX_POINTS:
        values.append(f"{v.normalize():f}{m['unit']}")
        v += step
    return m["breaker"], m["what"], values


def _region(text: str, b: Breaker) -> tuple[int, int]:
    lines = text.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: b.span.line - 1]) + b.span.column - 1
    end = sum(len(x) for x in lines[: b.span.end_line - 1]) + b.span.end_column - 1
    return start, end


def variant(text: str, program: Program, breaker: str, what: str, value: str) -> str:
    """The rule text with `breaker`'s threshold or cooldown replaced by `value`."""
    b = next((x for x in program.breakers if x.name == breaker), None)
    if b is None:
        raise SweepError(f"the rules have no breaker `{breaker}`")
    start, end = _region(text, b)
    body = text[start:end]
    if what == "cooldown":
        found = list(_COOLDOWN.finditer(body))
        if not found:
            raise SweepError(f"breaker `{breaker}` has no cooldown to vary")
        lo, hi = found[0].span(1)
    else:
        when_at, then_at = body.find("when"), body.find("then")
        cond = body[when_at:then_at]
        found = list(_PERCENT.finditer(cond)) or list(_NUMBER.finditer(cond))
        if len(found) != 1:
            raise SweepError(f"breaker `{breaker}`'s condition has {len(found)} constants; "
                             "a sweep varies a condition with exactly one")
        lo, hi = (when_at + x for x in found[0].span())
    return text[: start + lo] + value + text[start + hi:]


def run_sweep(rules: str, spec: str, traces: list[str]) -> dict[str, Any]:
    """One row per value: each trace's headline figures under that variant of the rules."""
    from interlock.backtest.run import load_rules, replay
    from interlock.backtest.summary import summarize

    breaker, what, values = parse_spec(spec)
    with open(rules, encoding="utf-8") as f:
        text = f.read()
    base = load_rules(rules)
    rows = []
    for value in values:
        program = load_rules(rules, variant(text, base, breaker, what, value))
        cells = [_cell(summarize(program, replay(program, path))) for path in traces]
        rows.append({"value": value, "traces": cells})
    return {"spec": spec, "breaker": breaker, "constant": what, "rows": rows}


def _cell(s: dict[str, Any]) -> dict[str, Any]:
    cell: dict[str, Any] = {"name": s["name"], "kind": s["kind"], "firings": s["firings"],
                            "paused_seconds": sum(s["paused_seconds"].values()),
                            "ordinary_stopped_share": s["ordinary_flows"]["stopped_share"]}
    inc = s.get("incident")
    if inc is not None:
        c = inc["containment"]
        cell["contained"] = inc["contained"]
        cell["lead_seconds"] = None if c is None else c["seconds_after_first_malicious"]
        shares = list(inc["saved_share"].values())
        cell["saved_share"] = shares[0] if len(shares) == 1 else (
            sum(shares) / len(shares) if shares else 0.0)
    return cell


SWEEP_HEAD = ("caught", "kept (mean)", "benign firings", "benign paused", "refused")


def sweep_table(sweep: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The trade-off table: per value, incidents caught (and how much they kept) against the
    firings, pause time and refused ordinary flows of the benign traces."""
    from interlock.verifier.describe import fmt_duration

    rows = []
    for row in sweep["rows"]:
        inc = [c for c in row["traces"] if "contained" in c]
        ben = [c for c in row["traces"] if "contained" not in c]
        caught = sum(1 for c in inc if c["contained"])
        kept = sum(c["saved_share"] for c in inc) / len(inc) if inc else 0.0
        refused = sum(c["ordinary_stopped_share"] for c in ben) / len(ben) if ben else 0.0
        rows.append([row["value"], f"{caught}/{len(inc)}", f"{kept:.1%}",
                     str(sum(c["firings"] for c in ben)),
                     fmt_duration(sum(c["paused_seconds"] for c in ben)), f"{refused:.2%}"])
    return [sweep["constant"], *SWEEP_HEAD], rows


def render_sweep(program: Program, sweep: dict[str, Any]) -> list[str]:
    """The trade-off table as text."""
    head, rows = sweep_table(sweep)
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    lines = [f"sweep {sweep['spec']}: incidents caught vs ordinary days disturbed", ""]
    lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    lines.append("-" * len(lines[-1]))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return lines
