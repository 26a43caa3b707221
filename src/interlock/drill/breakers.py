"""Trigger one breaker on the drill venue and time it: the chain is moved so that the breaker's
metrics cross their thresholds by a wide margin, then the guard is asked as it would be in an
incident — a flow report for a flow-checked breaker, a `poke` for another on-chain one, the
agent's `trip` for an off-chain one (the monitor's decision; its latency is benchmarked by
bench/monitor.py, not here)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from interlock.drill.stage import PRICE, TVL, Stage
from interlock.ir.conditions import expanded_atoms
from interlock.ir.nodes import Breaker
from interlock.ir.notional import assets_read
from interlock.testing.chain import TxOutcome

STALE = 30 * 86_400  # a feed not updated for 30 days is stale for any rule


@dataclass(frozen=True)
class Step:
    name: str  # what was rehearsed
    how: str  # what was done
    ok: bool
    outcome: str  # in words: what the guard did
    ms: float  # wall time of the step, milliseconds
    blocks: int  # blocks from the first transaction of the step to its effect


def _moves(stage: Stage, breaker: Breaker) -> tuple[list[Any], str]:
    """The transactions that make `breaker`'s on-chain condition true, and how to ask the guard."""
    h, program, now = stage.harness, stage.program, stage.chain.latest_timestamp()
    moves: list[Any] = []
    ask = "poke"
    for atom in dict.fromkeys(expanded_atoms(program, breaker.when)):
        if atom.kind in ("outflow", "value_outflow"):  # a value: its first priced asset's flow
            asset = assets_read(program, atom)[0] if atom.kind != "outflow" else atom.target
            vault = next(v for v in program.vaults if asset in v.holds)
            amount = TVL * 6 // 10 * 10 ** program.asset(asset).decimals
            moves.append(h.vaults[vault.name].functions.reportOutflow(
                h.tokens[asset].address, amount))
            ask = "flow"
        elif atom.kind == "deviation":
            decimals = program.feed(atom.target).decimals
            moves.append(h.feeds[atom.target].functions.set(PRICE * 3 // 2 * 10**decimals, now))
        elif atom.kind == "staleness":
            decimals = program.feed(atom.target).decimals
            moves.append(h.feeds[atom.target].functions.set(PRICE * 10**decimals, now - STALE))
    return moves, ask


def _fired(stage: Stage, breaker: Breaker, first_block: int) -> int | None:
    """The block of the guard's `BreakerFired` for `breaker` since `first_block`, if any."""
    logs = stage.guard.events.BreakerFired().get_logs(from_block=first_block)
    blocks = [int(e["blockNumber"]) for e in logs if int(e["args"]["ruleId"]) == breaker.id]
    return min(blocks) if blocks else None


def trigger(stage: Stage, breaker: Breaker) -> Step:
    chain, deployer = stage.chain, stage.chain.accounts[0]
    start = time.perf_counter()
    first = int(chain.w3.eth.block_number) + 1
    outcomes: list[TxOutcome] = []
    if breaker.onchain:
        moves, ask = _moves(stage, breaker)
        outcomes += [chain.call_fn(m, deployer) for m in moves]
        how = "flow report" if ask == "flow" else "poke by anyone"
        if _fired(stage, breaker, first) is None:
            outcomes.append(chain.call_fn(stage.guard.functions.poke(breaker.id), deployer))
            how = "poke by anyone"
    else:
        agent = next(iter(stage.harness.agents.values()))
        outcomes.append(chain.call_fn(stage.guard.functions.trip(breaker.id), agent))
        how = "trip by the agent"
    fired = _fired(stage, breaker, first)
    ms = (time.perf_counter() - start) * 1000
    if fired is None:
        return Step(f"breaker `{breaker.name}`", how, False, "did not fire", ms, 0)
    return Step(f"breaker `{breaker.name}`", how, True, f"fired in block {fired}", ms,
                fired - first + 1)
