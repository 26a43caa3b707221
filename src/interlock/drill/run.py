"""`interlock drill BUILD_DIR`: rehearse the plan on a local Anvil, incident class by class.

Per class (the plan's order), from a fresh snapshot of the drill venue: trigger each breaker
that answers it, walk each manual step that contains it, let the automatic effects expire, walk
each recovery step; then revert the chain for the next class. Each step's outcome and timing is
reported; exit 0 when every step did what the plan says, 1 otherwise.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from interlock.drill.breakers import Step, trigger
from interlock.drill.stage import T0, Stage, setup
from interlock.drill.steps import walk
from interlock.ir.nodes import SuspendEffect
from interlock.plan.automated import classes_of
from interlock.plan.facts import INCIDENT_CLASSES
from interlock.plan.manual import actions
from interlock.plan.model import CONTAIN, RECOVER, TITLES
from interlock.runtime.anvil import Anvil


@dataclass(frozen=True)
class Rehearsal:
    title: str
    steps: tuple[Step, ...]


def _expire(stage: Stage, seconds: int) -> Step:
    stage.chain.mine(stage.chain.latest_timestamp() + seconds + 1)
    return Step("automatic effects expire", f"chain time +{seconds + 1}s", True,
                "the breakers' pauses, suspensions and overrides have ended", 0.0, 1)


def rehearse(stage: Stage, key: str, workdir: Path) -> Rehearsal:
    program = stage.program
    acts = actions(program, Path(program.source_path).read_text(encoding="utf-8"))
    # breakers that suspend a feed go last: a rule reading a suspended feed does not fire, and in
    # an incident the milder thresholds (the score's) are crossed before the suspending one
    breakers = sorted((b for b in program.breakers if key in classes_of(program, b)),
                      key=lambda b: any(isinstance(e, SuspendEffect) for e in b.effects))
    steps = [trigger(stage, b) for b in breakers]
    steps += [walk(stage, a, workdir) for k in CONTAIN[key] for a in acts
              if a.kind == k and a.kind != "cancel"]
    longest = max((e.duration for b in breakers for e in b.effects
                   if hasattr(e, "duration")), default=0)
    if longest:
        steps.append(_expire(stage, int(longest)))
    steps += [walk(stage, a, workdir) for k in RECOVER[key] for a in acts if a.kind == k]
    return Rehearsal(TITLES[key], tuple(steps))


def run_drill(build_dir: Path, protocol: str | None = None) -> tuple[Rehearsal, ...]:
    out = []
    with tempfile.TemporaryDirectory(prefix="interlock-drill-") as tmp, \
            Anvil(timestamp=T0) as node:
        stage = setup(node, build_dir, Path(tmp), protocol)
        for key in INCIDENT_CLASSES:
            snapshot = stage.chain.snapshot()
            out.append(rehearse(stage, key, Path(tmp)))
            stage.chain.revert(snapshot)
    return tuple(out)


def render(rehearsals: tuple[Rehearsal, ...]) -> str:
    lines = []
    for r in rehearsals:
        lines.append(f"{r.title}:")
        for s in r.steps:
            mark = "ok  " if s.ok else "FAIL"
            lines.append(f"  {mark} {s.name} ({s.how}): {s.outcome} "
                         f"[{s.ms:.0f} ms, {s.blocks} block(s)]")
        if not r.steps:
            lines.append("  (no breaker and no power answers it)")
    failed = sum(not s.ok for r in rehearsals for s in r.steps)
    total = sum(len(r.steps) for r in rehearsals)
    lines.append(f"{total - failed}/{total} steps did what the plan says")
    return "\n".join(lines) + "\n"
