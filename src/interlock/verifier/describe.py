"""Human-readable names for durations and powers, shared by the verifier's reports.

Everything here is a pure function of the IR; the text, JSON and SARIF reports print the
same words so a counterexample reads the same everywhere.
"""

from __future__ import annotations

from interlock.ir.metric_arith import WAD
from interlock.ir.nodes import Power, Program, SetStep

_UNITS: tuple[tuple[str, int], ...] = (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60))


def fmt_duration(seconds: int) -> str:
    """`21600` -> `6h`, `90000` -> `1d 1h`, `0` -> `0s`; exact, largest units first (the same
    words as `interlock.verifier.timeline`)."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    rest = abs(seconds)
    parts: list[str] = []
    for unit, size in _UNITS:
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    if rest:
        parts.append(f"{rest}s")
    return sign + " ".join(parts)


def fmt_offset(seconds: int) -> str:
    """A time offset from the start of a counterexample: `+0s`, `+6h`, `+1d2h`."""
    return "+" + fmt_duration(seconds)


def _targets(program: Program, power: Power) -> str:
    if power.kind in ("pause", "unpause", "extend"):
        every = {s.name for s in program.scopes}
        if every and set(power.targets) == every and len(every) > 1:
            return "*"
    if power.kind in ("suspend", "resume"):
        every = {f.name for f in program.feeds}
        if every and set(power.targets) == every and len(every) > 1:
            return "*"
    return ", ".join(power.targets)


def describe_power(program: Program, power: Power) -> str:
    """The power as the rule file says it, without its role: `pause * for at most 72h`."""
    if power.kind == "cancel_holds":
        return "cancel holds"
    targets = _targets(program, power)
    if power.kind in ("pause", "suspend") and power.max_duration is not None:
        text = f"{power.kind} {targets} for at most {fmt_duration(power.max_duration)}"
    elif power.kind == "extend" and power.max_duration is not None:
        text = f"extend {targets} by at most {fmt_duration(power.max_duration)}"
    elif power.kind == "set":
        text = f"set {targets}"
        if power.within is not None:
            text += f" within [{power.within[0]}, {power.within[1]}]"
        if power.step is not None:
            text += " " + fmt_step(power.step)
    else:
        text = f"{power.kind} {targets}"
    return text


def fmt_step(step: SetStep) -> str:
    """`by at most 100% per 3d`, or `by at most 5000000 per 1d` (base units, as `within`)."""
    if step.relative:  # exact: a WAD ratio is a whole number of 10^-16 %
        whole, frac = divmod(step.amount, WAD // 100)
        size = f"{whole}.{frac:016d}".rstrip("0").rstrip(".") + "%"
    else:
        size = str(step.amount)
    return f"by at most {size} per {fmt_duration(step.period)}"


def power_source(program: Program, power: Power) -> str:
    """`allow guardian to pause * for at most 72h`: the rule that grants it."""
    return f"allow {power.role} to {describe_power(program, power)}"


def power_label(program: Program, power: Power) -> str:
    """`guardian: pause * for at most 72h` — the role and what it may do."""
    return f"{power.role}: {describe_power(program, power)}"
