"""Address rewriting keeps everything but the addresses, and checksums what it writes."""

from __future__ import annotations

from pathlib import Path

from interlock.testing.deploy import check_text
from interlock.testing.rewrite import rewrite_addresses

ROOT = Path(__file__).resolve().parents[2]


def test_rewrites_case_insensitively_and_checksums() -> None:
    text = "asset USDC 0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48 decimals 6 # usdc\n"
    new = "0x" + "ab" * 20
    out = rewrite_addresses(text, {"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48": new})
    assert out == "asset USDC 0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB decimals 6 # usdc\n"


def test_leaves_unmapped_and_longer_hex_alone() -> None:
    text = "x 0x" + "11" * 20 + " y 0x" + "22" * 21
    assert rewrite_addresses(text, {"0x" + "22" * 20: "0x" + "33" * 20}) == text


def test_rewritten_example_checks_with_the_same_names_and_lines() -> None:
    path = ROOT / "examples" / "perp_venue.guard"
    text = path.read_text()
    original = check_text(text, str(path))
    mapping = {s.address: "0x" + f"{i + 1:040x}" for i, s in enumerate(original.signers)}
    rewritten = check_text(rewrite_addresses(text, mapping), str(path))
    assert [s.name for s in rewritten.signers] == [s.name for s in original.signers]
    assert [s.address.lower() for s in rewritten.signers] == [m.lower() for m in mapping.values()]
    assert [b.span for b in rewritten.breakers] == [b.span for b in original.breakers]
