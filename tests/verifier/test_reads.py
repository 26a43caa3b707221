"""The verifier on custom state reads: each read is its own adversarial metric (SPEC §4), never
negative for a `uintN` return, and a breaker using one is off chain (tripped by the agent).
Every verdict below was worked out by hand (comments)."""

from __future__ import annotations

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Program
from interlock.verifier.findings import find
from interlock.verifier.temporal import check_temporal

HEAD = """protocol T
signer alice 0x1111111111111111111111111111111111111111
signer bob   0x2222222222222222222222222222222222222222
role guardian = 2 of [alice, bob]
scope borrow
asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
read debt = call 0x5555555555555555555555555555555555555555 "totalSupply()(uint256)" USDC
read net = call 0x6666666666666666666666666666666666666666 "net()(int256)"
allow guardian to unpause borrow
"""


def program(body: str) -> Program:
    result = compile_text(HEAD + body, "t.guard")
    assert result.program is not None, [d.message for d in result.diagnostics]
    return result.program


def status(body: str, invariant: str) -> str:
    p = program(body + f"invariant p: {invariant}\n")
    return check_temporal(p, p.invariants[-1], 20).status


UTIL = "breaker util {{\n  when debt > 9 * tvl(USDC)\n  then pause borrow for 6h\n{}}}\n"


def test_a_read_breaker_is_bounded_by_its_cooldown_only() -> None:
    # the read is adversarial: `util` may fire whenever its cooldown allows. With a 12h
    # cooldown counted from the end of its 6h pause, a continuous pause lasts exactly 6h
    cooled = UTIL.format("  cooldown 12h\n")
    assert not program(cooled).breaker("util").onchain
    assert status(cooled, "borrow paused at most 6h") == "proved"
    assert status(cooled, "borrow paused at most 5h") == "violated"
    # without a cooldown it fires again as the pause ends: the pause never has to end
    assert status(UTIL.format(""), "borrow paused at most 72h") == "violated"


def test_the_sign_of_a_read_follows_its_return_type() -> None:
    # `debt` is a uint256: `debt < 0` never holds, a dead breaker (W0801); `net` is an int256:
    # `net < 0` can hold. Either way the pause is reachable: an off-chain rule is tripped by the
    # agent, and `trip` checks only its state part (none here), so a compromised agent key can
    # trip even a dead one (docs/semantics.md, "Off-chain rules and a compromised agent")
    dead = "breaker neg {\n  when debt < 0\n  then pause borrow for 1h\n}\n"
    live = "breaker neg {\n  when net < 0\n  then pause borrow for 1h\n}\n"
    assert "W0801" in [d.code for d in find(program(dead))]
    assert "W0801" not in [d.code for d in find(program(live))]
    assert status(dead, "always (not paused(borrow))") == "violated"
    assert status(live, "always (not paused(borrow))") == "violated"
    # a state part bounds it: `not paused(borrow) and debt < 0` only fires while open, for 1h
    guarded = "breaker neg {\n  when not paused(borrow) and debt < 0\n" \
        "  then pause borrow for 1h\n  cooldown 1h\n}\n"
    assert status(guarded, "borrow paused at most 1h") == "proved"


def test_two_reads_are_independent_metrics() -> None:
    # `debt > 9 * tvl(USDC) and net > 5`: nothing ties the two reads or tvl together, so the
    # condition can hold; `debt > tvl(USDC) and tvl(USDC) > debt` cannot
    both = "breaker b {\n  when debt > 9 * tvl(USDC) and net > 5\n  then pause borrow for 1h\n}\n"
    never = "breaker b {\n  when debt > tvl(USDC) and tvl(USDC) > debt\n" \
        "  then pause borrow for 1h\n}\n"
    assert status(both, "always (not paused(borrow))") == "violated"
    assert "W0801" in [d.code for d in find(program(never))]


def test_diff_names_a_read_and_values_it_in_its_unit() -> None:
    from interlock.ir.nodes import Atom
    from interlock.verifier.diff.conds import atom_label, fmt_value

    p = program("")
    debt, net = Atom(kind="read", target="debt"), Atom(kind="read", target="net")
    assert (atom_label(debt), atom_label(net)) == ("debt", "net")
    assert fmt_value((p,), debt, 1_500_000) == "1.5 USDC"
    assert fmt_value((p,), net, -7) == "-7"


def test_a_read_no_breaker_uses_is_a_finding() -> None:
    # `net` is declared but unused (W0815); `debt` is used through a score, which counts
    body = "score risk {\n  50 when debt > 9 * tvl(USDC)\n}\n" \
        "breaker b {\n  when risk >= 50\n  then pause borrow for 1h\n}\n"
    found = [(d.code, d.subjects) for d in find(program(body)) if d.code == "W0815"]
    assert found == [("W0815", ("net",))]
