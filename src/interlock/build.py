"""`interlock build`: check rule files, then write everything they compile to, reproducibly.

    build(["examples/perp_venue.guard"], BuildOptions(out_dir=Path("build")))

Per protocol `NAME`, the output directory receives (flat, names prefixed by the protocol):

| file | what |
| --- | --- |
| `NAMEGuard.sol`, `INAMEGuard.sol`, `NAMEGuarded.sol` | the Solidity guard (`emit_solidity`) |
| `NAMEReferenceVault.sol` | a vault that checks entitlement first (`emit_reference_vault`) |
| `@openzeppelin/contracts/...` | the OpenZeppelin files the guard imports (import names as paths) |
| `<Contract>.json` | each contract: ABI, creation and runtime bytecode, `codeFingerprint` |
| the monitor module(s) | the web3.py monitor (`emit_monitor`) |
| `NAME.ir.json` | the checked IR |
| `NAME.proofs.json` | the proof report: SPEC §6's JSON for this file, without `seconds` |
| `NAME.plan.md`, `NAME.plan.html` | the incident response plan (`interlock.plan`, docs/plan.md) |
| `manifest.json` | sha256 of each source and output, the tool, IR and solc versions |

Reproducible: every output is a function of the source text, the tool version and the pinned
solc only — JSON with sorted keys, no timestamps, no absolute paths (sources are recorded
relative to the output directory; rule files are named relative to the working directory),
verification times and proof certificates left out. Building twice from the same directory
writes the same bytes. `check=True` writes nothing and reports which files would change.
(Counterexamples can differ between runs, but only a `force`d build contains one.)

A violated property (or, with `strict`, a finding) makes the build refuse to write unless
`force`. Unknown properties do not stop it; the proof report records them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock import __version__
from interlock.check import CheckOptions, file_report, verify_properties
from interlock.compiler.codesize import size_diagnostic, too_large
from interlock.compiler.monitor_gen import emit_monitor
from interlock.compiler.solc import EVM_VERSION, OPTIMIZER_RUNS, compile_sources
from interlock.compiler.solc_imports import dependency_files, package_versions
from interlock.compiler.solidity import emit_reference_vault, emit_solidity
from interlock.dsl.frontend import compile_file
from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import IR_VERSION, Program
from interlock.plan.command import facts_report, plan_files
from interlock.plan.facts import sidecar_path
from interlock.report.json_report import file_json
from interlock.report.model import FileReport, Report
from interlock.verifier.engine import DEFAULT_TIMEOUT_S

MANIFEST = "manifest.json"
Json = dict[str, Any]


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path
    check: bool = False  # compare with out_dir instead of writing
    force: bool = False  # write even when a property is violated
    strict: bool = False  # findings are errors
    timeout_s: float = DEFAULT_TIMEOUT_S
    jobs: int = 1
    progress: bool = False  # the verifier's progress on stderr, as `check` shows it
    optimizer_runs: int = OPTIMIZER_RUNS  # solc's optimizer `runs` (lower: smaller code)


@dataclass(frozen=True)
class BuildResult:
    exit_code: int  # 0 written / up to date, 1 refused or stale, 2 invalid input
    report: Report
    outputs: Mapping[str, bytes] = field(default_factory=dict)  # file name -> content
    changed: tuple[str, ...] = ()  # written (build) or stale (check)
    removed: tuple[str, ...] = ()  # outputs of an earlier build no longer produced
    notes: tuple[str, ...] = ()  # one-line messages for the user

    @property
    def solc_version(self) -> str | None:
        manifest = self.outputs.get(MANIFEST)
        return None if manifest is None else str(json.loads(manifest)["solc"]["version"])


Notify = Callable[[str], None]


def build(
    paths: Iterable[str], options: BuildOptions, *, on_step: Notify | None = None
) -> BuildResult:
    """Check `paths`, then write (or with `check`, compare) the outputs in `options.out_dir`."""
    say = on_step or (lambda _msg: None)
    files: list[FileReport] = []
    programs: list[Program] = []
    for path in map(source_name, paths):
        say(f"checking {path}")
        file, program = _check_file(path, options)
        files.append(file)
        if program is not None:
            programs.append(program)
    files += _sidecar_reports(programs)
    report = Report(version=__version__, files=tuple(files))
    code = report.exit_code()
    if code == 2:
        return BuildResult(2, report, notes=("invalid input: nothing was built",))
    duplicate = _duplicate_protocol(programs)
    if duplicate is not None:
        return BuildResult(2, report, notes=(duplicate,))
    if code == 1 and not options.force:
        note = "a property is violated (or a finding is an error): refusing to build; --force"
        return BuildResult(1, report, notes=(note + " writes anyway",))
    say("compiling the guard with solc")
    notes = _unknown_notes(report) + _solc_notes(programs, options.optimizer_runs)
    oversize = _size_errors(programs, files, options.optimizer_runs)
    if oversize is not None:
        note = "a contract exceeds EIP-170's code size limit: nothing was built"
        return BuildResult(2, oversize, notes=(note,))
    outputs = render_outputs(programs, files, options.out_dir, runs=options.optimizer_runs)
    if options.check:
        stale, removed = compare(outputs, options.out_dir)
        if stale or removed:
            return BuildResult(1, report, outputs, stale, removed, (*notes, "stale"))
        return BuildResult(0, report, outputs, notes=(*notes, "up to date"))
    written, removed = write_outputs(outputs, options.out_dir)
    return BuildResult(0, report, outputs, written, removed, tuple(notes))


# --- checking --------------------------------------------------------------------------------


def _check_file(path: str, options: BuildOptions) -> tuple[FileReport, Program | None]:
    """What `interlock check` reports for `path` (the same phase), and its program."""
    front = compile_file(path)
    check = CheckOptions(
        timeout_s=options.timeout_s,
        jobs=options.jobs,
        strict=options.strict,
        progress=options.progress,
    )
    return file_report(front, path, check, verify_properties), front.program


def source_name(path: str) -> str:
    """The name a rule file is built under: relative to the working directory when it lies
    inside it (as given otherwise), `/`-separated — so the outputs, which name their source,
    do not depend on whether the command was given absolute or relative paths."""
    p = Path(os.path.normpath(path))
    if p.is_absolute():
        with contextlib.suppress(ValueError):
            p = p.relative_to(Path.cwd())
    return p.as_posix()


def _sidecar_reports(programs: list[Program]) -> list[FileReport]:
    """The plan sidecars' errors (an unknown role or entity...): invalid input, like the rules'."""
    return [r for r in map(facts_report, programs) if r is not None]


def _duplicate_protocol(programs: list[Program]) -> str | None:
    seen: dict[str, str] = {}
    for p in programs:
        if p.protocol in seen:
            return (
                f"`{seen[p.protocol]}` and `{p.source_path}` both declare protocol "
                f"`{p.protocol}`: their outputs would collide"
            )
        seen[p.protocol] = p.source_path
    return None


def _unknown_notes(report: Report) -> list[str]:
    return [
        f"{f.path}: `{p.name}` is unknown ({p.reason or p.method}); built anyway"
        for f in report.files
        for p in f.properties
        if p.status == "unknown"
    ]


def _solc_notes(programs: list[Program], runs: int) -> list[str]:
    """solc's warnings on the generated guard, one line each. The generated code is meant to
    have none (tests/compiler/test_solidity_fuzz.py): one is an Interlock bug, said so."""
    return [
        f"solc warns on {m.file}: {m.message} (generated code should not warn: please report)"
        for program in programs
        for m in compile_sources(emit_solidity(program), runs=runs).warnings
    ]


def _size_errors(programs: list[Program], files: list[FileReport], runs: int) -> Report | None:
    """The report with an E0601 for each contract too large to deploy (None: all fit)."""
    extra: dict[str, list[Diagnostic]] = {}
    for program in programs:
        compiled = compile_sources(emit_solidity(program), runs=runs)
        found = [size_diagnostic(program, r) for r in too_large(program, compiled)]
        if found:
            extra[program.source_path] = found
    if not extra:
        return None
    updated = tuple(
        f.model_copy(update={"diagnostics": (*f.diagnostics, *extra.get(f.path, ()))})
        for f in files
    )
    return Report(version=__version__, files=updated)


# --- rendering -------------------------------------------------------------------------------


def dumps(data: Any) -> bytes:
    """Canonical JSON: sorted keys, two-space indent, UTF-8, trailing newline."""
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def render_outputs(
    programs: list[Program], files: list[FileReport], out_dir: Path,
    *, runs: int = OPTIMIZER_RUNS,
) -> dict[str, bytes]:
    """Every output file of the build, in memory (file name -> bytes), manifest included."""
    outputs: dict[str, bytes] = {}
    dependencies: dict[str, str] = {}  # OpenZeppelin's files, shared by every protocol
    protocols: list[Json] = []
    solc_version = ""
    by_path = {f.path: f for f in files}
    for program in sorted(programs, key=lambda p: p.protocol):
        own: dict[str, bytes] = {}
        sources = {**emit_solidity(program), **emit_reference_vault(program)}
        own.update({name: text.encode() for name, text in sources.items()})
        compiled = compile_sources(sources, runs=runs)
        solc_version = compiled.version
        dependencies.update(dependency_files(sources))
        for key, contract in sorted(compiled.contracts.items()):
            if ":" not in key or contract.source in dependencies:
                continue  # listed by its bare name too, or a library's (OpenZeppelin's)
            own[_artifact_name(program.protocol, contract.name)] = dumps(
                {
                    "contractName": contract.name,
                    "sourceName": contract.source,
                    "abi": contract.abi,
                    "bytecode": contract.bytecode,
                    "deployedBytecode": contract.deployed_bytecode,
                    "immutableReferences": contract.immutable_references,
                    # what `interlock monitor` compares the code at the guard address with
                    "codeFingerprint": contract.fingerprint.to_json(),
                }
            )
        guard_code = compiled.contract(f"{program.protocol}Guard").fingerprint
        own.update({name: text.encode()
                    for name, text in emit_monitor(program, guard_code).items()})
        own[f"{program.protocol}.ir.json"] = dumps(program.model_dump(mode="json"))
        own[f"{program.protocol}.proofs.json"] = dumps(proof_report(by_path[program.source_path]))
        own.update(plan_files(program, by_path[program.source_path]))
        for name in own:
            if name in outputs or name == MANIFEST:
                raise ValueError(f"two outputs are named `{name}`")
        outputs.update(own)
        protocols.append(
            {
                "name": program.protocol,
                "source": _source_entry(Path(program.source_path), out_dir),
                **_sidecar_entry(program, out_dir),
                "outputs": sorted(own),
            }
        )
    outputs.update({name: text.encode() for name, text in sorted(dependencies.items())})
    manifest = {
        "interlock": __version__,
        "ir_version": IR_VERSION,
        "solc": {"version": solc_version, "evm_version": EVM_VERSION, "optimizer_runs": runs},
        "dependencies": package_versions(dependencies),
        "protocols": protocols,
        "files": {name: sha256(data) for name, data in sorted(outputs.items())},
    }
    outputs[MANIFEST] = dumps(manifest)
    return outputs


def _source_entry(path: Path, out_dir: Path) -> Json:
    return {"path": _relative(str(path), out_dir), "sha256": sha256(path.read_bytes())}


def _sidecar_entry(program: Program, out_dir: Path) -> Json:
    """The plan sidecar, when there is one, is a source of the build too."""
    path = sidecar_path(program.source_path)
    return {"plan_facts": _source_entry(path, out_dir)} if path.exists() else {}


def _artifact_name(protocol: str, contract: str) -> str:
    """`PerpVenueGuard.json`; a helper contract of the guard source is prefixed by the protocol
    (`PerpVenue.IGuardFeed.json`) so that two protocols' outputs never collide."""
    return f"{contract}.json" if protocol in contract else f"{protocol}.{contract}.json"


