"""Fault tests on Anvil for what an SRE does to a monitor (docs/monitor.md, "Faults"): each
asserts no missed and no duplicate trip, windows equal to the guard's, and a truthful /health.

- 3: a node answering `eth_estimateGas` with `null` after the block's events were counted, or
  sending a guard log that cannot be decoded (the block fails after its trip was sent);
- 5: the node's URL leading to another chain, while running and at a restart, or to a node
  of the same chain without the guard (lagging);
- 6: a checkpoint that cannot be written (SQLite's own "database or disk is full");
- 7: a damaged checkpoint (garbage, truncated, zero bytes, no window state);
- 9: `/health` on an idle chain, and behind the head (a monitor restarted 132 blocks behind).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from monitor_chain import AGENT_KEY, USDC, MonitorThread, Venue, deploy_venue, wait_for
from monitor_faults import HealthLog, degraded_until_poked, proxied_monitor, tcp_monitor
from monitor_kit import OUTFLOW, venue_program

from interlock.compiler.guard_abi import GUARD_EVENTS
from interlock.runtime.abi import event_topic
from interlock.runtime.anvil import Anvil
from interlock.runtime.checkpoint import CheckpointStore
from interlock.runtime.entry import main
from interlock.runtime.monitor import MonitorConfig
from interlock.runtime.node_checks import ChainMismatch
from interlock.runtime.ops import Health

pytestmark = [pytest.mark.anvil, pytest.mark.evm]
H = 3600
GUARD = "0x" + "ab" * 20


def pokes(venue: Venue, rule: int) -> list[str]:
    logs = venue.guard.events.BreakerFired.get_logs(from_block=0)
    return [e["args"]["caller"] for e in logs if e["args"]["ruleId"] == rule]


def guard_outflow(venue: Venue, block: int) -> int:
    return int(venue.guard.functions.outflow(venue.token.address, H).call(
        block_identifier=block))


def test_null_estimate_after_counting_neither_double_counts_nor_sticks(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        with proxied_monitor(venue, tmp_path, "null") as (proxy, m):
            proxy.null_results = {"eth_estimateGas"}
            venue.withdraw(venue.users[1], 40_000 * USDC)
            venue.withdraw(venue.users[2], 50_000 * USDC)  # allowed: 90k of 910k
            venue.lose(20_000 * USDC)  # the drain for `poke`: 90k of 890k
            wait_for(lambda: any(r.status == "failed" for r in m.monitor.stats.results), 20,
                     m.log.getvalue()[-3000:])
            m.caught_up(venue.head())
            assert venue.fired_until(0) == 0 and not m.monitor.in_flight
            assert m.events("trip_failed") == [] and m.events("decision")
            proxy.null_results = set()  # the node recovers; the next block decides again
            venue.advance(1)
            wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
            m.caught_up(venue.head())
            m.stop()
        assert proxy.nulled > 0
        assert pokes(venue, 0) == [Account.from_key(AGENT_KEY).address]  # once
        head = venue.head()
        # the monitor counts Transfers out of the vault, the unreported loss too; the guard reports
        assert m.monitor.stats.values[head][OUTFLOW] - 20_000 * USDC == guard_outflow(
            venue, head) == 90_000 * USDC
        assert not m.events("reorg_below_confirmations")
        failed = [x for x in m.alerts.getvalue().splitlines() if '"TripFailed"' in x]
        assert failed  # the failed attempt was alerted


def undecodable_breaker_fired(guard: str) -> dict[str, Any]:
    """A `BreakerFired` log of `guard` whose data is too short for its `firedUntil`."""
    event = next(e for e in GUARD_EVENTS if e.name == "BreakerFired")
    return {"address": guard, "topics": [event_topic(event.signature), "0x" + "00" * 32,
                                         "0x" + "00" * 32],
            "data": "0x01", "transactionHash": "0x" + "ee" * 32, "logIndex": "0x63"}


def test_a_failure_after_counting_restores_the_windows_before_the_block_is_read_again(
        tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        with proxied_monitor(venue, tmp_path, "reread", max_backoff_s=0.4) as (proxy, m):
            venue.withdraw(venue.users[1], 60_000 * USDC)  # allowed: 60k of 1M
            m.caught_up(venue.head())
            drained = venue.head() + 1
            # the drain's block: counted, the poke sent, then its guard logs fail to decode,
            # at three reads
            proxy.extra_logs[drained] = [3, venue.guard.address,
                                         undecodable_breaker_fired(venue.guard.address)]
            venue.lose(500_000 * USDC)  # the drain for `poke`: 60k of 440k
            degraded_until_poked(m, venue, "retrying")
            m.stop()
        assert proxy.added == 3 and len(m.events("internal_error")) == 3
        assert pokes(venue, 0) == [Account.from_key(AGENT_KEY).address]
        assert [r.status for r in m.monitor.stats.results if r.decision.breaker == "drain"] == [
            "sent"]  # sent at the first read, in flight at the re-reads
        # counted once: the withdrawal and the loss (a Transfer out of the vault), not twice
        assert m.monitor.stats.values[drained][OUTFLOW] == 560_000 * USDC
        head = venue.head()
        assert m.monitor.stats.values[head][OUTFLOW] - 500_000 * USDC == guard_outflow(
            venue, head) == 60_000 * USDC


def test_unwritable_checkpoint_keeps_deciding_and_says_so(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        cfg = MonitorConfig(rpc=venue.node.ws_url, guard=venue.guard.address,
                            checkpoint=str(tmp_path / "m.db"))
        m = MonitorThread(venue.program, cfg, name="interlock.monitor.full").start()
        venue.withdraw(venue.users[1], 1_000 * USDC)
        m.caught_up(venue.head())
        assert m.health.snapshot()["status"] == "ok"
        db = m.monitor.store._db
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite: "database or disk is full"
        for amount in (15_000, 15_000, 55_000):  # 86k of 914k: each flow allowed
            venue.withdraw(venue.users[2], amount * USDC)
        venue.lose(60_000 * USDC)  # the drain for `poke`: 86k of 854k
        wait_for(lambda: venue.fired_until(0) > 0, 20, m.log.getvalue()[-3000:])
        m.caught_up(venue.head())
        snap = m.health.snapshot()
        assert snap["status"] == "degraded" and "checkpoint" in snap["problems"], snap
        assert len(m.events("checkpoint_failed")) == 1  # reported once, not per block
        stuck = m.monitor.store.load()
        assert stuck is not None and stuck.block < venue.head()  # the last block that fitted
        db.execute("PRAGMA max_page_count = 1073741823")
        venue.advance(1)
        m.caught_up(venue.head())
        wait_for(lambda: m.health.snapshot()["status"] == "ok", 5, str(m.health.snapshot()))
        m.stop()
        assert m.events("checkpoint_recovered")
        assert not m.events("reorg_below_confirmations")
        assert pokes(venue, 0) == [Account.from_key(AGENT_KEY).address]
        head = venue.head()
        # the monitor counts Transfers out of the vault, the unreported loss too; the guard reports
        assert m.monitor.stats.values[head][OUTFLOW] - 60_000 * USDC == guard_outflow(venue, head)


def test_health_is_ok_on_an_idle_chain_and_degraded_behind_the_head(tmp_path: Path) -> None:
    with Anvil() as node:
        venue = deploy_venue(node)
        cfg = MonitorConfig(rpc=venue.node.ws_url, guard=venue.guard.address,
                            checkpoint=str(tmp_path / "m.db"), idle_check_s=0.2)
        m = MonitorThread(venue.program, cfg, name="interlock.monitor.idle",
                          health=Health(max_silence_s=1.0, max_lag_blocks=3)).start()
        m.caught_up(venue.head())
        time.sleep(1.5)  # no block for longer than max_silence: the node still answers
        assert m.health.snapshot()["status"] == "ok", m.health.snapshot()
        m.stop()
        behind = venue.head() + 132
        for _ in range(132):  # while it is down: restarted 132 blocks behind, past --max-lag
            node.rpc("evm_mine")
        health = HealthLog(max_lag_blocks=10)
        restarted = MonitorThread(venue.program, cfg, name="interlock.monitor.idle2",
                                  health=health).start()
        restarted.caught_up(behind)
        restarted.stop()
        first = health.seen[behind - 131]
        assert first["status"] == "degraded" and first["lag_blocks"] > 100, first
        late = [b for b, snap in health.seen.items() if snap["lag_blocks"] <= 10]
        assert late and all(health.seen[b]["status"] == "ok" for b in late)
        assert all(snap["status"] == "degraded" for snap in health.seen.values()
                   if snap["lag_blocks"] > 10)
    lagging = Health(max_silence_s=60)
    lagging.connected = True
    lagging.progress(100)
    lagging.contact(lag_blocks=132)
    assert lagging.snapshot()["status"] == "degraded"
    lagging.contact(lag_blocks=0)
    assert lagging.snapshot()["status"] == "ok"
    lagging.last_contact -= 61  # the node has said nothing for a minute
    assert lagging.snapshot()["status"] == "degraded"


def test_a_node_of_another_chain_is_refused_at_start_and_waited_out_later(
        tmp_path: Path) -> None:
    db = str(tmp_path / "chain.db")
    # a new chain: same chain id, its own genesis (a restarted dev node, a fresh devnet)
    with Anvil() as node_a, Anvil(timestamp=int(time.time()) + 10_000) as node_b:
        venue_a, venue_b = deploy_venue(node_a), deploy_venue(node_b)
        assert venue_a.guard.address == venue_b.guard.address  # same deployer, same nonces
        with tcp_monitor(venue_a, node_a.port, tmp_path, "chain") as (proxy, m):
            m.caught_up(venue_a.head())
            proxy.redirect(node_b.port)  # the URL now leads to another chain
            wait_for(lambda: bool(m.events("chain_mismatch")), 20, m.log.getvalue()[-2000:])
            assert m.error is None and "chain" in m.health.snapshot()["problems"]
            assert m.health.snapshot()["status"] == "degraded"
            proxy.redirect(node_a.port)  # back to the checkpoint's chain
            venue_a.withdraw(venue_a.users[1], 95_000 * USDC)
            wait_for(lambda: venue_a.fired_until(0) > 0, 30, m.log.getvalue()[-2000:])
            m.caught_up(venue_a.head())
            assert m.health.snapshot()["status"] == "ok"
            m.stop()
        assert pokes(venue_b, 0) == [] and len(pokes(venue_a, 0)) == 1
        restarted = MonitorThread(venue_b.program, MonitorConfig(
            rpc=node_b.ws_url, guard=venue_b.guard.address, checkpoint=db),
            name="interlock.monitor.chain2")
        restarted.start()
        with pytest.raises(ChainMismatch, match="checkpoint"):
            restarted.stop()


def test_a_node_without_the_guard_is_waited_out(tmp_path: Path) -> None:
    """A node of the same chain that lags behind (the guard not deployed yet there), as a load
    balancer may hand out."""
    start = int(time.time())
    with Anvil(timestamp=start) as node, Anvil(timestamp=start) as lagging:
        genesis = [n.rpc("eth_getBlockByNumber", ["0x0", False])["hash"]  # type: ignore[index]
                   for n in (node, lagging)]
        assert genesis[0] == genesis[1]  # one chain
        venue = deploy_venue(node)
        with tcp_monitor(venue, node.port, tmp_path, "lagging") as (proxy, m):
            m.caught_up(venue.head())
            proxy.redirect(lagging.port)
            wait_for(lambda: bool(m.events("guard_not_found")), 20, m.log.getvalue()[-2000:])
            snap = m.health.snapshot()
            assert m.error is None and snap["status"] == "degraded" and "guard" in snap[
                "problems"], snap
            proxy.redirect(node.port)
            venue.withdraw(venue.users[1], 60_000 * USDC)
            venue.lose(500_000 * USDC)  # the drain, for the monitor's poke
            wait_for(lambda: venue.fired_until(0) > 0, 30, m.log.getvalue()[-2000:])
            m.caught_up(venue.head())
            assert m.health.snapshot()["status"] == "ok"
            m.stop()
        assert pokes(venue, 0) == [Account.from_key(AGENT_KEY).address]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "no_state"])
def test_a_damaged_checkpoint_refuses_to_start_with_a_message(
        tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "m.db"
    program = venue_program()
    with CheckpointStore(db, GUARD) as store:
        for n in range(30):
            store.save(n, hex(n), {"metrics": {}, "holding": [], "timestamp": n, "chain": None})
    if damage == "garbage":
        db.write_bytes(b"not a database at all" * 100)
    elif damage == "truncated":
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    elif damage == "empty":
        db.write_bytes(b"")
    else:
        with CheckpointStore(db, GUARD) as store:
            store.save(31, "0x31", {})
    code = main(program, ["--rpc", "ws://127.0.0.1:9", "--guard", GUARD, "--dry-run",
                          "--checkpoint", str(db)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"error: checkpoint `{db}` is unusable") and "Traceback" not in err
