"""`interlock diff` verdicts on edits of one small rule file, each worked out by hand.

`rules.BASE`: guardian = 2 of [alice, carol, dave] (entities foundation, auditor, community);
council = 3 of [alice, bob, carol, dave] (alice and bob are both foundation); governor =
council after 48h; `drain` pauses withdrawals for 6h when more than 10% of the pool's USDC
left in an hour, cooldown 24h; withdrawals has max 72h gap 24h.
"""

from __future__ import annotations

import re
from fractions import Fraction

from tests.verifier.diff.rules import BASE, diff, edit, one


def test_no_change_reports_nothing() -> None:
    assert diff(BASE) == []


def test_threshold_lowered_weakens_with_the_new_coalition() -> None:
    # council 3 of 4 -> 2 of 4: any two keys now suffice (the witness is one such pair), and
    # one entity (foundation: alice and bob) suffices where two were needed
    c = one(diff(edit(("3 of [alice", "2 of [alice"))), "coalition")
    assert (c.verdict, c.code, c.name) == ("weakens", "W1002", "governor")
    assert c.before == "3 signers {alice, bob, carol}, 2 entities {foundation, auditor}"
    assert c.after == "2 signers {alice, bob}, 1 entity {foundation}"
    m = re.match(r"\{(\w+), (\w+)\} can use it now and could not before", c.evidence)
    assert m and {m[1], m[2]} < {"alice", "bob", "carol", "dave"}, c.evidence
    assert c.evidence.endswith("spans 1 entity {foundation}, was 2 entities {foundation, auditor}")


def test_entity_merged_into_another_weakens_by_entities_alone() -> None:
    # carol moves from auditor into foundation: the same key sets satisfy guardian, but
    # {alice, carol} is now one organisation
    changes = diff(edit(("0x3333333333333333333333333333333333333333 entity auditor",
                         "0x3333333333333333333333333333333333333333 entity foundation")))
    guardian = [c for c in changes if c.name == "guardian"]
    assert {c.aspect for c in guardian} == {"coalition"}
    c = guardian[0]
    assert c.verdict == "weakens" and c.code == "W1002"
    assert c.after == "2 signers {alice, carol}, 1 entity {foundation}"
    assert "can use it now" not in c.evidence  # no new key set: only the entity count


def test_timelock_shortened_weakens() -> None:
    c = one(diff(edit(("council after 48h", "council after 24h"))), "timelock")
    assert (c.verdict, c.code, c.before, c.after) == ("weakens", "W1003", "2d", "1d")


def test_timelock_lengthened_strengthens_without_a_code() -> None:
    c = one(diff(edit(("council after 48h", "council after 72h"))), "timelock")
    assert (c.verdict, c.code) == ("strengthens", None)


def test_power_cooldown_removed_weakens() -> None:
    c = one(diff(edit(("72h cooldown 24h", "72h"))), "cooldown")
    assert (c.verdict, c.code, c.before, c.after) == ("weakens", "W1005", "1d", "none")


def test_power_bound_raised_weakens() -> None:
    c = one(diff(edit(("for at most 72h", "for at most 96h"))), "at most")
    assert (c.verdict, c.code, c.before, c.after) == ("weakens", "W1004", "3d", "4d")


def test_max_raised_weakens_the_scope() -> None:
    # automation alone pauses withdrawals at most 6h either way: only `max` changes
    changes = diff(edit(("max 72h gap 24h", "max 96h gap 24h")))
    c = one(changes, "max")
    assert (c.verdict, c.code, c.before, c.after) == ("weakens", "W1008", "3d", "4d")
    assert [x for x in changes if x.aspect == "pause bound"] == []


def test_breaker_pause_lengthened_strengthens_the_breaker_and_weakens_the_scope() -> None:
    changes = diff(edit(("then pause withdrawals for 6h", "then pause withdrawals for 12h")))
    effect = one(changes, "effect")
    assert (effect.verdict, effect.before, effect.after) == (
        "strengthens", "pause withdrawals for 6h", "pause withdrawals for 12h")
    bound = one(changes, "pause bound")
    assert (bound.verdict, bound.code, bound.before, bound.after) == (
        "weakens", "W1007", "at most 6h", "at most 12h")
    # the old bound is refuted on the new rules by a replayed counterexample
    # (which witness Spacer returns depends on the solver's earlier work in this process)
    assert bound.evidence.startswith("the new rules pause it longer than 6h: +")
    assert "breaker drain: fires: pause withdrawals" in bound.evidence


def test_breaker_cooldown_removed_lets_it_refire_up_to_max() -> None:
    # no cooldown: drain re-fires while the pause lasts, and only `max 72h` stops it
    changes = diff(edit(("  cooldown 24h\n", "")))
    cooldown = one(changes, "cooldown", "drain")
    assert (cooldown.verdict, cooldown.code) == ("strengthens", None)
    bound = one(changes, "pause bound")
    assert (bound.verdict, bound.before, bound.after) == ("weakens", "at most 6h", "at most 3d")


