"""Every package of `src/interlock` has a README, and its READMEs name only what exists.

A README that names a function or a module that is gone misleads a new maintainer more than no
README (STYLE.md, "What we avoid"). So every `file.py` / `dir/` a README names in backticks must
exist (in its package, in `src/interlock` or at the repository root), and every backticked
dotted name (`interlock.ir.nodes.Program`, `frontend.compile_text`) whose head is a module or
package of Interlock must resolve, by import and attribute lookup, to something that exists.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import interlock

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "interlock"
PACKAGES = sorted(
    m.name for m in pkgutil.walk_packages(interlock.__path__, "interlock.") if m.ispkg
)
READMES = [ROOT / "README.md"] + [
    SRC.joinpath(*p.split(".")[1:], "README.md") for p in PACKAGES
]
TICKED = re.compile(r"`([^`\n]+)`")
FILE = re.compile(r"^([\w/]+\.(?:py|lark|sol|json|j2)|[\w]+/)$")
DOTTED = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$")


def _package_of(readme: Path) -> str:
    rel = readme.parent.relative_to(SRC).parts if readme.parent != ROOT else ()
    return ".".join(("interlock", *rel))


def _resolve(dotted: str) -> bool:
    """Whether `dotted` (a module, then attributes) names something that exists."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                annotations = getattr(obj, "__annotations__", {})
                fields = getattr(obj, "model_fields", {}) or getattr(
                    obj, "__dataclass_fields__", {})
                # a declared field: its value is not an attribute of the class
                return attr in annotations or attr in fields
            obj = getattr(obj, attr)
        return True
    return False


def _heads(package: str) -> dict[str, str]:
    """Names a README may start a dotted reference with -> the module path they stand for."""
    heads = {p.split(".")[1]: p for p in PACKAGES if p.count(".") == 1}
    heads["interlock"] = "interlock"
    pkg = importlib.import_module(package)
    for m in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
        heads[m.name] = f"{package}.{m.name}"
    return heads


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_has_a_readme(package: str) -> None:
    readme = SRC.joinpath(*package.split(".")[1:], "README.md")
    assert readme.is_file(), f"{package} has no README.md"


@pytest.mark.parametrize("readme", [r for r in READMES if r.is_file()],
                         ids=lambda r: str(r.relative_to(ROOT)))
def test_readmes_name_only_what_exists(readme: Path) -> None:
    package = _package_of(readme)
    heads = _heads(package)
    base = readme.parent
    missing = []
    for ticked in TICKED.findall(readme.read_text(encoding="utf-8")):
        name = re.sub(r"\(.*\)$", "", ticked.strip())
        if FILE.match(name):
            if not any((d / name).exists() for d in (base, SRC, ROOT)):
                missing.append(name)
        elif DOTTED.match(name) and name.split(".")[0] in heads:
            head, _, rest = name.partition(".")
            full = f"{heads[head]}.{rest}"
            if not _resolve(full):
                missing.append(name)
    assert not missing, f"{readme.relative_to(ROOT)} names what does not exist: {missing}"
