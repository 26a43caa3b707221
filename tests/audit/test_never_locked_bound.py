"""Audit: is the `never locked forever` bound of examples/bridge.guard tight?

`deposits` (max 72h, no gap) is paused by `release_burst` (1h, cooldown 3h) and by the
emergency power (at most 24h, cooldown 12h). Worked by hand: the breaker pauses 0..1h; the
emergency pause at exactly 1h continues it to 25h; the breaker, ready again since 4h, re-pauses
at exactly 25h, continuing to 26h; nothing else can act before 26h (the emergency power is
ready at 37h). So the longest continuous pause is 26h: the run below reaches it on the
concrete semantics, and the verifier itself proves `deposits paused at most 26h`. The bound it
reports for `deposits never locked forever` must never be below 26h (soundness); it used to be
72h (each duration counted once in the candidate sums) and is refined since dd30f56, but how
far depends on the machine's load (docs/audit.md, B5).
"""

from __future__ import annotations

from pathlib import Path

from interlock.dsl.frontend import compile_text
from interlock.ir.nodes import Atom, Program
from interlock.semantics.trace import Advance, Fire, MetricValue, UsePower
from interlock.verifier.engine import check_property
from interlock.verifier.symbolic import minimal_signers
from tests.audit.adversary import replay

BRIDGE = Path(__file__).resolve().parents[2] / "examples" / "bridge.guard"
H = 3600


def _program(extra: str = "") -> Program:
    result = compile_text(BRIDGE.read_text() + extra, str(BRIDGE))
    assert result.program is not None
    return result.program


def _burst() -> Fire:
    return Fire(breaker="release_burst", metrics=(
        MetricValue(atom=Atom(kind="metric", target="releases_1h"), value=401),
        MetricValue(atom=Atom(kind="metric", target="relayed_wei_1h"), value=0)))


def test_a_26h_pause_is_reachable_and_26h_is_provable() -> None:
    p = _program("invariant d26: deposits paused at most 26h\n")
    emergency = next(w for w in p.powers if w.kind == "pause" and w.role == "emergency")
    st = replay(p, [
        _burst(), Advance(seconds=H),
        UsePower(power=emergency.id, targets=("deposits",), value=24 * H,
                 signers=minimal_signers(p, "emergency")),
        Advance(seconds=24 * H), _burst(),
    ])
    assert st.paused_until["deposits"] - st.paused_since["deposits"] == 26 * H
    assert check_property(p, p.invariants[-1], 30.0).status == "proved"


def test_reported_bound_is_sound() -> None:
    """The reported bound is never below the reachable 26h. How tight it is depends on the
    machine's load (time caps on the refinement): 26h, 26h 33s and 72h were all observed for
    the same file (docs/audit.md, B5), so tightness is not asserted here."""
    p = _program()
    inv = next(i for i in p.invariants if i.name == "deposits_unlock")
    r = check_property(p, inv, 30.0)
    assert r.status == "proved"
    assert r.bound is not None and r.bound >= 26 * H, r.bound
