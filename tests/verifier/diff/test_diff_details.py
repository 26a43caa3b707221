"""Finer points of the comparison: matching, effects, placement, invariant kinds, params."""

from __future__ import annotations

from tests.verifier.diff.rules import BASE, diff, edit, one

OVERRIDE = """score risk {
  40 when deviation(ETH_USD) > 2%
}
breaker tighten {
  when risk >= 40
  then set max_leverage to 10 for 2h
}
"""
WITH_OVERRIDE = edit(("allow guardian to pause", OVERRIDE + "allow guardian to pause"))


def test_a_signer_renamed_with_its_role_is_one_rename_each() -> None:
    # the role's content matches only once the signer's rename is known (a second round)
    new = edit(("dave", "dan"), ("guardian", "guards"))
    assert {(c.before, c.after, c.verdict) for c in diff(new)} == {
        ("dave", "dan", "neutral"), ("guardian", "guards", "neutral")}


def test_a_new_signer_with_a_known_name_and_another_address_is_a_new_key() -> None:
    new = edit(("0x4444444444444444444444444444444444444444",
                "0x9999999999999999999999999999999999999999"))
    changes = diff(new)
    assert {c.aspect for c in changes} == {"coalition"}
    assert all("{dave" in c.evidence or ", dave}" in c.evidence for c in changes)


def test_a_power_moved_to_another_role_is_paired_not_added() -> None:
    # every 3 of [alice, bob, carol, dave] holds 2 of [alice, carol, dave]: guardian admits
    # every council set and more ({alice, carol}), and has no timelock
    changes = diff(edit(("allow governor to set", "allow guardian to set")))
    c = one(changes, "coalition")
    assert (c.label, c.verdict) == ("guardian: set max_leverage", "weakens")
    assert "could use it before" not in c.evidence
    assert one(changes, "timelock").verdict == "weakens"


def test_set_override_on_the_safer_side_strengthens() -> None:
    tighter = edit(("set max_leverage to 10", "set max_leverage to 5"), text=WITH_OVERRIDE)
    c = one(diff(tighter, WITH_OVERRIDE), "effect")
    assert (c.verdict, c.before, c.after) == (
        "strengthens", "set max_leverage to 10 for 2h", "set max_leverage to 5 for 2h")
    shorter_but_tighter = edit(("to 10 for 2h", "to 5 for 1h"), text=WITH_OVERRIDE)
    assert one(diff(shorter_but_tighter, WITH_OVERRIDE), "effect").verdict == "incomparable"


def test_a_score_tier_changed_changes_its_breakers_condition() -> None:
    # the breaker's text is the same; its score now needs 3% of deviation instead of 2%
    changes = diff(edit(("deviation(ETH_USD) > 2%", "deviation(ETH_USD) > 3%"), text=WITH_OVERRIDE),
                   WITH_OVERRIDE)
    c = one(changes, "when", "tighten")
    assert (c.verdict, c.code) == ("weakens", "W1010")
    assert "deviation(ETH_USD) = " in c.evidence


def test_a_breaker_that_becomes_agent_only_weakens() -> None:
    new = edit(("when outflow(USDC, 1h) > 10% of tvl(USDC)",
                "when outflow(USDC, 1h) > 10% of tvl(USDC) or change(ETH_USD, 1h) > 50%"))
    changes = diff(new)
    placed = one(changes, "on chain")
    assert (placed.verdict, placed.code, placed.after) == ("weakens", "W1011", "agent only")
    assert one(changes, "when").verdict == "strengthens"  # it fires in more states


def test_invariant_kind_changes() -> None:
    finite = edit(("withdrawals_escape: withdrawals paused at most 72h then open 24h",
                   "withdrawals_escape: withdrawals never locked forever"))
    assert one(diff(finite), "property").verdict == "weakens"
    assert one(diff(BASE, finite), "property").verdict == "strengthens"
    fewer_adversaries = edit(("assuming governor", "assuming governor, guardian"))
    assert one(diff(fewer_adversaries), "property").verdict == "weakens"
    other = edit(("no_single_key: no unilateral signer",
                  "no_single_key: every power needs 3 signers"))
    assert one(diff(other), "property").verdict == "strengthens"  # 2 -> 3 signers


def test_param_initial_and_direction() -> None:
    riskier = one(diff(edit(("max_leverage = 20 in", "max_leverage = 30 in"))), "initial")
    assert (riskier.verdict, riskier.code) == ("weakens", "W1015")
    flipped = one(diff(edit(("safer lower", "safer higher"))), "safer")
    assert flipped.verdict == "incomparable"


def test_an_alert_rewritten_is_neutral_and_one_removed_weakens() -> None:
    alerting = edit(("then pause withdrawals for 6h",
                     'then pause withdrawals for 6h, alert "drain"'))
    reworded = edit(('alert "drain"', 'alert "outflow"'), text=alerting)
    assert one(diff(reworded, alerting), "effect").verdict == "neutral"
    assert one(diff(BASE, alerting), "effect").verdict == "weakens"


def test_a_step_bound_added_loosened_or_changed_in_kind() -> None:
    stepped = edit(("set max_leverage", "set max_leverage by at most 50% per 1d"))
    c = one(diff(stepped), "step")
    assert (c.before, c.after, c.verdict) == ("none", "by at most 50% per 1d", "strengthens")
    assert one(diff(BASE, stepped), "step").verdict == "weakens"
    larger = edit(("50% per 1d", "100% per 1d"), text=stepped)
    assert one(diff(larger, stepped), "step").verdict == "weakens"
    slower = edit(("50% per 1d", "50% per 2d"), text=stepped)
    assert one(diff(slower, stepped), "step").verdict == "strengthens"
    both = edit(("50% per 1d", "100% per 2d"), text=stepped)
    assert one(diff(both, stepped), "step").verdict == "incomparable"
    absolute = edit(("50% per 1d", "5 per 1d"), text=stepped)
    assert one(diff(absolute, stepped), "step").verdict == "incomparable"


HOLDING = BASE.replace("  cooldown 24h\n}\n", "  cooldown 24h\n}\nbreaker large {\n"
                       "  when flow(USDC) > 1_000_000 USDC\n  then hold flow for 24h\n}\n", 1)


def test_a_hold_weakens_when_shorter_and_when_added_and_strengthens_when_removed() -> None:
    # without `hold flow` a breaker that fires on a flow refuses it, which protects more
    refusing = HOLDING.replace("then hold flow for 24h", "then pause trading for 1h")
    shorter = one(diff(HOLDING.replace("hold flow for 24h", "hold flow for 6h"), HOLDING),
                  "effect", "large")
    assert (shorter.verdict, shorter.before, shorter.after) == (
        "weakens", "hold flow for 1d", "hold flow for 6h")
    added = [c for c in diff(HOLDING, refusing) if c.name == "large" and c.aspect == "effect"]
    hold = next(c for c in added if c.after.startswith("hold"))
    assert (hold.verdict, hold.before) == ("weakens", "refuse the flow")
    removed = [c for c in diff(refusing, HOLDING) if c.name == "large" and c.aspect == "effect"]
    hold = next(c for c in removed if c.before.startswith("hold"))
    assert (hold.verdict, hold.after) == ("strengthens", "refuse the flow")
