"""The packages of `interlock` import one another only down the layer order (README, "Layers").

    ir → dsl → semantics → {verifier, compiler} → {runtime, report}
       → {check, build, cli, demo, backtest, diff, operations, plan, drill} → testing

A module may import its own package and any package of an earlier layer; packages of one layer
do not import each other, except where `SIBLINGS` says (the entry points: `cli` calls `check`,
`build`, `demo`, `backtest`, `operations` and `plan`; `build` and `demo` run `check`, `demo` runs
`build` and `backtest`; `build` writes the `plan`, which runs `check`; `drill` builds, reads the
`plan` and runs `operations`). On top of the order: only `demo` and `drill` (and the tests and
bench scripts, which are not under src/) import `interlock.testing`;
`runtime` never imports `verifier`, and z3 is imported only by `verifier` (the monitor must run
without either). Every import counts, also those inside functions (the CLI's lazy ones) and under
`if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from interlock.compiler.monitor_gen import emit_monitor
from interlock.dsl.frontend import compile_file

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"", "ir"}),  # "": the package root, `interlock/__init__.py` (its version)
    frozenset({"dsl"}),
    frozenset({"semantics"}),
    frozenset({"verifier", "compiler"}),
    frozenset({"runtime", "report"}),
    frozenset({"check", "build", "cli", "demo", "backtest", "diff", "operations", "plan",
               "drill"}),
    frozenset({"testing"}),
)
# Entry points of one layer that call one another; `runtime` and `report` do not.
SIBLINGS = {("cli", "check"), ("cli", "build"), ("cli", "demo"), ("cli", "backtest"),
            ("cli", "diff"), ("cli", "operations"), ("build", "check"), ("demo", "check"),
            ("demo", "build"), ("demo", "backtest"), ("cli", "plan"), ("build", "plan"),
            ("plan", "check"), ("cli", "drill"), ("drill", "build"), ("drill", "plan"),
            ("drill", "operations")}
# the demo's and the drill's stand-in venues are the tests' (one family)
EXTRA = {("demo", "testing"), ("drill", "testing")}
FORBIDDEN = {("runtime", "verifier"): "the monitor runs without the checker"}
Z3_USERS = frozenset({"verifier"})


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the importing module
    target: str  # the imported module


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _submodule(module: str, name: str) -> str:
    """`from module import name`: the submodule `module.name` if there is one, else `module`."""
    candidate = SRC.joinpath(*module.split("."), name)
    is_module = candidate.with_suffix(".py").exists() or candidate.is_dir()
    return f"{module}.{name}" if is_module else module


def imports_of(path: Path) -> list[Import]:
    module = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, module, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            found += [Import(path, node.lineno, module, _submodule(target, a.name))
                      for a in node.names]
    return found


def package(module: str) -> str | None:
    """`interlock.runtime.mirror` -> `runtime`; `interlock` -> ""; outside interlock: None."""
    parts = module.split(".")
    if parts[0] != "interlock":
        return None
    return parts[1] if len(parts) > 1 else ""


def layer(pkg: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if pkg in names)


def violation(imp: Import) -> str | None:
    """Why the import breaks the layering, or None."""
    src = package(imp.module)
    assert src is not None
    dst = package(imp.target)
    if dst is None:
        top = imp.target.split(".")[0]
        if top == "z3" and src not in Z3_USERS:
            return f"only {', '.join(sorted(Z3_USERS))} may import z3"
        return None
    if dst == src or (src, dst) in EXTRA:
        return None
    if (src, dst) in FORBIDDEN:
        return f"`{src}` never imports `{dst}`: {FORBIDDEN[(src, dst)]}"
    if dst == "testing":
        return "only tests, bench and demo may import interlock.testing"
    if layer(dst) > layer(src):
        return f"`{src}` (layer {layer(src)}) may not import the later layer `{dst}` ({layer(dst)})"
    if layer(dst) == layer(src) and (src, dst) not in SIBLINGS:
        return f"`{src}` and `{dst}` are siblings of layer {layer(src)}: neither imports the other"
    return None


def all_imports() -> list[Import]:
    return [imp for path in sorted(SRC.rglob("*.py")) for imp in imports_of(path)]


def test_every_package_is_in_a_layer() -> None:
    packages = {package(module_name(p)) for p in SRC.rglob("*.py")}
    assert packages <= set().union(*LAYERS), "add the new package to LAYERS (and the README)"


def test_imports_follow_the_layer_order() -> None:
    broken = sorted({
        f"{imp.path.relative_to(SRC.parent)}:{imp.line}: {imp.module} imports {imp.target}: {why}"
        for imp in all_imports()
        if (why := violation(imp)) is not None
    })
    assert not broken, "imports against the layer order:\n" + "\n".join(broken)


def test_the_checker_sees_lazy_and_relative_imports() -> None:
    """The walk finds imports in function bodies and resolves relative ones."""
    tree = ast.parse("def f():\n    from ..verifier import engine\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert _resolve("interlock.runtime.monitor", False, node) == "interlock.verifier"
    bad = Import(Path("x.py"), 2, "interlock.runtime.monitor", "interlock.verifier.engine")
    assert violation(bad) is not None
    assert violation(Import(Path("x.py"), 1, "interlock.runtime.monitor", "z3")) is not None
    assert violation(Import(Path("x.py"), 1, "interlock.verifier.chc", "z3")) is None
    assert violation(Import(Path("x.py"), 1, "interlock.compiler.solc", "interlock.verifier"))


# --- what the entry points load, at run time --------------------------------------------------

LOADED = "import json, sys; print(json.dumps(sorted(sys.modules)))"


def _loaded(code: str, cwd: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", f"{code}\n{LOADED}"], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules
                  if m == "z3" or m.startswith(("z3.", "interlock.verifier", "interlock.check")))


def test_a_generated_monitor_loads_no_z3_and_no_verifier(tmp_path: Path) -> None:
    program = compile_file(str(ROOT / "examples" / "perp_venue.guard")).program
    assert program is not None
    for name, text in emit_monitor(program).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    loaded = _loaded("import perp_venue_monitor", tmp_path)
    assert "perp_venue_monitor" in loaded and "interlock.runtime.entry" in loaded
    assert _heavy(loaded) == []


def test_interlock_help_loads_no_z3_and_no_checker(tmp_path: Path) -> None:
    code = "from interlock.cli import main\nassert main(['--help']) == 0"
    loaded = _loaded(code, tmp_path)
    assert "interlock.cli" in loaded
    assert _heavy(loaded) == [] and not any(m.startswith("rich") for m in loaded)
