"""Audit: a custom `sum` metric over a signed (`intN`) event field can be negative.

The front end accepts `sum(Event(int256 delta).delta ...)` (decls.metric allows `u?int\\d*`),
and the monitor decodes the field with its sign (`customlogs.CustomDecoder.amount`) and sums
it, so the monitor can measure a negative value and trip a breaker whose condition needs one.
The verifier, however, constrains every metric to be non-negative (`symbolic.Model._fire`:
`domain = [v >= 0 ...]`), so it proved properties that such a trip breaks (B1 in
docs/audit.md, fixed in 3366b3f).
"""

from __future__ import annotations

from eth_abi.abi import encode

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Atom, Program
from interlock.runtime.abi import event_topic
from interlock.runtime.evaluate import RulePlan, decide
from interlock.runtime.metrics import MetricPlan, MetricState
from interlock.runtime.observe import BlockObservation, LogEntry
from interlock.semantics import initial_state, step
from interlock.semantics.trace import Fire, MetricValue
from interlock.verifier.engine import check_property
from tests.audit.adversary import replay

POOL = "0x7777777777777777777777777777777777777777"
RULES = f"""protocol Signed
signer alice 0x1111111111111111111111111111111111111111
agent  watcher 0x6666666666666666666666666666666666666666
asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
vault pool {POOL} holds USDC
scope w
metric net = sum(Flow(int256 delta).delta at pool, 1h)
breaker neg {{
  when net < 0
  then pause w for 1h
}}
invariant never_paused: always (not paused(w))
"""
T0 = 1_900_000_000


def _program() -> Program:
    result = compile_text(RULES, "signed.guard")
    assert result.program is not None, result.diagnostics
    return result.program


def test_monitor_trips_on_a_negative_sum_and_the_trip_pauses() -> None:
    """What really happens: the monitor measures -5 and trips `neg`; the step pauses `w`."""
    program = _program()
    plan = MetricPlan.from_program(program)
    metrics = MetricState(plan)
    log = LogEntry(address=POOL, topics=(event_topic("Flow(int256)"),),
                   data=encode(["int256"], [-5]), tx_hash="0x" + "ab" * 32, log_index=0)
    obs = BlockObservation(number=1, block_hash="0x" + "01" * 32, parent_hash="0x" + "00" * 32,
                           timestamp=T0, logs=(log,))
    metrics.apply(obs)
    values = metrics.values(obs)
    net = Atom(kind="metric", target="net")
    assert values[net] == -5
    state = initial_state(program, T0)
    outcome = decide(program, RulePlan.for_program(program), state, values, {}, block=1)
    assert [d.breaker for d in outcome.decisions] == ["neg"]
    after = step(program, state, Fire(breaker="neg", metrics=(MetricValue(atom=net, value=-5),)))
    assert after.paused("w")


def test_verifier_does_not_prove_what_a_negative_sum_breaks() -> None:
    """Was B1 (docs/audit.md), fixed in 3366b3f: now a violation whose trace replays."""
    program = _program()
    result = check_property(program, program.invariants[0], 20.0)
    assert result.status == "violated" and result.counterexample is not None
    end = replay(program, result.counterexample.steps)
    assert end.paused("w")
