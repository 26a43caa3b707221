"""The rule files of issue 18, for `bench/verify.py --cases` (and the tests that want them).

- `retrigger(limit, pause)`: one breaker without cooldown re-pausing `withdrawals` for `pause`,
  `withdrawals paused at most limit` (violated: the pause can last forever);
- `staggered(n, ...)`: n breakers `pause s for 1h cooldown 4h`, `s paused at most n h` and
  `s never locked forever` (proved for n <= 4: each fires once per pause; locked forever for
  n >= 5: the first fires again as the last pause ends);
- `wide(lines)`: a file of about `lines` lines with no invariants (front end and findings).
"""

from __future__ import annotations

HEAD = """protocol Issue18
signer alice 0x1111111111111111111111111111111111111111
asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
"""


def duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def retrigger(limit: str, pause: str = "6h") -> str:
    return HEAD + (
        "scope withdrawals\n"
        "breaker drain {\n  when outflow(USDC, 1h) > 10% of tvl(USDC)\n"
        f"  then pause withdrawals for {pause}\n}}\n"
        f"invariant p: withdrawals paused at most {limit}\n"
    )


def staggered(n: int, pause_h: int = 1, cooldown_h: int = 4) -> str:
    lines = [HEAD, "scope s"]
    for i in range(n):
        lines.append(f"breaker b{i} {{ when outflow(USDC, 1h) > {i + 1} USDC "
                     f"then pause s for {pause_h}h cooldown {cooldown_h}h }}")
    lines += [f"invariant p: s paused at most {n * pause_h}h",
              "invariant q: s never locked forever"]
    return "\n".join(lines) + "\n"


def wide(lines: int) -> str:
    """Many scopes and breakers, no invariants: what the front end and findings cost. Scopes
    stop at 250 (a guard holds 255, E0412); further breakers share them."""
    out = [HEAD, "role guardian = 1 of [alice]"]
    i = 0
    while len("\n".join(out).splitlines()) < lines:
        scope = f"s{i % 250}"
        if i < 250:
            out += [f"scope {scope} max 72h gap 1h", f"allow guardian to unpause {scope}"]
        out.append(f"breaker b{i} {{\n  when outflow(USDC, 1h) > {i + 1} USDC\n"
                   f"  then pause {scope} for 6h\n  cooldown 24h\n}}")
        i += 1
    return "\n".join(out) + "\n"
