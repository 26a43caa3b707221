"""Issue 16, item 2, in the verifier: `S blocked at most D`, finding W0811 and `unblock`.

`data/violated/agent_lockout.guard` is `examples/bridge.guard` as it was: the old model proved
`releases_resume` (a property of pauses) and had nothing to say about blocks, while the agent
can keep one user out of `releases` for ever. The new property is violated there, with a
counterexample that replays on the reference semantics here and on the deployed guard in
tests/verifier/test_replay_on_chain.py.
"""

from __future__ import annotations

from pathlib import Path

from interlock.dsl.fmt import format_source
from interlock.semantics import initial_state, step
from interlock.testing.deploy import check_text
from interlock.verifier.blocks import VICTIM
from interlock.verifier.engine import verify
from interlock.verifier.findings import find
from interlock.verifier.result import PropertyResult

PATH = Path(__file__).parent / "data" / "violated" / "agent_lockout.guard"
TEXT = PATH.read_text()


def _results(text: str) -> dict[str, PropertyResult]:
    program = check_text(text, str(PATH))
    return {r.name: r for r in verify(program, timeout_s=60, jobs=1)}


def _longest_block(text: str, r: PropertyResult, scope: str) -> int:
    """The victim's longest continuous block from `scope` along the counterexample, on the
    reference semantics (a block starting by the end of the last one continues it)."""
    program = check_text(text, str(PATH))
    assert r.counterexample is not None
    st = initial_state(program, 1_000)
    until = since = longest = 0
    for s in r.counterexample.steps:
        st = step(program, st, s)
        new = max(st.blocked_until.get((VICTIM, scope), 0), st.blocked_until.get((VICTIM, "*"), 0))
        if new > until and (until == 0 or st.now > until):
            since = st.now
        until = new
        longest = max(longest, until - since)
    return longest


def test_the_old_model_proved_pauses_while_a_user_is_locked_out() -> None:
    res = _results(TEXT)
    assert res["releases_resume"].status == "proved"
    assert res["releases_lockout"].status == "violated"
    assert _longest_block(TEXT, res["releases_lockout"], "releases") > 24 * 3600
    assert res["deposits_lockout"].status == "proved"  # `flood`'s cooldown bounds it


def test_two_rules_whose_cooldowns_are_shorter_than_each_others_blocks_chain() -> None:
    """With `cooldown 1h` `release_spam` alone blocks 24h at most, but it is ready again
    while `flood` (every scope, 2h) blocks, and `flood` while it blocks: no bound at all."""
    fixed = TEXT.replace('blocked for 24h"\n}', 'blocked for 24h"\n  cooldown 1h\n}')
    assert fixed != TEXT
    res = _results(fixed + "invariant month: releases blocked at most 30d\n")
    assert res["month"].status == "violated"
    assert _longest_block(fixed, res["month"], "releases") > 30 * 86_400


def test_a_block_from_every_scope_counts_and_two_rules_chain() -> None:
    """`flood` (every scope, 2h, cooldown 6h) blocks from `releases` too: with `release_spam`
    bounded to 24h the two chain into 28h (flood, spam as it ends, flood as that ends)."""
    fixed = TEXT.replace('blocked for 24h"\n}', 'blocked for 24h"\n  cooldown 24h\n}')
    res = _results(fixed + "invariant c27: releases blocked at most 27h\n"
                   "invariant c28: releases blocked at most 28h\n")
    assert res["releases_lockout"].status == "violated"
    assert res["c27"].status == "violated"
    assert _longest_block(fixed, res["c27"], "releases") == 28 * 3600
    assert res["c28"].status == "proved"


def test_a_blocking_rule_without_cooldown_is_a_finding() -> None:
    program = check_text(TEXT, str(PATH))
    (w,) = [d for d in find(program) if d.code == "W0811"]
    assert "`release_spam`" in w.message and "without bound" in w.message


def test_unblock_and_the_property_format_back_to_themselves() -> None:
    assert format_source(TEXT, str(PATH)).count("allow council to unblock *") == 1
    assert "invariant releases_lockout: releases blocked at most 24h" in format_source(
        TEXT, str(PATH))
