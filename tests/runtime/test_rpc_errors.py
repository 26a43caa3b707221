"""What node errors mean to the monitor (`rpc_errors`), and which rules wait for logs (`phases`)."""

from __future__ import annotations

from monitor_kit import venue_program

from interlock.runtime.evaluate import RulePlan
from interlock.runtime.phases import Phases
from interlock.runtime.rpc_errors import (
    is_already_known,
    is_revert,
    is_state_pruned,
    is_unfunded,
)

ANVIL_REVERT = "execution reverted: custom error 0x8f2c2b1a"


def test_a_revert_is_code_3_the_word_or_hex_data_and_never_a_rate_limit() -> None:
    assert is_revert(3, "execution reverted", "0x8f2c2b1a")
    assert is_revert(-32603, ANVIL_REVERT, None)
    assert is_revert(-32000, "execution failed", "0x8f2c2b1a00")
    limited = {"see": "https://provider.example/limits"}
    assert not is_revert(-32005, "rate limit exceeded", limited)
    assert not is_revert(429, "Too Many Requests", "0x8f2c2b1a")
    assert not is_revert(-32000, "header not found", limited)


def test_sent_unfunded_and_pruned_in_the_words_of_several_nodes() -> None:
    for msg in ("already known", "transaction already imported", "known transaction: 0xab"):
        assert is_already_known(msg)
    assert not is_already_known("nonce too low")
    assert is_unfunded("insufficient funds for gas * price + value: have 0 want 1")
    for msg in ("BlockOutOfRangeError: block height is 30 but requested was 2",
                "missing trie node 4f2e (path ) state 0xab is not available",
                "historical state 0x12 is not available"):
        assert is_state_pruned(msg)
    assert not is_state_pruned("execution reverted")


def test_rules_reading_only_state_are_decided_before_the_logs() -> None:
    program = venue_program()
    phases = Phases.of(program, RulePlan.for_program(program))
    early = [r.breaker.name for r in phases.early]
    late = [r.breaker.name for r in phases.late]
    # `tighten` reads the score `risk`: deviation and change of a feed, no logs
    assert early == ["oracle_divergence", "tighten", "feed_health"]
    assert late == ["drain", "spam", "watch", "inrush"]
