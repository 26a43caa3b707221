"""`interlock diff` as a phase: pairs of rule files (or files against a git ref) -> `DiffReport`.

`run_diff(["old.guard", "new.guard"])` compares two files. With `base=REF`, each file is
compared with its version at REF (`git show REF:path`): a file absent at REF is new (every
declaration added), a file given or changed but absent from the working tree is deleted
(every declaration removed). Without files, `--base` takes the `*.guard` files that
`git diff --name-only REF` lists. Both versions go through the front end; a version with
errors is not compared (exit code 2 wins).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interlock import __version__
from interlock.dsl.frontend import FrontendResult, compile_file, compile_text
from interlock.report.diff_model import DiffReport, FileDiff
from interlock.verifier.diff.compare import DEFAULT_TIMEOUT_S, compare, empty_like
from interlock.verifier.diff.sides import Side


class DiffError(Exception):
    """A problem outside the rule files: a bad git ref, not a repository, wrong arguments."""


@dataclass(frozen=True)
class DiffOptions:
    base: str | None = None  # a git ref; None: the paths are OLD NEW
    timeout_s: float = DEFAULT_TIMEOUT_S  # per pause-bound search
    every: bool = False  # also the aspects that did not change (`--all`)


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              check=False)
    except OSError as err:
        raise DiffError(f"cannot run git: {err.strerror or err}") from err


def _root(cwd: Path) -> Path:
    proc = _git(["rev-parse", "--show-toplevel"], cwd)
    if proc.returncode != 0:
        raise DiffError("`--base` needs a git repository: " + proc.stderr.strip().lower())
    return Path(proc.stdout.strip())


def _check_ref(ref: str, root: Path) -> None:
    if _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root).returncode != 0:
        raise DiffError(f"unknown git ref `{ref}` (with a shallow clone, fetch it first)")


def _at_ref(ref: str, path: str, root: Path) -> str | None:
    """The text of `path` at `ref`, or None when it does not exist there."""
    rel = Path(os.path.relpath(Path(path).resolve(), root.resolve())).as_posix()
    proc = _git(["show", f"{ref}:{rel}"], root)
    return proc.stdout if proc.returncode == 0 else None


def changed_rule_files(ref: str, cwd: Path | None = None) -> list[str]:
    """The `*.guard` files that differ between `ref` and the working tree, relative to cwd."""
    here = cwd or Path.cwd()
    root = _root(here)
    _check_ref(ref, root)
    proc = _git(["diff", "--name-only", "--no-renames", ref, "--", "*.guard"], root)
    if proc.returncode != 0:
        raise DiffError(proc.stderr.strip().lower())
    return [os.path.relpath(root / line, here) for line in proc.stdout.splitlines() if line]


def _sources(*fronts: FrontendResult | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for front in fronts:
        if front is not None:
            out.update({d.span.file: front.source for d in front.diagnostics})
    return out


def _sides(old: FrontendResult | None, new: FrontendResult | None) -> tuple[Side, Side]:
    """Both versions; a missing one is the other's protocol with no declarations."""
    if new is None or new.program is None:
        assert old is not None and old.program is not None
        return Side(old.program, old.source), Side(empty_like(old.program), "")
    if old is None or old.program is None:
        return Side(empty_like(new.program), ""), Side(new.program, new.source)
    return Side(old.program, old.source), Side(new.program, new.source)


def diff_pair(path: str, old_label: str, old: FrontendResult | None,
              new: FrontendResult | None, opts: DiffOptions) -> FileDiff:
    """Compare one file's two versions (None: that version does not exist)."""
    errors = tuple(d for f in (old, new) if f is not None for d in f.diagnostics if d.is_error)
    if errors or (old is None and new is None):
        return FileDiff(path=path, old=old_label, protocol=None, diagnostics=errors,
                        sources=_sources(old, new))
    old_side, new_side = _sides(old, new)
    changes = compare(old_side, new_side, opts.timeout_s, opts.every)
    return FileDiff(path=path, old=old_label if old is not None else "",
                    protocol=new_side.program.protocol, deleted=new is None, changes=changes)


def _against_base(paths: Sequence[str], ref: str, opts: DiffOptions) -> list[FileDiff]:
    root = _root(Path.cwd())
    _check_ref(ref, root)
    out = []
    for path in paths or changed_rule_files(ref):
        old_text = _at_ref(ref, path, root)
        label = f"{ref}:{path}"
        old = compile_text(old_text, label) if old_text is not None else None
        new = compile_file(path) if Path(path).exists() else None
        out.append(diff_pair(path, label, old, new, opts))
    return out


def run_diff(paths: Sequence[str], options: DiffOptions | None = None) -> DiffReport:
    """`interlock diff OLD NEW`, or `interlock diff --base REF [FILE...]`."""
    opts = options or DiffOptions()
    if opts.base is None:
        if len(paths) != 2:
            raise DiffError("give two rule files (OLD NEW), or `--base REF` with files")
        old, new = paths
        files = [diff_pair(new, old, compile_file(old), compile_file(new), opts)]
    else:
        files = _against_base(paths, opts.base, opts)
    return DiffReport(version=__version__, base=opts.base, files=tuple(files))
