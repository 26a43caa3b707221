"""Generate realistic rule files of a given size for the verification benchmark.

`generate(breakers, scopes)` writes a protocol with `breakers` breakers over `scopes` scopes,
and powers, feeds, params, scores and invariants in proportion to it, using the patterns of the
examples so that every invariant is provable:

- half the scopes are "exits" with `max 72h gap 24h` and `paused at most 72h then open 24h`;
- the other half pair with a feed: an oracle breaker suspends the feed and pauses the scope for
  the same time, the scope's unpause power waits for the feed (`when not suspended(F)`), and
  `always (suspended(F) -> paused(S))` holds;
- drain breakers pause exits; score breakers tighten params with `set ... for`; params carry
  `always` bounds; coalition invariants cover every power.

    python bench/genrules.py 50 4 > /tmp/bench50.guard
"""

from __future__ import annotations

import sys


def _addr(kind: int, i: int) -> str:
    return f"0x{kind:02x}{i:038x}"


def _header(n_scopes: int, n_feeds: int, n_params: int) -> list[str]:
    out = [f"protocol Bench{n_scopes}", ""]
    entities = ["foundation", "foundation", "auditor", "community", "community", "labs", "labs"]
    out += [f"signer k{i} {_addr(1, i)} entity {e}" for i, e in enumerate(entities)]
    out += [f"agent watcher {_addr(2, 0)}", ""]
    out += [
        "role guardian = 2 of [k0, k2, k3, k5]",
        "role council = 4 of [k0, k1, k2, k3, k4, k5, k6]",
        "role governor = council after 48h",
        "",
        f"asset USDC {_addr(3, 0)} decimals 6",
        f"asset WETH {_addr(3, 1)} decimals 18",
        f"vault pool {_addr(4, 0)} holds USDC, WETH",
    ]
    out += [
        f"feed F{i} {_addr(5, i)} decimals 8 reference {_addr(6, i)}" for i in range(n_feeds)
    ]
    out += [f"param p{i} = 20 in [2, 50] safer lower" for i in range(n_params)]
    return [*out, ""]


def _scopes(n_scopes: int) -> tuple[list[str], list[str], list[str]]:
    exits = [f"exit{i}" for i in range((n_scopes + 1) // 2)]
    paired = [f"market{i}" for i in range(n_scopes // 2)]
    lines = [f"scope {s} max 72h gap 24h" for s in exits] + [f"scope {s}" for s in paired]
    return lines, exits, paired


def _breakers(n: int, exits: list[str], paired: list[str], n_params: int) -> list[str]:
    out: list[str] = []
    n_scores = max(1, n // 20)
    for j in range(n_scores):
        out += [
            f"score risk{j} {{",
            f"  40 when deviation(F{j % max(1, len(paired))}) > 2%",
            "  30 when outflow(USDC, 1h) > 5% of tvl(USDC)",
            "  30 when outflow(WETH, 1h) > 5% of tvl(WETH)",
            "}",
        ]
    for i in range(n):
        kind = i % 3
        if kind == 0 or not paired:
            asset = "USDC" if i % 2 else "WETH"
            scope = exits[i % len(exits)]
            pct = 5 + i % 20
            body = [
                f"  when outflow({asset}, 1h) > {pct}% of tvl({asset})",
                f"  then pause {scope} for {1 + i % 6}h",
                "  cooldown 24h",
            ]
        elif kind == 1:
            k = i % len(paired)
            body = [
                f"  when deviation(F{k}) > {3 + i % 5}%",
                f"  then suspend F{k} for 30m, pause {paired[k]} for 30m",
            ]
        else:
            score = f"risk{i % n_scores}"
            body = [
                f"  when {score} >= {40 + 10 * (i % 5)}",
                f"  then set p{i % n_params} to {10 + i % 5} for 2h",
                "  cooldown 6h",
            ]
        out += [f"breaker b{i} {{", *body, "}"]
    return out


def _powers(exits: list[str], paired: list[str], n_params: int) -> list[str]:
    out = ["allow guardian to pause * for at most 72h cooldown 24h"]
    if exits:
        out.append(f"allow guardian to unpause {', '.join(exits)}")
        out.append(f"allow governor to extend {', '.join(exits)} by at most 7d")
    for k, scope in enumerate(paired):
        out.append(f"allow guardian to unpause {scope} when not suspended(F{k})")
    out += [f"allow governor to set p{i}" for i in range(n_params)]
    return out


def _invariants(exits: list[str], paired: list[str], n_params: int) -> list[str]:
    out = [
        "invariant no_single_key: no unilateral signer",
        "invariant no_single_org: no unilateral entity",
        "invariant two_keys: every power needs 2 signers",
    ]
    out += [
        f"invariant {s}_escape: {s} paused at most 72h then open 24h assuming governor"
        for s in exits
    ]
    out += [
        f"invariant {s}_halts: always (suspended(F{k}) -> paused({s}))"
        for k, s in enumerate(paired)
    ]
    out += [f"invariant p{i}_bounds: always (p{i} >= 2 and p{i} <= 50)" for i in range(n_params)]
    return out


def generate(n_breakers: int, n_scopes: int) -> str:
    """A rule file with `n_breakers` breakers over `n_scopes` scopes (n_scopes ≥ 2)."""
    scope_lines, exits, paired = _scopes(n_scopes)
    n_params = max(1, n_breakers // 10)
    lines = _header(n_scopes, max(1, len(paired)), n_params)
    lines += [*scope_lines, ""]
    lines += [*_breakers(n_breakers, exits, paired, n_params), ""]
    lines += [*_powers(exits, paired, n_params), ""]
    lines += _invariants(exits, paired, n_params)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate(int(sys.argv[1]), int(sys.argv[2])))
