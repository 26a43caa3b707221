"""The plan-only facts of a rule file, read from its sidecar `NAME.plan.toml`.

Contacts, severity levels, the on-call rotation and each incident class's decision owner are
facts the guard never enforces, so they live next to the rule file instead of in it: the rule
grammar (which the verifier, compiler and diff all read) stays untouched, and a team can change
who is paged without touching — or re-proving — the rules. They are still checked against the
rules: every role, entity or signer they name must be declared (`E0201` at the sidecar's line).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from interlock.ir import codes
from interlock.ir.diagnostics import Diagnostic
from interlock.ir.nodes import Program, Span

IncidentClass = Literal[
    "fund_drain", "oracle_manipulation", "key_compromise", "governance_attack", "feed_outage"
]
INCIDENT_CLASSES: tuple[IncidentClass, ...] = (
    "fund_drain", "oracle_manipulation", "key_compromise", "governance_attack", "feed_outage"
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Severity(_Model):
    level: str  # `SEV1`
    meaning: str  # `user funds leaving now`
    respond_within: str | None = None  # `15m`: the team's own target, quoted as written


class Incident(_Model):
    owner: str  # the role or entity that decides
    severity: str | None = None  # a declared level
    notify: tuple[str, ...] = ()  # roles, entities or signers told (their contacts)


class PlanFacts(_Model):
    oncall: str | None = None  # the rotation reference: a schedule name or URL
    severity: tuple[Severity, ...] = ()
    contacts: dict[str, tuple[str, ...]] = {}  # role, entity or signer -> channels
    incidents: dict[IncidentClass, Incident] = {}

    def contacts_of(self, name: str) -> tuple[str, ...]:
        return self.contacts.get(name, ())


@dataclass(frozen=True)
class FactsResult:
    facts: PlanFacts
    path: str | None  # the sidecar read, None when there is none
    source: str
    diagnostics: tuple[Diagnostic, ...]


def sidecar_path(rules: str) -> Path:
    """`examples/perp_venue.guard` -> `examples/perp_venue.plan.toml`."""
    return Path(rules).with_suffix(".plan.toml")


def load_facts(program: Program) -> FactsResult:
    """The sidecar of `program`'s rule file, checked against the program (no sidecar: empty)."""
    path = sidecar_path(program.source_path)
    if not path.exists():
        return FactsResult(PlanFacts(), None, "", ())
    name = path.as_posix()
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line, col = _toml_position(str(e))
        return _failed(name, text, codes.SYNTAX, f"invalid TOML: {str(e).split(' (at')[0].lower()}",
                       line, col)
    try:
        facts = PlanFacts.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        keys = [k for k in err["loc"] if isinstance(k, str) and not k.startswith("[")]
        line, col = _find(text, keys[-1] if keys else "")
        where = ".".join(keys) or "the file"
        return _failed(name, text, codes.UNKNOWN_FIELD, f"`{where}`: {err['msg'].lower()}",
                       line, col)
    diags = tuple(_check_names(program, facts, name, text))
    return FactsResult(facts, name, text, diags)


def _check_names(program: Program, facts: PlanFacts, path: str, text: str) -> list[Diagnostic]:
    roles = {r.name for r in program.roles}
    entities = {s.entity for s in program.signers}
    people = roles | entities | {s.name for s in program.signers}
    levels = {s.level for s in facts.severity}
    wanted: list[tuple[str, set[str], str]] = [
        (n, people, "role, entity or signer") for n in facts.contacts
    ]
    for inc in facts.incidents.values():
        wanted.append((inc.owner, roles | entities, "role or entity"))
        wanted += [(n, people, "role, entity or signer") for n in inc.notify]
        if inc.severity is not None:
            wanted.append((inc.severity, levels, "severity level"))
    out = []
    for name, known, what in wanted:
        if name not in known:
            line, col = _find(text, name)
            close = difflib.get_close_matches(name, sorted(known), n=1)
            out.append(_diag(path, codes.UNKNOWN_NAME, f"unknown {what} `{name}`", line, col,
                             len(name), f"did you mean `{close[0]}`?" if close else None))
    return out


def _failed(path: str, text: str, code: str, message: str, line: int, col: int) -> FactsResult:
    return FactsResult(PlanFacts(), path, text, (_diag(path, code, message, line, col, 1),))


def _diag(path: str, code: str, message: str, line: int, col: int, width: int,
          help: str | None = None) -> Diagnostic:
    span = Span(file=path, line=line, column=col, end_line=line, end_column=col + width)
    return Diagnostic(code=code, severity="error", message=message, span=span, help=help)


def _toml_position(message: str) -> tuple[int, int]:
    m = re.search(r"line (\d+), column (\d+)", message)
    return (int(m.group(1)), int(m.group(2))) if m else (1, 1)


def _find(text: str, name: str) -> tuple[int, int]:
    """The first line (1-based line, column) naming `name` as a key, table or string value."""
    token = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    for number, line in enumerate(text.splitlines(), start=1):
        m = token.search(line)
        if name and m and not line.lstrip().startswith("#"):
            return number, m.start() + 1
    return 1, 1
