"""Resolve Solidity imports from `node_modules`, offline, before compiling.

    compile_sources(with_imports({"Bench.sol": text}))  # + @openzeppelin/contracts/... files

solc's standard JSON takes every file as `sources`; rather than an import callback inside the
node process, the imports are followed here: `import ... "@scope/pkg/path.sol"` is read from
`node_modules/@scope/pkg/path.sol` (the repository's, found like solcjs itself), and a relative
import (`"../utils/Context.sol"`) is resolved against the importing file's name, as solc does.
The files keep their import names, so solc sees exactly what a Foundry or Hardhat remapping
of `node_modules` would give it. Only npm packages pinned in package-lock.json are there.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from interlock.compiler.solc import SolcError, find_solcjs

_IMPORT = re.compile(r"""^\s*import\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["']""", re.M)


def node_modules() -> Path:
    """The `node_modules` directory that holds the pinned solcjs."""
    return find_solcjs().parent


def with_imports(sources: Mapping[str, str], root: Path | None = None) -> dict[str, str]:
    """`sources` and every file they import, transitively (import name -> text)."""
    base = root or node_modules()
    out = dict(sources)
    todo = list(sources)
    while todo:
        name = todo.pop()
        for target in _IMPORT.findall(out[name]):
            full = _resolve(name, target)
            if full in out:
                continue
            path = base / full
            if not path.is_file():
                raise SolcError(f"{name}: import `{target}` not found in {base}")
            out[full] = path.read_text(encoding="utf-8")
            todo.append(full)
    return out


def _resolve(importer: str, target: str) -> str:
    if target.startswith("."):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), target))
    return target


def dependency_files(sources: Mapping[str, str]) -> dict[str, str]:
    """The npm files `sources` import, transitively, under their import names: what `build`
    writes beside the guard so its outputs compile without `node_modules` (docs/guard.md)."""
    return {n: t for n, t in with_imports(sources).items() if n not in sources}


def package_versions(names: Iterable[str], root: Path | None = None) -> dict[str, str]:
    """`{"@openzeppelin/contracts": "5.7.0"}`: the installed version of each npm package the
    import names belong to (from its package.json)."""
    base = root or node_modules()
    packages = {"/".join(n.split("/")[:2]) for n in names if n.startswith("@")}
    return {p: str(json.loads((base / p / "package.json").read_text())["version"])
            for p in sorted(packages)}
