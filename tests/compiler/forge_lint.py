"""Run forge's linter (npm `@foundry-rs/forge-linux-amd64`, pinned) on Solidity sources, offline.

forge needs a native `solc` command; the project pins solcjs, so the Foundry project written
here names a two-line shell wrapper that answers `--version` and `--standard-json` with the
pinned solcjs (the only two ways forge calls it). Findings come from `forge lint --json` at
every severity.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from interlock.compiler.solc import find_solcjs

SEVERITIES = ("high", "med", "low", "info", "gas", "code-size")

_WRAPPER = """#!/bin/sh
case " $* " in *" --version "*) exec node -e "console.log('solc, the solidity compiler \
commandline interface'); console.log('Version: ' + require('{solcjs}').version())";; esac
exec node -e "const s = require('{solcjs}'); let d = ''; process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => d += c); process.stdin.on('end', () => \
process.stdout.write(s.compile(d)));"
"""


def forge() -> Path:
    path = find_solcjs().parent / "@foundry-rs" / "forge-linux-amd64" / "bin" / "forge"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: run `make setup` (npm @foundry-rs/forge-linux-amd64)")
    return path


def solc_wrapper(workdir: Path) -> Path:
    """A `solc` command in `workdir` that runs the pinned solcjs (what forge is pointed at)."""
    wrapper = workdir / "solc"
    wrapper.write_text(_WRAPPER.format(solcjs=find_solcjs()))
    wrapper.chmod(0o755)
    return wrapper


def lint(sources: Mapping[str, str], workdir: Path) -> Counter[tuple[str, str, str]]:
    """(source name, level, lint id) -> number of findings of `forge lint` on `sources`."""
    (workdir / "src").mkdir(parents=True)
    for name, text in sources.items():
        (workdir / "src" / name).write_text(text)
    wrapper = solc_wrapper(workdir)
    oz = find_solcjs().parent / "@openzeppelin" / "contracts"
    (workdir / "foundry.toml").write_text(
        f'[profile.default]\nsrc = "src"\noffline = true\nsolc = "{wrapper}"\n'
        'evm_version = "prague"\n'
        f'remappings = ["@openzeppelin/contracts/={oz}/"]\n')  # as a Foundry project maps it
    proc = subprocess.run([str(forge()), "lint", "--json", "--severity", *SEVERITIES],
                          cwd=workdir, capture_output=True, text=True, timeout=600, check=False)
    found: Counter[tuple[str, str, str]] = Counter()
    for line in (proc.stdout + proc.stderr).splitlines():
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        if msg.get("$message_type") == "diagnostic" and msg.get("code"):
            name = Path(msg["spans"][0]["file_name"]).name if msg.get("spans") else ""
            found[(name, msg["level"], msg["code"]["code"])] += 1
    if proc.returncode != 0 and not found:
        raise RuntimeError(f"forge lint failed: {proc.stderr[-2000:]}")
    return found