def proof_report(file: FileReport) -> Json:
    """SPEC §6's JSON for one file and each unknown's reason, without what differs from run to
    run: the times, and the certificates (Spacer may find a different inductive invariant each
    time; `interlock check --explain` shows them)."""
    data = file_json(file)
    for prop, result in zip(data["properties"], file.properties, strict=True):
        prop.pop("seconds", None)
        prop["reason"] = result.reason
    return {"interlock": __version__, **data}


def _relative(path: str, out_dir: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), out_dir.resolve())).as_posix()


# --- writing and comparing ---------------------------------------------------------------------


def _previous_outputs(out_dir: Path) -> set[str]:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return set(manifest.get("files", {})) | {MANIFEST}
    except (OSError, ValueError, AttributeError):
        return set()


def compare(outputs: Mapping[str, bytes], out_dir: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(files missing or different in `out_dir`, files an earlier build left that are gone)."""
    stale = []
    for name, data in sorted(outputs.items()):
        try:
            if (out_dir / name).read_bytes() != data:
                stale.append(name)
        except OSError:
            stale.append(name)
    leftover = sorted(
        n for n in _previous_outputs(out_dir) - set(outputs) if (out_dir / n).exists()
    )
    return tuple(stale), tuple(leftover)


def write_outputs(
    outputs: Mapping[str, bytes], out_dir: Path
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Write what changed (atomically, file by file; the manifest last); remove the outputs of
    an earlier build that are no longer produced. Returns (written, removed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stale, leftover = compare(outputs, out_dir)
    for name in sorted(stale, key=lambda n: n == MANIFEST):
        _atomic_write(out_dir / name, outputs[name])
    for name in leftover:
        (out_dir / name).unlink()
    return stale, leftover


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)  # `@openzeppelin/contracts/...`
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def summary_lines(result: BuildResult, out_dir: Path, *, check: bool) -> list[str]:
    """What `interlock build` prints after the check report: the outcome, one line each."""
    lines = [f"note: {note}" for note in result.notes if note not in ("stale", "up to date")]
    if result.exit_code == 2 or (result.exit_code == 1 and not result.outputs):
        return lines
    if check:
        for name in result.changed:
            lines.append(f"stale: {out_dir / name}")
        for name in result.removed:
            lines.append(f"stale: {out_dir / name} (no longer produced)")
        state = "stale" if result.exit_code else "up to date"
        lines.append(f"{out_dir}: {state} ({len(result.outputs)} files)")
        return lines
    for name in result.changed:
        lines.append(f"wrote {out_dir / name}")
    for name in result.removed:
        lines.append(f"removed {out_dir / name}")
    unchanged = len(result.outputs) - len(result.changed)
    lines.append(
        f"built {out_dir}: {len(result.changed)} written, {unchanged} unchanged, "
        f"solc {result.solc_version}"
    )
    return lines
