"""Differential sequences with custom state reads: the monitor's code (`MetricState` readers and
`decide`) against the reference semantics evaluated directly, block by block.

Random sequences of blocks (time steps, the pool's balance, a debt read and a signed integer
read, each of which may fail at a block). The reference: a breaker's condition is the
semantics' `compile_cond` on the block's values, undecidable when a read it uses failed (the
read is then unavailable: never tripped); it is sent when it holds, its cooldown allows it and
its effects are not live (the monitor's idempotency, docs/monitor.md), and then fires through
`semantics.rules.fire`. The monitor must decide exactly the same, and both states stay equal.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.dsl.frontend import compile_text
from interlock.ir.conditions import expanded_atoms
from interlock.ir.nodes import Atom, Program
from interlock.runtime.evaluate import RulePlan, decide
from interlock.runtime.metrics import MetricPlan, MetricState
from interlock.runtime.observe import BlockObservation
from interlock.semantics import compile_cond, initial_state
from interlock.semantics.ops import CONCRETE
from interlock.semantics.rules import cooldown_ok, fire
from interlock.semantics.state import State, at_time

RULES = """protocol Market
signer alice 0x1111111111111111111111111111111111111111
signer bob 0x2222222222222222222222222222222222222222
agent watcher 0x6666666666666666666666666666666666666666
role guardian = 2 of [alice, bob]
scope borrow
scope supply
asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
read debt = call 0x5555555555555555555555555555555555555555 "totalSupply()(uint256)" USDC
read net = call 0x4444444444444444444444444444444444444444 "net()(int256)"
breaker utilisation {
  when debt > 9 * tvl(USDC)
  then pause borrow for 6h
  cooldown 12h
}
breaker negative {
  when not paused(borrow) and net < -5
  then pause supply for 1h
}
breaker both {
  when debt > tvl(USDC) and net > 100
  then pause supply for 2h
  cooldown 1h
}
allow guardian to unpause *
"""
POOL = "0x7777777777777777777777777777777777777777"
TOKEN = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
TVL = Atom(kind="tvl", target="USDC")
DEBT, NET = Atom(kind="read", target="debt"), Atom(kind="read", target="net")


def _program() -> Program:
    result = compile_text(RULES, "market.guard")
    assert result.program is not None, result.diagnostics
    return result.program


PROGRAM = _program()
Step = tuple[int, int, int | None, int | None]  # seconds, tvl, debt (None: failed), net


def _reference(program: Program, st: State, values: dict[Atom, int]) -> list[str]:
    sent = []
    for b in program.breakers:
        if any(a not in values for a in expanded_atoms(program, b.when)):
            continue  # a read it uses is unavailable: not decided, never tripped
        if not compile_cond(program, b.when)(st, lambda a: values[a]):
            continue
        fired = st.fired_until.get(b.name, 0)
        if not cooldown_ok(CONCRETE, fired, st.now, b.cooldown) or (fired and st.now < fired):
            continue
        sent.append(b.name)
    return sent


def _fire(program: Program, st: State, names: list[str], values: dict[Atom, int]) -> State:
    for name in names:
        guards, st2 = fire(CONCRETE, program, st, program.breaker(name), lambda a: values[a])
        if all(ok for _, ok in guards):
            st = st2
    return st


steps = st.lists(st.tuples(st.integers(0, 8 * 3600), st.integers(0, 10**12),
                           st.one_of(st.none(), st.integers(0, 10**13)),
                           st.one_of(st.none(), st.integers(-200, 200))),
                 min_size=1, max_size=25)


def _run(seq: list[Step]) -> list[list[str]]:
    """Every block's decisions (asserted equal to the reference's on the way)."""
    program = PROGRAM
    sent: list[list[str]] = []
    rules = RulePlan.for_program(program)
    metrics = MetricState(MetricPlan.from_program(program))
    now = 1_700_000_000
    st = initial_state(program, t0=now)
    for number, (dt, tvl, debt, net) in enumerate(seq, start=1):
        now += dt
        st = at_time(st, now)
        reads = {k: v for k, v in (("debt", debt), ("net", net)) if v is not None}
        obs = BlockObservation(number, "", "", now, balances={(TOKEN, POOL): tvl}, reads=reads)
        metrics.apply(obs)
        measured = metrics.values(obs)
        values = {TVL: tvl, **({DEBT: debt} if debt is not None else {}),
                  **({NET: net} if net is not None else {})}
        assert dict(measured) == values  # a failed read is absent, never a made-up value
        out = decide(program, rules, st, measured, {}, block=number)
        expected = _reference(program, st, values)
        assert [d.breaker for d in out.decisions] == expected
        assert all(d.method == "trip" for d in out.decisions)
        skipped = {b for b, why in out.skipped if why.startswith("unavailable")}
        assert skipped <= {b.name for b in program.breakers
                           if any(a not in values for a in expanded_atoms(program, b.when))}
        st = _fire(program, st, expected, values)
        sent.append(expected)
    return sent


@settings(max_examples=60, deadline=None)
@given(steps)
def test_monitor_decides_as_the_semantics_with_reads(seq: list[Step]) -> None:
    _run(seq)


def test_a_worked_sequence() -> None:
    # tvl 100: debt 901 > 900 trips `utilisation`, net -6 trips `negative` (borrow still open
    # when the block is decided); both reads fail at the next block: nothing is decided; 13h on,
    # `utilisation` still cools (6h pause + 12h cooldown) and net 150 with debt 901 > 100
    # trips `both`; 6h later (19h) `utilisation` may fire again
    assert _run([(12, 100, 901, -6), (12, 100, None, None), (13 * 3600, 100, 901, 150),
                 (6 * 3600, 100, 901, 0)]) == [
        ["utilisation", "negative"], [], ["both"], ["utilisation"]]
