"""End to end on Anvil: the generated guard, the testkit venue and the monitor over WebSocket.

Each test drives real transactions and asserts the guard's state on chain: a drain, an oracle
divergence and a risk-score tier trip exactly the rules that say so, benign traffic trips
nothing, a per-sender rule blocks the spammer only, and `--dry-run` decides without sending.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from monitor_chain import AGENT_KEY, PRICE, USDC, MonitorThread, Venue, deploy_venue, wait_for
from monitor_kit import CALLS

from interlock.runtime.anvil import Anvil
from interlock.runtime.monitor import MonitorConfig

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
H = 3600
FAR = 2**64 - 1


@pytest.fixture
def venue() -> Iterator[Venue]:
    with Anvil() as node:
        yield deploy_venue(node)


def start(venue: Venue, tmp_path: Path, *, ws: bool = True, dry_run: bool = False,
          name: str = "m") -> MonitorThread:
    url = venue.node.ws_url if ws else venue.node.http_url
    cfg = MonitorConfig(rpc=url, guard=venue.guard.address, checkpoint=str(tmp_path / "m.db"),
                        dry_run=dry_run, poll_interval_s=0.02)
    return MonitorThread(venue.program, cfg, name=f"interlock.monitor.{name}").start()


def test_benign_traffic_trips_nothing(venue: Venue, tmp_path: Path) -> None:
    m = start(venue, tmp_path)
    before = venue.guard_state()
    users = venue.users
    for i in range(3):
        venue.deposit(users[1 + i], 100 * USDC)  # two calls per sender: below `spam`
        venue.withdraw(users[1 + i], 50 * USDC)
        venue.set_price(PRICE + i * 10**8, PRICE + i * 10**8)  # moves together: no deviation
    venue.withdraw(users[0], 40_000 * USDC)  # 4% of tvl: below every threshold
    m.caught_up(venue.head())
    m.stop()
    assert venue.guard_state() == before
    assert not m.monitor.stats.results
    assert m.alerts.getvalue() == ""
    assert m.monitor.stats.blocks >= 10


def test_drain_is_poked_and_pauses_withdrawals(venue: Venue, tmp_path: Path) -> None:
    m = start(venue, tmp_path)
    whale = venue.users[0]
    # 90k out of 1M: the guard allows it (90k <= 10% of the 910k left); then the vault loses
    # 100k it does not report: outflow * 10 = 900k > tvl = 810k, and only a poke notices
    receipt = venue.withdraw(whale, 90_000 * USDC)
    assert receipt["status"] == 1
    venue.lose(100_000 * USDC)
    wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
    (fired,) = venue.guard.events.BreakerFired.get_logs(from_block=receipt["blockNumber"])
    assert fired["args"]["caller"] == Account.from_key(AGENT_KEY).address  # the monitor's poke,
    assert fired["blockNumber"] > receipt["blockNumber"]  # not the guard's check in the flow
    m.caught_up(venue.head())
    m.stop()
    ts = venue.w3.eth.get_block("latest")["timestamp"]
    paused_until = venue.guard.functions.pausedUntil(1).call()
    assert ts < paused_until <= ts + 6 * H
    assert not venue.guard.functions.isActive(1).call()
    sent = [r for r in m.monitor.stats.results if r.status == "sent"]
    assert [(r.decision.breaker, r.decision.method) for r in sent] == [("drain", "poke")]
    assert all(x["ok"] for x in m.monitor.stats.mined)
    alerts = [json.loads(x)["alert"] for x in m.alerts.getvalue().splitlines()]
    assert {a["rule"] for a in alerts} == {"drain", "watch"}  # the trip and the >5% alert
    # a further withdrawal is refused by the pause itself
    with pytest.raises(Exception):  # noqa: B017 - reverts with ScopePaused
        venue.withdraw(whale, 1 * USDC)


def test_risk_tier_then_oracle_divergence(venue: Venue, tmp_path: Path) -> None:
    m = start(venue, tmp_path)
    # deviation 2.5%: the score reaches 40 -> `tighten` (off chain: trip); below 3%: no suspend
    venue.set_price(PRICE * 1025 // 1000)
    wait_for(lambda: venue.guard.functions.paramValue(0).call() == 10, 20,
             m.log.getvalue()[-3000:])
    assert venue.fired_until(1) == 0
    assert not venue.guard.functions.isSuspended(0).call()
    # deviation 4%: `oracle_divergence` (on chain: poke) suspends the feed, pauses liquidations
    venue.set_price(PRICE * 104 // 100)
    wait_for(lambda: venue.guard.functions.isSuspended(0).call(), 20, m.log.getvalue()[-3000:])
    assert not venue.guard.functions.isActive(2).call()
    assert venue.guard.functions.isActive(1).call()  # withdrawals untouched
    m.caught_up(venue.head())
    m.stop()
    sent = [(r.decision.breaker, r.decision.method) for r in m.monitor.stats.results
            if r.status == "sent"]
    assert sent == [("tighten", "trip"), ("oracle_divergence", "poke")]
    assert venue.guard.functions.paramBase(0).call() == 20  # the override, not the base


def test_spammer_is_blocked_and_nobody_else(venue: Venue, tmp_path: Path) -> None:
    m = start(venue, tmp_path)
    spammer, calm = venue.users[1], venue.users[2]
    venue.deposit(calm, 10 * USDC)
    for _ in range(6):
        venue.deposit(spammer, 1 * USDC)
    wait_for(lambda: venue.fired_until(3) > 0, 20, m.log.getvalue()[-3000:])
    m.caught_up(venue.head())
    m.stop()
    blocked = venue.guard.functions.blockedUntil
    now = venue.w3.eth.get_block("latest")["timestamp"]
    assert blocked(spammer, 0).call() > now
    # Anvil announces pending transactions over WebSocket: each call is counted once, whether
    # its pending notice or its block came first
    assert m.monitor.state.pending_seen
    assert m.monitor.state.calls_by_sender[CALLS].totals(now) == {
        spammer.lower(): 6, calm.lower(): 1}
    assert blocked(calm, 0).call() == 0
    sent = [(r.decision.method, r.decision.sender) for r in m.monitor.stats.results]
    assert sent == [("tripSender", spammer.lower())]


def test_dry_run_decides_alerts_and_sends_nothing_over_http(venue: Venue, tmp_path: Path
                                                            ) -> None:
    m = start(venue, tmp_path, ws=False, dry_run=True)
    venue.set_price(PRICE * 104 // 100)
    m.caught_up(venue.head())
    wait_for(lambda: len(m.monitor.stats.results) >= 2, 10)
    m.stop()
    assert {(r.decision.breaker, r.status) for r in m.monitor.stats.results} == {
        ("oracle_divergence", "dry-run"), ("tighten", "dry-run")}
    assert venue.guard_state()["fired_until"] == [0] * len(venue.program.breakers)
    alerts = [json.loads(x)["alert"] for x in m.alerts.getvalue().splitlines()]
    assert {(a["rule"], a["dry_run"]) for a in alerts} == {
        ("oracle_divergence", True), ("tighten", True)}
    assert m.health.snapshot()["mode"] == "http-polling"
