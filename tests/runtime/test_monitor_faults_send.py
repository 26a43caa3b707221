"""Fault tests on Anvil for sending trips (issue 17, faults 4 and 8; docs/monitor.md, "Faults"):
each asserts the breaker fired exactly once, the outcome reported truthfully, and `/health`.

- 4: a trip evicted from the node's pool is sent again at once, with the nonce it left free;
- 8: a send whose reply was lost but which was mined is `sent` (not `refused: ...`); a rate
  limit carrying `data` is retried, not taken for a revert; an unfunded agent degrades
  `/health` and alerts once per episode (not at every block); a replica's "transaction
  already imported" is `sent`, both replicas' at the first try; a refusal after a replica's
  trip is `already in effect`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from monitor_chain import AGENT_KEY, USDC, MonitorThread, Venue, deploy_venue, wait_for
from monitor_faults import proxied_monitor

from interlock.runtime.anvil import Anvil
from interlock.runtime.evaluate import Decision
from interlock.runtime.executor import Executor, RpcError, SendResult
from interlock.runtime.ingest import Node
from interlock.runtime.monitor import MonitorConfig

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
AGENT = Account.from_key(AGENT_KEY).address


def drain(venue: Venue, *, automine: bool = True) -> None:
    """Rule 0 (`outflow(USDC, 1h) > 10% of tvl(USDC)`) becomes true for `poke`: a withdrawal
    the guard allows (60k of 1M), then an unreported loss (the tvl falls to 440k)."""
    balance = int(venue.token.functions.balanceOf(venue.vault.address).call())
    calls = [(venue.vault.functions.withdraw(60_000 * USDC), venue.users[1]),
             (venue.token.functions.setBalance(venue.vault.address,
                                               balance - 560_000 * USDC), venue.deployer)]
    for fn, sender in calls:
        tx_hash = fn.transact({"from": sender})
        if not automine:
            venue.node.rpc("evm_mine")
        assert venue.w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1


def pokes(venue: Venue) -> list[str]:
    logs = venue.guard.events.BreakerFired.get_logs(from_block=0)
    return [e["args"]["caller"] for e in logs if e["args"]["ruleId"] == 0]


def drain_results(m: MonitorThread) -> list[tuple[str, str, int | None]]:
    return [(r.status, r.reason, r.nonce) for r in m.monitor.stats.results
            if r.decision.breaker == "drain"]



def run(venue: Venue, rpc: str, tmp_path: Path, name: str, key: str = AGENT_KEY
        ) -> MonitorThread:
    cfg = MonitorConfig(rpc=rpc, guard=venue.guard.address,
                        checkpoint=str(tmp_path / f"{name}.db"), poll_interval_s=0.02)
    return MonitorThread(venue.program, cfg, key=key, name=f"interlock.monitor.{name}").start()


def test_a_lost_send_reply_of_a_mined_trip_is_sent(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        with proxied_monitor(venue, tmp_path, "lost") as (proxy, m):
            proxy.lose_reply["eth_sendRawTransaction"] = 1
            drain(venue)
            wait_for(lambda: bool(drain_results(m)), 20, m.log.getvalue()[-3000:])
            m.caught_up(venue.head())
            m.stop()
        assert proxy.lost == 1
        assert pokes(venue) == [AGENT]
        assert [r[0] for r in drain_results(m)] == ["sent"], drain_results(m)
        mined = [x for x in m.monitor.stats.mined if x["rule"] == "drain"]
        assert [x["ok"] for x in mined] == [True]


def test_a_rate_limit_with_data_is_retried_not_taken_for_a_revert(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        with proxied_monitor(venue, tmp_path, "limit") as (proxy, m):
            proxy.error_next["eth_sendRawTransaction"] = [
                {"code": -32005, "message": "rate limit exceeded",
                 "data": {"see": "https://provider.example/limits"}}]
            drain(venue)
            wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
            m.caught_up(venue.head())
            m.stop()
        assert proxy.failed == 1
        assert pokes(venue) == [AGENT]
        assert [r[0] for r in drain_results(m)] == ["sent"], drain_results(m)


def trip_failed(m: MonitorThread) -> list[dict[str, Any]]:
    alerts = [json.loads(line)["alert"] for line in m.alerts.getvalue().splitlines()]
    return [a for a in alerts if a["event"] == "TripFailed"]


def test_an_unfunded_agent_degrades_health_and_alerts_once_per_episode(tmp_path: Path) -> None:
    poor = Account.create()
    with Anvil() as node:
        venue = deploy_venue(node, addresses={"watcher": poor.address})
        m = run(venue, node.ws_url, tmp_path, "poor", key=poor.key.hex())
        drain(venue)
        wait_for(lambda: "agent" in m.health.snapshot()["problems"], 20,
                 m.log.getvalue()[-3000:])
        assert m.health.snapshot()["status"] == "degraded"
        for _ in range(3):  # every block decides again, and fails again: one page, not four
            venue.advance(1)
        m.caught_up(venue.head())
        assert [s for s, _, _ in drain_results(m)].count("failed") >= 4, drain_results(m)
        assert len(m.events("agent_unfunded")) == 1
        (first,) = trip_failed(m)
        assert "insufficient funds" in first["reason"].lower()
        assert venue.fired_until(0) == 0 and not m.monitor.in_flight
        venue.advance(3601)  # the outflow leaves the hour's window: the episode is over
        m.caught_up(venue.head())
        assert not m.monitor.failing
        venue.withdraw(venue.users[2], 30_000 * USDC)  # a new drain (30k of 410k allowed),
        venue.lose(200_000 * USDC)  # a new episode, paged again
        wait_for(lambda: len(trip_failed(m)) == 2, 20, m.log.getvalue()[-3000:])
        second = trip_failed(m)[1]
        assert second["id"] != first["id"] and second["block"] > first["block"]
        node.rpc("anvil_setBalance", [poor.address, hex(10**18)])
        venue.advance(1)  # the next block decides again
        wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
        m.caught_up(venue.head())
        wait_for(lambda: m.health.snapshot()["status"] == "ok", 5, str(m.health.snapshot()))
        m.stop()
        assert m.events("agent_funded")
        assert pokes(venue) == [poor.address]
        assert len(trip_failed(m)) == 2 and not m.monitor.failing


def test_a_replicas_already_imported_transaction_is_sent(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        node.rpc("evm_setAutomine", [False])
        replicas = [run(venue, node.http_url, tmp_path, f"rep{i}") for i in (1, 2)]
        drain(venue, automine=False)
        for r in replicas:
            wait_for(lambda r=r: bool(drain_results(r)), 20, r.log.getvalue()[-3000:])
        node.rpc("evm_mine")
        wait_for(lambda: venue.fired_until(0) > 0, 20)
        for r in replicas:
            r.caught_up(venue.head())
            r.stop()
        assert pokes(venue) == [AGENT]
        results = [drain_results(r) for r in replicas]
        assert results == [[("sent", "", 0)], [("sent", "", 0)]], results  # at the first try
        sent = {x.tx_hash for r in replicas for x in r.monitor.stats.results if x.status == "sent"}
        assert len(sent) == 1  # the same transaction: the second is "already imported"


def test_an_evicted_trip_is_sent_again_with_its_nonce(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        node.rpc("evm_setAutomine", [False])
        m = run(venue, node.http_url, tmp_path, "evicted")
        drain(venue, automine=False)
        wait_for(lambda: bool(drain_results(m)), 20, m.log.getvalue()[-3000:])
        first = m.monitor.stats.results[0].tx_hash
        assert node.rpc("anvil_dropTransaction", [first]) is not None  # evicted from the pool
        wait_for(lambda: bool(m.events("trip_dropped")), 10, m.log.getvalue()[-3000:])
        assert not m.monitor.in_flight  # decided again at the next block: nothing to report
        assert m.health.snapshot()["status"] == "ok", m.health.snapshot()
        node.rpc("evm_mine")  # the next block decides again
        wait_for(lambda: len(drain_results(m)) == 2, 20, m.log.getvalue()[-3000:])
        node.rpc("evm_mine")
        wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
        m.caught_up(venue.head())
        assert m.health.snapshot()["status"] == "ok", m.health.snapshot()
        m.stop()
        assert pokes(venue) == [AGENT]
        assert [(s, n) for s, _, n in drain_results(m)] == [("sent", 0), ("sent", 0)]
        assert venue.w3.eth.get_transaction_count(AGENT) == 1


async def poke_at_head(node: Anvil, venue: Venue) -> tuple[Any, SendResult]:
    """The agent's `poke` of `drain` decided at the head, its estimate read in the block's
    batch as the monitor reads it: (that estimate's reply, the send's result)."""
    block = venue.head()
    rpc = Node(node.http_url)
    await rpc.connect()
    try:
        ex = Executor(rpc.request, venue.guard.address, Account.from_key(AGENT_KEY),
                      batch=rpc.batch)
        d = Decision("drain", 0, "poke", None, (), block)
        estimate, nonce = await rpc.batch(ex.precheck_requests([d], block))
        return estimate, await ex.submit(d, 10**9, (estimate, nonce))
    finally:
        await rpc.close()

def test_a_refusal_after_a_replicas_trip_is_already_in_effect_not_a_cooldown() -> None:
    """The block's own estimate reverts once a replica's poke is mined (`RuleCooldown`): the
    refusal is confirmed by a request of its own, which reports what happened on chain."""
    with Anvil() as node:
        venue = deploy_venue(node)
        drain(venue)
        venue.tx(venue.guard.functions.poke(0), venue.users[4])  # a replica (anyone may poke)
        estimate, result = asyncio.run(poke_at_head(node, venue))
        assert isinstance(estimate, RpcError) and "0x" in estimate.message
        assert result.status == "refused" and result.reason.startswith(
            "already in effect on chain until"), result
        assert venue.w3.eth.get_transaction_count(AGENT) == 0  # nothing sent


def test_a_trip_the_guard_refuses_says_why_with_the_guards_error_decoded() -> None:
    """A poke whose condition does not hold on chain: the estimate reverts, and the refusal
    names the guard's error and its arguments, not the node's text with raw bytes."""
    with Anvil() as node:
        venue = deploy_venue(node)
        _estimate, result = asyncio.run(poke_at_head(node, venue))
        assert result.status == "refused" and result.reason.startswith("ConditionNotMet("), \
            result
        assert venue.w3.eth.get_transaction_count(AGENT) == 0

def test_a_trip_dropped_by_a_reorg_is_sent_again_with_its_nonce(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        m = run(venue, node.http_url, tmp_path, "reorged")
        drain(venue)
        wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
        m.caught_up(venue.head())
        node.rpc("anvil_reorg", [1, []])  # the poke's block replaced by an empty one
        assert venue.fired_until(0) == 0 and venue.w3.eth.get_transaction_count(AGENT) == 0
        node.rpc("evm_mine")
        wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
        m.caught_up(venue.head())
        assert m.health.snapshot()["status"] == "ok", m.health.snapshot()
        m.stop()
        assert m.events("reorg_below_confirmations")
        assert pokes(venue) == [AGENT]
        assert [(s, n) for s, _, n in drain_results(m)] == [("sent", 0), ("sent", 0)]
        assert venue.w3.eth.get_transaction_count(AGENT) == 1
