"""A power in words (`pause withdrawals for 6h`) -> the power of the rules that allows it.

The words follow the rule file's own: `KIND TARGETS [for|by DURATION | to VALUE]`, where KIND is
`pause unpause suspend resume set extend cancel unblock`, TARGETS are scope, feed, param or role
names (`*` and `* except NAME, ...` as in the rules; commas optional), `cancel ROLE OPHASH`
names the queued operation, `cancel holds ID` the held flow (its `FlowHeld` hold id) and
`unblock SCOPES sender ADDRESS` the sender to unblock. The
power chosen is an `allow` line of that kind whose targets include every target named and whose
bounds admit the value; nothing here talks to a chain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from interlock.ir.diagnostics import did_you_mean
from interlock.ir.nodes import Power, Program
from interlock.verifier.describe import fmt_duration, power_label

KINDS = ("pause", "unpause", "suspend", "resume", "set", "extend", "cancel", "unblock")
VALUE_WORD = {"pause": "for", "suspend": "for", "extend": "by", "set": "to",
              "unblock": "sender"}
SCOPE_KINDS = ("pause", "unpause", "extend", "unblock")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^([0-9][0-9_]*)([smhdw])$")
_INT = re.compile(r"^-?[0-9][0-9_]*$")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class WordsError(Exception):
    """The words name no power of the rules (the message says why, with a suggestion)."""


@dataclass(frozen=True)
class Resolved:
    power: Power
    targets: int  # bitmask of scope or feed indexes (0 for set and cancel)
    value: int


def parse_duration(text: str) -> int:
    """`6h` -> 21600 (the rule file's duration syntax)."""
    m = _DURATION.match(text)
    if m is None:
        raise WordsError(f"`{text}` is not a duration (write e.g. `30m`, `6h`, `7d`)")
    return int(m.group(1).replace("_", "")) * _UNITS[m.group(2)]


def _tokens(words: Sequence[str]) -> list[str]:
    return [t for w in words for t in w.replace(",", " ").split()]


def _universe(program: Program, kind: str) -> tuple[str, list[str]]:
    """(what the targets are, every name of that kind) for a power kind."""
    if kind in SCOPE_KINDS:
        return "scope", [s.name for s in program.scopes]
    if kind in ("suspend", "resume"):
        return "feed", [f.name for f in program.feeds]
    if kind == "set":
        return "param", [p.name for p in program.params]
    return "role", [r.name for r in program.roles]


def _targets(program: Program, kind: str, tokens: list[str]) -> list[str]:
    what, names = _universe(program, kind)
    if not tokens:
        raise WordsError(f"`{kind}` needs a {what}: one of {_list(names)}")
    if tokens[0] == "*":
        if len(tokens) > 1 and tokens[1] != "except":
            raise WordsError(f"after `*` write `except NAME, ...`, not `{tokens[1]}`")
        excluded = tokens[2:]
        _known(excluded, names, what)
        return [n for n in names if n not in excluded]
    _known(tokens, names, what)
    return list(dict.fromkeys(tokens))


def _known(tokens: list[str], names: list[str], what: str) -> None:
    for t in tokens:
        if t not in names:
            hint = did_you_mean(t, names)
            raise WordsError(f"unknown {what} `{t}`" + (f": {hint}" if hint else
                                                       f" (the rules have {_list(names)})"))


def _list(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) or "none"


def _split_value(kind: str, tokens: list[str]) -> tuple[list[str], str | None]:
    word = VALUE_WORD.get(kind)
    if kind == "cancel":
        if len(tokens) != 2 or not _HASH.match(tokens[1]):
            raise WordsError("write `cancel ROLE 0xOPERATION_HASH` (or use `interlock op cancel`)")
        return tokens[:1], tokens[1]
    if word is None:
        return tokens, None
    if word not in tokens or tokens.index(word) != len(tokens) - 2:
        example = {"for": "for 6h", "by": "by 1d", "to": "to 10",
                   "sender": "sender 0x1234…(40 hex digits)"}[word]
        raise WordsError(f"`{kind}` ends with `{word} VALUE`, e.g. `{example}`")
    return tokens[:-2], tokens[-1]


def _value(kind: str, raw: str | None) -> int:
    if raw is None:
        return 0
    if kind == "cancel":  # the hash travels in `int256 value`: two's complement, as the guard
        h = int(raw, 16)  # reads it back with `bytes32(uint256(op.value))`
        return h - 2**256 if h >= 2**255 else h
    if kind == "unblock":  # the sender travels in `int256 value`: the guard reads uint160
        if not _ADDRESS.match(raw) or int(raw, 16) == 0:
            raise WordsError(f"`{raw}` is not a sender address (0x and 40 hex digits, not 0)")
        return int(raw, 16)
    if kind == "set":
        if not _INT.match(raw):
            raise WordsError(f"`{raw}` is not an integer value for `set`")
        return int(raw.replace("_", ""))
    return parse_duration(raw)


def _mask(program: Program, kind: str, targets: list[str]) -> int:
    if kind in SCOPE_KINDS:
        return sum(1 << program.scope(t).index for t in targets)
    if kind in ("suspend", "resume"):
        return sum(1 << program.feed(t).index for t in targets)
    return 0


def _fits(program: Program, power: Power, value: int) -> str | None:
    """Why `value` is out of the power's bounds, or None."""
    if power.kind in ("pause", "suspend", "extend"):
        if value <= 0:
            return "a duration must be positive"
        if power.max_duration is not None and value > power.max_duration:
            return (f"`{fmt_duration(value)}` exceeds the power's `at most "
                    f"{fmt_duration(power.max_duration)}`")
    if power.kind == "set":
        param = program.param(power.targets[0])
        lo, hi = power.within or (param.min, param.max)
        if not lo <= value <= hi:
            return f"`{value}` is outside the range [{lo}, {hi}] the power allows"
    return None


def resolve(program: Program, words: Sequence[str], role: str | None = None) -> Resolved:
    """The power `words` ask for; `role` chooses among several roles' powers."""
    tokens = _tokens(words)
    if not tokens:
        raise WordsError("say what to do, e.g. `pause withdrawals for 6h`")
    kind, rest = tokens[0], tokens[1:]
    if kind == "cancel" and rest[:1] == ["holds"]:
        return _choose(program, "cancel_holds", ["holds"], _hold_id(rest[1:]),
                       role, " ".join(tokens))
    if kind not in KINDS:
        hint = did_you_mean(kind, KINDS)
        raise WordsError(f"`{kind}` is not a power" + (f": {hint}" if hint else
                                                      f" (powers are {_list(KINDS)})"))
    target_tokens, raw = _split_value(kind, rest)
    targets = _targets(program, kind, target_tokens)
    value = _value(kind, raw)
    return _choose(program, kind, targets, value, role, " ".join(tokens))


def _hold_id(rest: list[str]) -> int:
    if len(rest) != 1 or not _INT.match(rest[0]) or int(rest[0].replace("_", "")) <= 0:
        raise WordsError("write `cancel holds ID` with the hold id of its `FlowHeld` event")
    return int(rest[0].replace("_", ""))


def _choose(program: Program, kind: str, targets: list[str], value: int, role: str | None,
            said: str) -> Resolved:
    if role is not None and role not in {r.name for r in program.roles}:
        hint = did_you_mean(role, [r.name for r in program.roles])
        raise WordsError(f"unknown role `{role}`" + (f": {hint}" if hint else ""))
    same_kind = [w for w in program.powers if w.kind == kind and role in (None, w.role)]
    covering = [w for w in same_kind if set(targets) <= set(w.targets)]
    if not covering:
        known = "; ".join(f"`{power_label(program, w)}`" for w in same_kind)
        raise WordsError(f"no power allows `{said}`" + (
            f": the rules allow {known}" if known else f": no `allow` line can {kind}"))
    reasons = [(w, _fits(program, w, value)) for w in covering]
    fitting = [w for w, why in reasons if why is None]
    if not fitting:
        raise WordsError(f"no power allows `{said}`: {reasons[0][1]}")
    roles = sorted({w.role for w in fitting})
    if len(roles) > 1:
        raise WordsError(f"several roles may `{said}` ({_list(roles)}): choose one with --role")
    power = fitting[0]
    return Resolved(power, _mask(program, kind, targets), value)
