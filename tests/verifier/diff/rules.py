"""A small rule file and edits of it, shared by the diff tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from interlock.dsl.frontend import compile_text
from interlock.verifier.diff.compare import compare
from interlock.verifier.diff.model import Change
from interlock.verifier.diff.sides import Side

BASE = """protocol T
signer alice 0x1111111111111111111111111111111111111111 entity foundation
signer bob   0x2222222222222222222222222222222222222222 entity foundation
signer carol 0x3333333333333333333333333333333333333333 entity auditor
signer dave  0x4444444444444444444444444444444444444444 entity community
role guardian = 2 of [alice, carol, dave]
role council = 3 of [alice, bob, carol, dave]
role governor = council after 48h
scope withdrawals max 72h gap 24h
scope trading
asset USDC 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals 6
vault pool 0x7777777777777777777777777777777777777777 holds USDC
feed ETH_USD 0x5f4ec3df9cbd43714fe2740f5e3616155c5b8419 decimals 8
  reference 0x8888888888888888888888888888888888888888
param max_leverage = 20 in [2, 50] safer lower
breaker drain {
  when outflow(USDC, 1h) > 10% of tvl(USDC)
  then pause withdrawals for 6h
  cooldown 24h
}
allow guardian to pause * for at most 72h cooldown 24h
allow guardian to unpause trading when not suspended(ETH_USD)
allow governor to set max_leverage
invariant no_single_key: no unilateral signer
invariant withdrawals_escape: withdrawals paused at most 72h then open 24h assuming governor
invariant leverage_bounds: always (max_leverage >= 2 and max_leverage <= 50)
"""


def edit(*replacements: tuple[str, str], text: str = BASE) -> str:
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def diff(new: str, old: str = BASE) -> list[Change]:
    a, b = compile_text(old, "old.guard"), compile_text(new, "new.guard")
    assert a.program is not None, a.diagnostics
    assert b.program is not None, b.diagnostics
    return list(compare(Side(a.program, old), Side(b.program, new), timeout_s=10.0))


def one(changes: list[Change], aspect: str, name: str | None = None) -> Change:
    found = [c for c in changes if c.aspect == aspect and (name is None or c.name == name)]
    assert len(found) == 1, changes
    return found[0]


LOWERED = edit(("3 of [alice", "2 of [alice"))  # council needs two keys (line 7)
STRONGER = edit(("council after 48h", "council after 72h"))


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=repo, check=True, capture_output=True)


def scratch_repo(tmp_path: Path) -> Path:
    """Two commits: rules/venue.guard as BASE, then with council lowered to 2 of 4 and a
    second, new rule file."""
    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "rules" / "venue.guard").write_text(BASE, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "rules")
    (repo / "rules" / "venue.guard").write_text(LOWERED, encoding="utf-8")
    (repo / "rules" / "extra.guard").write_text(STRONGER, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "lower the council")
    return repo


# one edit of BASE per weakening code: (text in BASE, its replacement)
CODE_CASES: dict[str, tuple[str, str]] = {
    "W1001": ("allow governor to set", "allow guardian to unpause withdrawals\n"
                                      "allow governor to set"),
    "W1002": ("role council = 3 of", "role council = 2 of"),
    "W1003": ("council after 48h", "council after 24h"),
    "W1004": ("pause * for at most 72h", "pause * for at most 96h"),
    "W1005": ("for at most 72h cooldown 24h", "for at most 72h"),
    "W1006": ("unpause trading when not suspended(ETH_USD)", "unpause trading"),
    "W1007": ("then pause withdrawals for 6h", "then pause withdrawals for 12h"),
    "W1008": ("scope withdrawals max 72h", "scope withdrawals max 96h"),
    "W1009": ("""breaker drain {
  when outflow(USDC, 1h) > 10% of tvl(USDC)
  then pause withdrawals for 6h
  cooldown 24h
}
""", ""),
    "W1010": ("> 10% of tvl(USDC)", "> 20% of tvl(USDC)"),
    "W1011": ("then pause withdrawals for 6h", "then pause withdrawals for 3h"),
    "W1012": ("  cooldown 24h\n}", "  cooldown 48h\n}"),
    "W1013": ("invariant no_single_key: no unilateral signer\n", ""),
    "W1014": ("withdrawals paused at most 72h", "withdrawals paused at most 96h"),
    "W1015": ("param max_leverage = 20 in [2, 50]", "param max_leverage = 20 in [1, 60]"),
}
