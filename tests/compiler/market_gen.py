"""A lending market with `n` reserves, as a protocol team writes it (issue #10): per reserve
an asset, a vault, a feed with a reference, a scope with `max`/`gap`, a staleness, a depeg and
a bank-run breaker, and a guardian power to unpause it. 20 reserves exceed EIP-170
(tests/compiler/test_codesize.py)."""

from __future__ import annotations


def _addr(kind: int, i: int) -> str:
    return f"0x{kind:02x}{i:038x}"


def market(n: int) -> str:
    out = [f"protocol Market{n}", ""]
    out += [f"signer k{i} {_addr(1, i)}" for i in range(5)]
    out += [f"agent keeper {_addr(2, 0)}", "role guardian = 2 of [k0, k1, k2]",
            "role council = 3 of [k0, k1, k2, k3, k4]", ""]
    for i in range(n):
        out += [
            f"scope reserve{i} max 48h gap 12h",
            f"asset R{i} {_addr(3, i)} decimals 18",
            f"vault pool{i} {_addr(4, i)} holds R{i}",
            f"feed F{i} {_addr(5, i)} decimals 8 heartbeat 1h reference {_addr(6, i)}",
            f"breaker stale{i} {{",
            f"  when staleness(F{i}) > 75m",
            f"  then pause reserve{i} for 2h, suspend F{i} for 2h",
            "  cooldown 4h",
            "}",
            f"breaker run{i} {{",
            f"  when outflow(R{i}, 1h) > 15% of tvl(R{i})",
            f"  then pause reserve{i} for 6h",
            "  cooldown 12h",
            "}",
            f"breaker depeg{i} {{",
            f"  when deviation(F{i}) > 3%",
            f"  then suspend F{i} for 30m, pause reserve{i} for 30m",
            "}",
            f"allow guardian to unpause reserve{i} when not suspended(F{i})",
            "",
        ]
    out += ["allow guardian to pause * for at most 48h", "allow council to unpause *",
            "invariant no_single_key: no unilateral signer", ""]
    return "\n".join(out)