def _ratio(evidence: str) -> Fraction:
    m = re.search(r"outflow\(USDC, 1h\) = ([\d.]+) USDC, tvl\(USDC\) = ([\d.]+) USDC", evidence)
    assert m, evidence
    return Fraction(m.group(1)) / Fraction(m.group(2))


def test_breaker_threshold_raised_fires_in_fewer_states() -> None:
    # 10% -> 20%: a state with an outflow between 10% and 20% of TVL fired it and no longer
    c = one(diff(edit(("10% of tvl", "20% of tvl"))), "when")
    assert (c.verdict, c.code) == ("weakens", "W1010")
    assert c.evidence.startswith("fires before and not now when")
    assert Fraction(1, 10) < _ratio(c.evidence) <= Fraction(1, 5)


def test_breaker_condition_changed_both_ways_is_incomparable() -> None:
    # > 10% -> (> 5% and staleness > 1h): fires at 7% when stale (new only) and at 15% when
    # fresh (old only)
    new = edit(("when outflow(USDC, 1h) > 10% of tvl(USDC)",
                "when outflow(USDC, 1h) > 5% of tvl(USDC) and staleness(ETH_USD) > 1h"))
    c = one(diff(new), "when")
    assert (c.verdict, c.code) == ("incomparable", "W1010")
    now, before = c.evidence.split("; ")
    assert now.startswith("fires now and not before") and before.startswith("fires before")
    assert Fraction(1, 20) < _ratio(now) <= Fraction(1, 10)
    assert _ratio(before) > Fraction(1, 10)


def test_equivalent_condition_is_neutral() -> None:
    # the same normalised comparison: no change at all
    assert diff(edit(("outflow(USDC, 1h) > 10% of tvl(USDC)",
                      "10 * outflow(USDC, 1h) > tvl(USDC)"))) == []
    # a different formula that holds in the same states: neutral, by Z3
    c = one(diff(edit(("when outflow(USDC, 1h) > 10% of tvl(USDC)",
                       "when not (outflow(USDC, 1h) <= 10% of tvl(USDC))"))), "when")
    assert (c.verdict, c.code) == ("neutral", None)
    assert c.after == "not (outflow(USDC, 1h) <= 10% of tvl(USDC))"


def test_unpause_power_added_weakens() -> None:
    changes = diff(edit(("allow governor to set", "allow guardian to unpause withdrawals\n"
                                                  "allow governor to set")))
    c = one(changes, "added")
    assert (c.verdict, c.code, c.name) == ("weakens", "W1001", "guardian")
    assert c.after == "guardian: unpause withdrawals"


def test_power_condition_dropped_weakens_with_a_state() -> None:
    c = one(diff(edit((" when not suspended(ETH_USD)", ""))), "when")
    assert (c.verdict, c.code) == ("weakens", "W1006")
    assert c.before == "not suspended(ETH_USD)" and c.after == "true"
    assert "suspended(ETH_USD) = true" in c.evidence


def test_invariant_removed_weakens() -> None:
    changes = diff(edit(("invariant no_single_key: no unilateral signer\n", "")))
    c = one(changes, "removed")
    assert (c.verdict, c.code, c.name, c.span) == ("weakens", "W1013", "no_single_key", None)


def test_invariant_strength() -> None:
    looser = one(diff(edit(("paused at most 72h then", "paused at most 96h then"))), "property")
    assert (looser.verdict, looser.code) == ("weakens", "W1014")
    entity = one(diff(edit(("no unilateral signer", "no unilateral entity"))), "property")
    assert entity.verdict == "strengthens"
    always = one(diff(edit(("max_leverage <= 50", "max_leverage <= 40"))), "property")
    assert always.verdict == "strengthens"  # fewer states allowed: asserts more


def test_param_range_widened_weakens() -> None:
    c = one(diff(edit(("in [2, 50]", "in [1, 60]"))), "range")
    assert (c.verdict, c.code) == ("weakens", "W1015")


def test_rename_without_semantic_change_is_neutral() -> None:
    renamed = edit(("guardian", "guard"), ("withdrawals", "exits"), ("drain", "outflow_cap"),
                   ("signer alice", "signer alicia"), ("[alice", "[alicia"),
                   ("no_single_key", "one_key_is_not_enough"))
    changes = diff(renamed)
    assert {c.verdict for c in changes} == {"neutral"}
    assert {(c.before, c.after) for c in changes} == {
        ("alice", "alicia"), ("guardian", "guard"), ("withdrawals", "exits"),
        ("drain", "outflow_cap"), ("no_single_key", "one_key_is_not_enough"),
        ("withdrawals_escape", "exits_escape")}


def test_role_members_swapped_is_incomparable() -> None:
    # 2 of [alice, carol, dave] -> 2 of [alice, bob, dave]: {alice, bob} is new, {alice, carol}
    # is gone
    changes = diff(edit(("2 of [alice, carol, dave]", "2 of [alice, bob, dave]")))
    c = next(c for c in changes if c.label == "guardian: unpause trading")
    assert (c.verdict, c.code) == ("incomparable", "W1002")
    assert "can use it now" in c.evidence and "could use it before" in c.evidence
