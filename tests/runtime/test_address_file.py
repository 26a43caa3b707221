"""Address files (`deploy --addresses`): a network's addresses for the rules, checked.

Pure: no chain. The deploy/monitor path on Anvil is tests/runtime/test_deploy_addresses.py."""

from __future__ import annotations

from pathlib import Path

from eth_utils.address import to_checksum_address
from monitor_kit import DEFAULTS, venue_program

from interlock.compiler import eip712
from interlock.ir import codes as C
from interlock.ir.addresses import address_keys, guard_slots, with_addresses
from interlock.report.diagnostic_text import render_diagnostic
from interlock.runtime.address_file import read_address_file

TOKEN = "0x" + "ab" * 20
VAULT = "0x" + "cd" * 20


def _read(tmp_path: Path, text: str, chain_id: int = 1) -> tuple[list[tuple[str, str]], str]:
    path = tmp_path / "addresses.toml"
    path.write_text(text)
    choice = read_address_file(path, venue_program(), chain_id)
    shown = "".join(render_diagnostic(d, choice.text) for d in choice.diagnostics)
    return [(d.code, d.message) for d in choice.diagnostics], shown


def test_a_chains_table_replaces_the_named_addresses_and_the_rest_stay_defaults(
        tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text(f'[1]\nUSDC = "{TOKEN}"\n"ETH_USD.reference" = "{VAULT}"\n\n'
                    f'[5]\nUSDC = "{VAULT}"\n')
    program = venue_program()
    choice = read_address_file(path, program, 1)
    assert choice.ok, choice.diagnostics
    assert {k: v.lower() for k, v in choice.chosen.items()} == {"USDC": TOKEN,
                                                                "ETH_USD.reference": VAULT}
    effective = with_addresses(program, choice.chosen)
    assert effective.asset("USDC").address.lower() == TOKEN
    assert effective.feed("ETH_USD").reference is not None
    assert effective.feed("ETH_USD").reference.lower() == VAULT
    assert effective.feed("ETH_USD").address == DEFAULTS["ETH_USD"]
    # every other guard address keeps the rule file's value: one W0816 each, at the table
    kept = [d for d in choice.diagnostics if d.code == C.DEFAULT_ADDRESS]
    assert len(kept) == len(guard_slots(program)) - 2
    assert all(d.span.line == 1 for d in kept)
    # the rules text is the same on every network, the signed rulesHash is not
    assert eip712.rules_text_hash(effective) == eip712.rules_text_hash(program)
    assert eip712.rules_hash(effective) != eip712.rules_hash(program)


def test_a_metric_at_a_name_follows_that_names_address() -> None:
    program = venue_program()
    keys = address_keys(program)
    assert "ETH_USD.reference" in keys and "watcher" in keys and "alice" in keys
    for m in program.metrics:
        moved = with_addresses(program, {k: TOKEN for k, a in keys.items()
                                         if a == m.address and k != m.name})
        assert moved.metrics[program.metrics.index(m)].address == TOKEN


def test_unknown_names_bad_values_and_missing_chains_are_diagnostics(tmp_path: Path) -> None:
    found, shown = _read(tmp_path, f'[1]\nUSCD = "{TOKEN}"\npool = "0x12"\n')
    assert (C.UNKNOWN_ADDRESS_NAME, "`USCD` names no address of `Venue`'s rules") in found
    assert "addresses.toml:2:1: error[E0603]" in shown and "did you mean `USDC`?" in shown
    assert "addresses.toml:3:1: error[E0602]: `pool` is not an address" in shown
    found, shown = _read(tmp_path, f'[1]\nUSDC = "{TOKEN}"\n', chain_id=10)
    assert found == [(C.BAD_ADDRESS_FILE, "no table `[10]` for chain 10")]
    found, shown = _read(tmp_path, '[mainnet]\nUSDC = "x"\n')
    assert (C.BAD_ADDRESS_FILE, "table `mainnet` is not a chain id") in found
    assert "addresses.toml:1:1: error[E0602]" in shown
    found, shown = _read(tmp_path, "[1]\nUSDC = \n")
    assert found[0][0] == C.BAD_ADDRESS_FILE and found[0][1].startswith("not TOML")
    assert "addresses.toml:2:" in shown
    mixed = "0xa0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48"  # one letter's case flipped
    found, _ = _read(tmp_path, f'[1]\nUSDC = "{mixed}"\n')
    assert found[0][0] == C.BAD_ADDRESS_FILE


def test_two_roles_on_one_address_are_refused(tmp_path: Path) -> None:
    """A vault that is also the agent, or two signers on one key: E0604 (the guard's
    constructor reverts `InvalidAddress` on the same, for deployments without the CLI)."""
    found, shown = _read(tmp_path, f'[1]\nalice = "{TOKEN}"\nbob = "{TOKEN}"\n')
    assert (C.REPEATED_ADDRESS,
            f"`alice` and `bob` are both {to_checksum_address(TOKEN)} on chain 1") in found
    assert "addresses.toml:3:1: error[E0604]" in shown
    found, _ = _read(tmp_path, f'[1]\nwatcher = "{DEFAULTS["pool"]}"\n')
    assert [c for c, _ in found] == [C.REPEATED_ADDRESS]
