"""The monitor's speed, printed as tables.

    .venv/bin/python bench/monitor.py [--rounds 40] [--seconds 3]

1. In process: breaker evaluations per second — `evaluate.decide` over the venue of
   tests/runtime/monitor_kit.py (six breakers, a score, a per-sender rule) with varied metric
   values, each breaker condition counted once (`Outcome.evaluated`). Target: >= 100,000/s.
2. On Anvil (WebSocket): the testkit venue and its generated guard, the monitor in this process.
   Each round moves the price 4% off its reference (making `oracle_divergence` true), waits for
   the monitor's poke, then moves the price back and lets the effects expire. Reported:
   - decision latency: from the monitor receiving the new head to the trip transaction being
     sent (the monitor's own clock; target p99 < 50 ms);
   - from the triggering transaction's receipt (seen by this script) to the trip being sent;
   - from receiving the head to the trip being mined.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "runtime"))

from monitor_chain import PRICE, MonitorThread, deploy_venue, wait_for  # noqa: E402
from monitor_kit import CHANGE, DEV, INFLOW, OUTFLOW, TVL, WAD, venue_program  # noqa: E402

from interlock.runtime.anvil import Anvil  # noqa: E402
from interlock.runtime.evaluate import RulePlan, decide  # noqa: E402
from interlock.runtime.metrics import AtomValues, MetricPlan  # noqa: E402
from interlock.runtime.monitor import MonitorConfig  # noqa: E402
from interlock.verifier.semantics import initial_state  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_in_process(seconds: float) -> tuple[int, float]:
    program = venue_program()
    rules = RulePlan.for_program(program)
    state = initial_state(program, 1_800_000_000)
    rng = random.Random(1)
    plan = MetricPlan.from_program(program)
    samples = [  # as `MetricState.values` hands them to `decide`
        AtomValues({OUTFLOW: rng.randint(0, 200_000), INFLOW: rng.randint(0, 200_000),
                    TVL: 1_000_000, DEV: rng.randint(0, 5 * WAD // 100),
                    CHANGE: rng.randint(0, WAD // 10)}, plan.instances)
        for _ in range(1000)
    ]
    evaluated, i = 0, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            evaluated += decide(program, rules, state, samples[i % 1000], {}, block=1).evaluated
            i += 1
    elapsed = time.perf_counter() - start
    return evaluated, evaluated / elapsed


def bench_anvil(rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"decision": [], "receipt_to_sent": [], "mined": []}
    with Anvil() as node:
        venue = deploy_venue(node)
        cfg = MonitorConfig(rpc=node.ws_url, guard=venue.guard.address,
                            checkpoint=str(Path("/tmp") / f"bench-monitor-{node.port}.sqlite"))
        m = MonitorThread(venue.program, cfg, name="interlock.monitor.bench").start()
        try:
            for _ in range(rounds):
                before = len(m.monitor.stats.mined)
                venue.set_price(PRICE * 104 // 100)
                seen = time.perf_counter()
                wait_for(lambda before=before: len(m.monitor.stats.mined) > before, 20,
                         m.log.getvalue()[-2000:])
                sent = [r for r in m.monitor.stats.results
                        if r.status == "sent" and r.decision.breaker == "oracle_divergence"][-1]
                out["receipt_to_sent"].append(sent.sent_at - seen)
                venue.set_price(PRICE)
                venue.advance(2 * 3600 + 1)  # the suspension, the pause and `tighten` expire
                m.caught_up(venue.head())
        finally:
            m.stop()
        out["decision"] = list(m.monitor.stats.latencies_s)
        out["mined"] = [x["mined_s"] for x in m.monitor.stats.mined]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args(argv)

    n, rate = bench_in_process(args.seconds)
    print("## Rule evaluation in process\n")
    print("| evaluations | per second | target |")
    print("| ---: | ---: | ---: |")
    print(f"| {n:,} | {rate:,.0f} | >= 100,000 {'(met)' if rate >= 100_000 else '(MISSED)'} |")

    lat = bench_anvil(args.rounds)
    print(f"\n## Trip latency on Anvil over WebSocket ({args.rounds} rounds)\n")
    print("| from -> to | n | p50 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [("head received -> trip sent (decision)", "decision"),
            ("trigger receipt -> trip sent", "receipt_to_sent"),
            ("head received -> trip mined", "mined")]
    for label, key in rows:
        xs = [x * 1000 for x in lat[key]]
        if xs:
            print(f"| {label} | {len(xs)} | {statistics.median(xs):.1f} | {pct(xs, 99):.1f} "
                  f"| {max(xs):.1f} |")
    p99 = pct([x * 1000 for x in lat["decision"]], 99) if lat["decision"] else float("inf")
    print(f"\ndecision p99 target < 50 ms: {'met' if p99 < 50 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
