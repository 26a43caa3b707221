"""`interlock demo` end to end: real Anvil, real solc, the built guard and the built monitor as a
process. Asserts the story's facts, not its wording: every SPEC property proved, the drain
breaker fired and the guard paused withdrawals, at least `PRESERVED_AT_LEAST` of the pool kept
(the unguarded run loses the whole drain), the broken variant violated, no process left."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

from interlock.demo.scenario import POOL_TVL, PRESERVED_AT_LEAST, TOTAL_DRAIN
from interlock.demo.story import DemoResult, run_demo

pytestmark = [pytest.mark.anvil, pytest.mark.evm]


def children() -> set[int]:
    """Pids of this process's live (not zombie) children."""
    me = str(os.getpid())
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == me and not fields.get("State", "").startswith("Z"):
            found.add(int(status.parent.name))
    return found


Demo = tuple[DemoResult, str, set[int], Path]


def test_the_demo_tells_its_story(tmp_path: Path) -> None:
    """One run (about 40 s), so that `pytest -n 2` never runs two: each fact checked below."""
    before = children()
    stream = io.StringIO()
    result = run_demo(Console(file=stream, width=120), out=tmp_path)
    demo = (result, stream.getvalue(), children() - before, tmp_path)
    assert result.ok, result.failures
    assert "demo passed" in demo[1]
    check_every_property_of_the_spec_example_is_proved(demo)
    check_the_drain_breaker_fired_and_the_guard_paused(demo)
    check_funds_preserved_compared_with_no_guard(demo)
    check_the_broken_variant_is_violated(demo)
    check_the_build_outputs_were_deployed(demo)
    check_no_process_is_left(demo)


def check_every_property_of_the_spec_example_is_proved(
    demo: Demo,
) -> None:
    result, _, _, _ = demo
    assert result.proved == [
        "no_single_key",
        "no_single_org",
        "withdrawals_escape",
        "feed_halts_liqs",
        "leverage_bounds",
        "withdrawals_pausable",
    ]


def check_the_drain_breaker_fired_and_the_guard_paused(
    demo: Demo,
) -> None:
    result, text, _, _ = demo
    guarded = result.guarded
    assert guarded is not None and guarded.containment is not None
    c = guarded.containment
    assert c.breaker == "drain"
    assert result.guard_paused
    assert c.paused_until - c.fired_at == 6 * 3600
    assert c.block >= c.last_drain_block
    fired_after = [o for o in guarded.outcomes if o.block > c.block]
    assert fired_after and all(o.status != "drained" for o in fired_after)
    if c.by == "monitor":  # the usual case: the poke lands before the next withdrawal
        assert c.ms_after_drain is not None and c.ms_after_drain > 0
        assert result.monitor_decision_ms is not None
    assert f"breaker `drain` fired in block {c.block}" in text


def check_funds_preserved_compared_with_no_guard(
    demo: Demo,
) -> None:
    result, _, _, _ = demo
    guarded, bare = result.guarded, result.bare
    assert guarded is not None and bare is not None
    assert guarded.pool_before == bare.pool_before == POOL_TVL
    assert guarded.preserved >= PRESERVED_AT_LEAST
    assert bare.lost == TOTAL_DRAIN
    assert all(o.status == "drained" for o in bare.outcomes)
    assert guarded.lost < bare.lost / 4


def check_the_broken_variant_is_violated(demo: Demo) -> None:
    result, text, _, _ = demo
    assert result.broken_violated == ["withdrawals_escape"]
    assert result.backtest == {"euler-2023-03": True, "beanstalk-2022-04": False}
    assert "violated withdrawals_escape" in text


def check_the_build_outputs_were_deployed(demo: Demo) -> None:
    _, _, _, out = demo
    built = out / "build"
    assert (built / "manifest.json").is_file()
    assert (built / "PerpVenueGuard.json").is_file()
    assert list(built.glob("*_monitor.py"))
    assert (
        "0x7777777777777777777777777777777777777777" not in (out / "perp_venue.guard").read_text()
    )


def check_no_process_is_left(demo: Demo) -> None:
    result, _, left, _ = demo
    assert set(result.pids) == {"anvil", "monitor"}
    assert left == set()
    for pid in result.pids.values():
        assert (
            not Path(f"/proc/{pid}").exists()
            or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
        )
