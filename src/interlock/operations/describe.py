"""What a signed `Operation` means, in words, derived from its typed-data message alone.

`summary` is written into every operation file and recomputed by `op sign`, `op status` and
`op submit`: a file whose typed data was edited no longer says what its summary says.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from eth_utils.address import to_checksum_address

from interlock.ir.nodes import Power, Program
from interlock.verifier.describe import fmt_duration, power_label


class UnknownPower(Exception):
    """The message names a power id the rules do not have."""


def power_of(program: Program, power_id: int) -> Power:
    for w in program.powers:
        if w.id == power_id:
            return w
    raise UnknownPower(f"power {power_id} does not exist in these rules "
                       f"({len(program.powers)} powers: 0..{len(program.powers) - 1})")


def fmt_time(ts: int) -> str:
    """A unix time as `2026-12-03 13:00:00 UTC`; one no calendar date holds (a hand-made
    deadline of 2**40 is a valid uint256 for the guard) as the raw number."""
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (ValueError, OverflowError, OSError):  # past year 9999, or past the platform's time_t
        return f"unix time {ts} (beyond year 9999)"


def target_names(program: Program, power: Power, mask: int) -> list[str]:
    """The scope or feed names of a target bitmask (unknown bits as `#N`)."""
    if power.kind in ("pause", "unpause", "extend", "unblock"):
        names = {s.index: s.name for s in program.scopes}
    elif power.kind in ("suspend", "resume"):
        names = {f.index: f.name for f in program.feeds}
    else:
        return []
    return [names.get(i, f"#{i}") for i in range(mask.bit_length()) if mask >> i & 1]


def action(program: Program, msg: Mapping[str, int]) -> str:
    """`pause withdrawals, trading for 6h`: the operation's effect in the rules' words."""
    power = power_of(program, int(msg["power"]))
    value = int(msg["value"])
    targets = ", ".join(target_names(program, power, int(msg["targets"])))
    if power.kind in ("pause", "suspend"):
        return f"{power.kind} {targets} for {fmt_duration(value)}"
    if power.kind == "extend":
        return f"extend {targets} by {fmt_duration(value)}"
    if power.kind in ("unpause", "resume"):
        return f"{power.kind} {targets}"
    if power.kind == "set":
        return f"set {power.targets[0]} to {value}"
    if power.kind == "unblock":
        sender = to_checksum_address(f"0x{value % 2**160:040x}")
        return f"unblock {targets} sender {sender}"
    return f"cancel {power.targets[0]}'s queued operation 0x{value % 2**256:064x}"


def summary(program: Program, msg: Mapping[str, int]) -> str:
    """One line: the effect, the power and role used, nonce and deadline."""
    power = power_of(program, int(msg["power"]))
    lock = f", timelocked {fmt_duration(power.delay)}" if power.delay else ""
    return (f"{action(program, msg)} -- power {power.id} `{power_label(program, power)}`"
            f"{lock}; nonce {int(msg['nonce'])}; valid until {fmt_time(int(msg['deadline']))}")
