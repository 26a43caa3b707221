"""The HTML report and its charts, opened in a real headless Chromium (Debian's `chromium`)."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from interlock.cli import main
from tests.browser import headless

ROOT = Path(__file__).resolve().parents[2]
RULES = str(ROOT / "examples" / "perp_venue.guard")
TRACES = [str(ROOT / "examples" / "traces" / f"{n}.jsonl.gz")
          for n in ("euler-2023-03", "beanstalk-2022-04", "benign-whale-withdrawals")]


def test_charts_are_written_as_svg_and_png(tmp_path: Path) -> None:
    assert main(["backtest", RULES, TRACES[0], "--charts", str(tmp_path)]) == 0
    png = Image.open(tmp_path / "euler_2023_03.png")
    assert png.size[0] > 500 and len(set(png.convert("RGB").get_flattened_data())) > 20
    assert (tmp_path / "euler_2023_03.svg").read_text().lstrip().startswith("<?xml")


def test_the_html_report_renders_in_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert main(["backtest", RULES, *TRACES, "--format", "html", "-o", str(page),
                 "--sweep", "drain.threshold=5%..15%/5%"]) == 0
    dom = headless("--dump-dom", page.as_uri()).stdout
    assert dom.count("<svg") == 3  # one chart per trace, parsed as SVG elements
    summary = re.search(r'<table id="summary">(.*?)</table>', dom, re.S)
    assert summary is not None and summary.group(1).count("<tr>") == 4
    assert "contained by drain" in summary.group(1) and "not contained" in summary.group(1)
    sweep = re.search(r'<table id="sweep">(.*?)</table>', dom, re.S)
    assert sweep is not None and sweep.group(1).count("<tr>") == 4
    assert "governance code" in dom  # the incident the rules cannot contain says why
    shot = tmp_path / "shot.png"
    headless(f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri())
    image = Image.open(shot).convert("RGB")
    assert len(set(image.get_flattened_data())) > 50  # text and charts, not a blank page
