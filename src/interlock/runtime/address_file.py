"""Address files: per network, the addresses a guard is deployed with (`deploy --addresses`).

    # addresses.toml: a table per chain id, a rule-file name per address (ir.addresses)
    [1]
    usdc = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
    pool = "0x7777777777777777777777777777777777777777"
    "eth_usd.reference" = "0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419"

    [11155111]
    usdc = "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238"

`read_address_file(path, program, chain_id)` reads the chain's table: E0602 for a file that
cannot be used (TOML syntax, a table that is not a chain id, a value that is not an address, no
table for the chain), E0603 for a name the rules do not have, E0604 when two of the guard's
addresses end up equal, and a W0816 per guard address the table leaves at the rule file's value.
A name missing from the table keeps the rule file's address: the rule file's are the defaults.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from eth_utils.address import is_checksum_address, to_checksum_address

from interlock.ir import codes as C
from interlock.ir.addresses import address_keys, duplicate_addresses, guard_slots, with_addresses
from interlock.ir.diagnostics import Diagnostic, did_you_mean
from interlock.ir.nodes import Program, Span

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEX40 = re.compile(r"0x[0-9a-fA-F]{40}")


@dataclass
class AddressChoice:
    """A chain's table of an address file, checked against the rules."""

    path: str
    text: str
    chain_id: int
    chosen: dict[str, str] = field(default_factory=dict)  # key -> checksummed address
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def _at(self, line: int, column: int, width: int) -> Span:
        return Span(file=self.path, line=line, column=column, end_line=line,
                    end_column=column + max(width, 1))

    def report(self, code: str, message: str, where: tuple[int, int, int],
                help: str | None = None) -> None:
        severity = "warning" if code.startswith("W") else "error"
        self.diagnostics.append(Diagnostic(code=code, severity=severity, message=message,
                                           span=self._at(*where), help=help))

    def locate(self, table: str, key: str | None = None) -> tuple[int, int, int]:
        """(line, column, width) of `[table]`, or of `key = ...` inside it (line 1 if absent)."""
        current = None
        for n, line in enumerate(self.text.splitlines(), start=1):
            stripped = line.strip()
            header = re.fullmatch(r"\[\s*\"?([^\]\"]*)\"?\s*\]\s*(#.*)?", stripped)
            if header:
                current = header.group(1).strip()
                if key is None and current == table:
                    return n, line.index("[") + 1, len(stripped.split("#")[0].strip())
                continue
            if key is not None and current == table:
                m = re.match(r"\s*(\"?)" + re.escape(key) + r"\1\s*=", line)
                if m:
                    return n, len(line) - len(line.lstrip()) + 1, len(key) + 2 * len(m.group(1))
        return 1, 1, 1


def read_address_file(path: str | Path, program: Program, chain_id: int) -> AddressChoice:
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        choice = AddressChoice(shown, "", chain_id)
        choice.report(C.BAD_ADDRESS_FILE, f"cannot read `{shown}`: {exc}", (1, 1, 1))
        return choice
    choice = AddressChoice(shown, text, chain_id)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POSITION.search(str(exc))
        where = (int(m.group(1)), int(m.group(2)), 1) if m else (1, 1, 1)
        choice.report(C.BAD_ADDRESS_FILE, f"not TOML: {_TOML_POSITION.sub('', str(exc)).strip()}",
                       where)
        return choice
    for table in data:
        if not table.isdigit():
            choice.report(C.BAD_ADDRESS_FILE, f"table `{table}` is not a chain id",
                           choice.locate(table),
                           help="one table per network: `[1]`, `[11155111]`, `[31337]`")
    entries = data.get(str(chain_id))
    if not isinstance(entries, dict):
        choice.report(C.BAD_ADDRESS_FILE, f"no table `[{chain_id}]` for chain {chain_id}",
                       (1, 1, 1), help="add the network's addresses under its chain id")
        return choice
    _read_entries(choice, program, entries)
    if choice.ok:
        _check_result(choice, program)
    return choice


def _read_entries(choice: AddressChoice, program: Program, entries: dict[str, object]) -> None:
    table = str(choice.chain_id)
    known = address_keys(program)
    for key, value in entries.items():
        where = choice.locate(table, key)
        if key not in known:
            choice.report(C.UNKNOWN_ADDRESS_NAME,
                           f"`{key}` names no address of `{program.protocol}`'s rules", where,
                           help=did_you_mean(key, known) or "names: " + ", ".join(known))
            continue
        address = _address(value)
        if address is None:
            choice.report(C.BAD_ADDRESS_FILE,
                           f"`{key}` is not an address (a string of 0x and 40 hex digits, "
                           f"mixed case only with a valid EIP-55 checksum)", where)
            continue
        choice.chosen[key] = address


def _address(value: object) -> str | None:
    if not isinstance(value, str) or not _HEX40.fullmatch(value):
        return None
    digits = value[2:]
    if digits not in (digits.lower(), digits.upper()) and not is_checksum_address(value):
        return None
    return str(to_checksum_address(value.lower()))


def _check_result(choice: AddressChoice, program: Program) -> None:
    table = str(choice.chain_id)
    effective = with_addresses(program, choice.chosen)
    for address, first, second in duplicate_addresses(effective):
        choice.report(C.REPEATED_ADDRESS,
                       f"`{first}` and `{second}` are both {address} on chain {choice.chain_id}",
                       choice.locate(table, second if second in choice.chosen else first),
                       help="the guard tells its vaults, agents and signers apart by address")
    if not choice.ok:
        return
    for slot in guard_slots(program):
        if slot.key not in choice.chosen:
            choice.report(C.DEFAULT_ADDRESS,
                           f"{slot.kind} `{slot.key}` keeps the rule file's address "
                           f"{slot.address} on chain {choice.chain_id}", choice.locate(table))
