"""Audit: a lock kept forever by re-pausing at the exact end of each pause.

SPEC §5: "a pause that starts at the very timestamp at which the previous one ended continues
the same continuous pause". With `cooldown 0s` the breaker below is ready again exactly when
its 6h pause ends, and re-pausing then continues the pause (`paused_since` stays t0), forever.
So `w never locked forever` is violated: the concrete semantics keeps `w` in one pause for as
long as we like (checked below). The verifier answered `unknown` (B3 in docs/audit.md,
fixed in 3366b3f).
"""

from __future__ import annotations

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Atom, Program
from interlock.semantics.trace import Advance, Fire, MetricValue, Step
from interlock.verifier.engine import check_property
from tests.audit.adversary import T0, replay

RULES = """protocol ExactEnd
signer alice 0x1111111111111111111111111111111111111111
agent  watcher 0x6666666666666666666666666666666666666666
asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
scope w
breaker b1 {
  when outflow(USDC, 1h) > 10% of tvl(USDC)
  then pause w for 6h
  cooldown 0s
}
invariant nl: w never locked forever
"""
H = 3600


def _program() -> Program:
    result = compile_text(RULES, "exact_end.guard")
    assert result.program is not None
    return result.program


def _fire() -> Fire:
    return Fire(breaker="b1", metrics=(
        MetricValue(atom=Atom(kind="outflow", target="USDC", window=3600), value=1),
        MetricValue(atom=Atom(kind="tvl", target="USDC"), value=9)))


def test_the_semantics_keeps_w_in_one_pause_for_ever() -> None:
    p = _program()
    rounds = 50
    st = replay(p, [_fire()] + [Advance(seconds=6 * H), _fire()] * rounds)
    assert st.paused_since["w"] == T0
    assert st.paused_until["w"] - st.paused_since["w"] == (rounds + 1) * 6 * H


def test_verifier_finds_the_never_ending_pause() -> None:
    """Was B3 (docs/audit.md), fixed in 3366b3f: the lasso is found and replays for ever."""
    p = _program()
    r = check_property(p, p.invariants[0], 20.0)
    assert r.status == "violated", r
    assert r.counterexample is not None
    _replays_for_ever(p, r.counterexample.steps, r.counterexample.loop_start)


def test_lasso_without_cooldown_replays_for_ever() -> None:
    """Without `cooldown 0s` the breaker may re-fire before the end: the verifier finds a
    lasso; replayed here for 30 rounds, it keeps `w` in one pause that keeps growing."""
    text = RULES.replace("  cooldown 0s\n", "")
    result = compile_text(text, "no_cooldown.guard")
    assert result.program is not None
    p = result.program
    r = check_property(p, p.invariants[0], 20.0)
    assert r.status == "violated" and r.counterexample is not None
    _replays_for_ever(p, r.counterexample.steps, r.counterexample.loop_start)


def _replays_for_ever(p: Program, trace: tuple[Step, ...], loop_start: int | None) -> None:
    steps = list(trace)
    assert loop_start is not None and loop_start < len(steps)
    loop = steps[loop_start:]
    st = replay(p, steps)
    since = st.paused_since["w"]
    lengths = []
    for _ in range(30):
        st = replay(p, steps)
        assert st.paused_since["w"] == since and st.now <= st.paused_until["w"]
        lengths.append(st.paused_until["w"] - since)
        steps += loop
    assert lengths == sorted(lengths) and lengths[-1] > lengths[0]
