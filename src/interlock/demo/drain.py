"""Replay the drain against a vault and measure what happened, transaction by transaction.

The attacker sends each withdrawal of `scenario.DRAINS` with a fixed gas limit (no estimate),
so a withdrawal the guard blocks is mined and reverts on chain, as a real attacker's would.
Between two withdrawals the attacker waits `cadence_s` of wall time (the monitor races this)
and the chain clock moves `STEP_SECONDS`. While waiting, the guarded run polls the guard every
few milliseconds to time the moment withdrawals become paused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from interlock.demo.scenario import DRAINS, STEP_SECONDS, Drain
from interlock.demo.stage import Stage

Status = Literal["drained", "refused", "reverted"]
GAS = 400_000


@dataclass(frozen=True)
class Outcome:
    drain: Drain
    block: int
    status: Status  # drained: the funds left; refused: the guard skipped the flow; reverted
    taken: int  # base units the attacker received
    pool_after: int
    mined_at: float  # perf_counter when the receipt came back


@dataclass(frozen=True)
class Containment:
    breaker: str
    block: int  # the block of the guard's BreakerFired
    fired_at: int  # that block's timestamp
    by: Literal["monitor", "guard"]  # the monitor's poke, or the guard on the vault's report
    tx: str
    last_drain_block: int  # the last withdrawal that took funds before the pause
    ms_after_drain: float | None  # wall time from that withdrawal's receipt to the pause
    paused_until: int


@dataclass(frozen=True)
class Run:
    outcomes: tuple[Outcome, ...]
    pool_before: int
    pool_after: int
    containment: Containment | None

    @property
    def lost(self) -> int:
        return self.pool_before - self.pool_after

    @property
    def preserved(self) -> float:
        return self.pool_after / self.pool_before if self.pool_before else 0.0


OnStep = Callable[[int, Outcome], None]


def replay(
    stage: Stage, vault: Any, *, guarded: bool, cadence_s: float, on_step: OnStep | None = None
) -> Run:
    pool_before = stage.balance(vault.address)
    start_block = int(stage.w3.eth.block_number) + 1
    outcomes: list[Outcome] = []
    paused_seen: float | None = None
    scope = stage.program.scope("withdrawals").index
    for index, drain in enumerate(DRAINS):
        stage.advance(STEP_SECONDS)
        before = stage.balance(stage.attacker)
        receipt = stage.send(vault.functions.withdraw(drain.amount), stage.attacker, gas=GAS)
        mined_at = time.perf_counter()
        taken = stage.balance(stage.attacker) - before
        status: Status = (
            "reverted" if receipt["status"] != 1 else "drained" if taken > 0 else "refused"
        )
        outcome = Outcome(
            drain,
            int(receipt["blockNumber"]),
            status,
            taken,
            stage.balance(vault.address),
            mined_at,
        )
        outcomes.append(outcome)
        if on_step is not None:
            on_step(index, outcome)
        if guarded and paused_seen is None:
            paused_seen = _watch_pause(stage, scope, cadence_s)
        elif guarded:
            time.sleep(cadence_s / 4)
    containment = _containment(stage, outcomes, start_block, paused_seen) if guarded else None
    return Run(tuple(outcomes), pool_before, stage.balance(vault.address), containment)


def _watch_pause(stage: Stage, scope: int, seconds: float) -> float | None:
    """Poll the guard until `scope` is paused or `seconds` pass; when it is paused, the time."""
    deadline = time.perf_counter() + seconds
    is_active = stage.guard.functions.isActive(scope)
    while True:
        if not is_active.call():
            return time.perf_counter()
        if time.perf_counter() >= deadline:
            return None
        time.sleep(0.005)


def _containment(
    stage: Stage, outcomes: list[Outcome], start_block: int, paused_seen: float | None
) -> Containment | None:
    rule = stage.program.breaker("drain")
    logs = stage.guard.events.BreakerFired.get_logs(
        argument_filters={"ruleId": rule.id}, from_block=start_block
    )
    if not logs:
        return None
    fired = logs[0]
    block = int(fired["blockNumber"])
    caller = str(fired["args"]["caller"]).lower()
    by: Literal["monitor", "guard"] = "monitor" if caller == stage.agent.lower() else "guard"
    drained = [o for o in outcomes if o.status == "drained" and o.block <= block]
    last = drained[-1] if drained else outcomes[0]
    ms = None
    if paused_seen is not None and by == "monitor":
        ms = (paused_seen - last.mined_at) * 1000
    scope = stage.program.scope("withdrawals").index
    until = int(stage.guard.functions.pausedUntil(scope).call())
    fired_at = int(stage.w3.eth.get_block(block)["timestamp"])
    return Containment(
        rule.name, block, fired_at, by, fired["transactionHash"].to_0x_hex(), last.block, ms, until
    )
