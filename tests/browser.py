"""Real headless Chromium (Debian's `chromium`, `make setup` installs it) for the HTML reports:
missing, it fails the test under `CI=true` and skips it elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing (make setup installs it)")
        pytest.skip("chromium is not installed")
    return found


def headless(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--disable-dev-shm-usage", *args],
                          capture_output=True, text=True, timeout=120, check=True)
