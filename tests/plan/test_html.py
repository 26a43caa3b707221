"""The plan's HTML in a real headless Chromium; the screenshot is kept in test-artifacts/plan/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from interlock.cli import main
from tests.browser import headless

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "plan"  # gitignored; CI uploads it


def test_the_plan_renders_in_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["plan", "examples/perp_venue.guard", "-o", str(tmp_path),
                 "--format", "html"]) == 0
    page = tmp_path / "PerpVenue.plan.html"
    dom = headless("--dump-dom", page.as_uri()).stdout
    sections = re.findall(r'<section class="incident" id="(\w+)">', dom)
    assert sections == ["fund_drain", "oracle_manipulation", "key_compromise",
                        "governance_attack", "feed_outage"]
    assert dom.count('class="status-proved"') == 6  # every property of perp_venue
    assert "interlock op propose BUILD_DIR pause '*' for 3d" in dom.replace("&#39;", "'")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "PerpVenue.plan.png"
    headless(f"--screenshot={shot}", "--window-size=1200,3000", page.as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 3000)
    assert len(set(image.get_flattened_data())) > 50  # text and colour, not a blank page
