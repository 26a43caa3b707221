"""What `interlock op ...` runs: each function prints its result and returns the exit code.

Exit codes: 0 done; 1 the guard refuses (or refused) the operation (nothing sent, the sentence
printed); 2 bad input (unreadable or edited file, unknown power or signer, another chain or
guard, no key) -- nothing sent.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from interlock.compiler import eip712
from interlock.ir.nodes import Power, Program
from interlock.operations import contract_sigs, opfile, signing
from interlock.operations.chain import (
    ChainError,
    Guard,
    Refused,
    connect,
    digest,
    open_guard,
    plan,
    predicted_refusals,
    read_abi,
    send,
    simulate,
)
from interlock.operations.describe import UnknownPower, fmt_time, power_of
from interlock.operations.opstatus import op_status, render
from interlock.operations.steps import live_step_refusal
from interlock.operations.words import WordsError, parse_duration, resolve
from interlock.runtime.deploy import (
    BuildDirError,
    BuiltProtocol,
    find_protocol,
    recorded_guard,
    recorded_program,
)
from interlock.runtime.keys import KeyLoadError, load_key

Echo = Callable[[str], None]
BAD_INPUT = (WordsError, opfile.OpFileError, signing.SigningError, KeyLoadError, BuildDirError,
             ChainError, UnknownPower)


@dataclass(frozen=True)
class Io:
    out: Echo  # results (stdout)
    err: Echo  # errors and progress (stderr)
    prompt: Callable[[str], str] | None = None  # a hidden password prompt


@dataclass(frozen=True)
class Target:
    build_dir: Path
    protocol: str | None = None
    rpc: str | None = None


@dataclass(frozen=True)
class KeyOptions:
    keystore: str | None = None
    password_env: str | None = None
    key_env: str | None = None


def guarded(fn: Callable[[], int], io: Io) -> int:
    """Run a command body; turn the known failures into one line and an exit code."""
    try:
        return fn()
    except Refused as exc:
        io.err(f"refused: {exc.sentence}")
        io.err("nothing was sent")
        return 1
    except BAD_INPUT as exc:
        io.err(f"error: {exc}")
        return 2


def _built(t: Target) -> tuple[BuiltProtocol, Program]:
    built = find_protocol(t.build_dir, t.protocol)
    return built, built.program


def propose(t: Target, words: Sequence[str], io: Io, *, role: str | None, deadline: str,
            guard: str | None, chain_id: int | None, nonce: int | None,
            out_path: str | None, domain_name: str | None = None) -> int:
    def run() -> int:
        built, program = _built(t)
        r = resolve(program, words, role)
        cid, address, now, live = _where(built, t.rpc, guard, chain_id)
        program = recorded_program(built, address, cid)  # the addresses it was deployed with
        if live is not None:
            _check_step(live, r.power, r.value, io)
        n = nonce if nonce is not None else _fresh_nonce(live, program, r.power.id)
        values = {"power": r.power.id, "targets": r.targets, "value": r.value, "nonce": n,
                  "deadline": now + parse_duration(deadline)}
        name = domain_name or (live.domain_name() if live else None)
        return _write_new(program, cid, address, values, out_path, io, name)
    return guarded(run, io)


def _check_step(live: Guard, power: Power, value: int, io: Io) -> None:
    """Refuse a `set` the step bound refuses now; for a timelocked role only warn (the guard
    checks it against the base when the queued operation executes)."""
    why = live_step_refusal(live, power, value)
    if why is None:
        return
    if power.delay == 0:
        raise Refused(why)
    io.err(f"warning: the guard would refuse this now: {why}; a timelocked operation is "
           "checked when it executes")


def _write_new(program: Program, cid: int, address: str, values: dict[str, int],
               out_path: str | None, io: Io, domain_name: str | None = None) -> int:
    f = opfile.new_file(program, cid, address, values, domain_name)
    path = Path(out_path or f"op-{values['nonce']}.json")
    opfile.save(f, path)
    io.out(str(path))
    io.err(f"proposed: {f.summary}")
    power = power_of(program, values["power"])
    io.err(f"role `{power.role}` must sign it: `interlock op sign {path}`")
    return 0


def _where(built: BuiltProtocol, rpc: str | None, guard: str | None,
           chain_id: int | None) -> tuple[int, str, int, Guard | None]:
    """(chain id, guard address, now, live guard or None) for a new operation."""
    if rpc is not None:
        w3_guard = _connect_recorded(built, rpc, guard)
        return int(w3_guard.w3.eth.chain_id), w3_guard.contract.address, w3_guard.now(), w3_guard
    records = _records(built)
    if chain_id is None:
        if len(records) != 1:
            raise ChainError("give --rpc, or --chain-id and --guard (no single deployment is "
                             f"recorded in {built.deployment_record})")
        chain_id = int(next(iter(records)))
    address = guard or recorded_guard(built, chain_id)
    if address is None:
        raise ChainError(f"no --guard given and no deployment on chain {chain_id} recorded")
    return chain_id, address, int(time.time()), None


def _records(built: BuiltProtocol) -> dict[str, object]:
    try:
        data = json.loads(built.deployment_record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _connect_recorded(built: BuiltProtocol, rpc: str, guard: str | None) -> Guard:
    abi = read_abi(built.guard_artifact)
    if guard is None:
        probe = connect_chain_id(rpc)
        guard = recorded_guard(built, probe)
        if guard is None:
            raise ChainError(f"no --guard given and no deployment on chain {probe} recorded in "
                             f"{built.deployment_record}")
    return connect(recorded_program(built, guard), abi, rpc, guard)


def connect_chain_id(rpc: str) -> int:
    from web3 import Web3

    try:
        return int(Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 30})).eth.chain_id)
    except Exception as exc:  # an unreachable node raises transport-specific types
        raise ChainError(f"cannot reach the node at {rpc}: {exc}") from exc


def _fresh_nonce(live: Guard | None, program: Program, power_id: int) -> int:
    """A random 48-bit nonce, checked unused in the power's role's nonce space when connected."""
    role = eip712.nonce_role(program, power_id)
    while True:
        n = secrets.randbits(48)
        if live is None or not live.contract.functions.nonceUsed(role, n).call():
            return n


def cancel(t: Target, queued_path: str, io: Io, *, deadline: str, nonce: int | None,
           out_path: str | None) -> int:
    """A new operation that cancels the queued operation in `queued_path`."""
    def run() -> int:
        built, _ = _built(t)
        queued = opfile.load(queued_path)
        program = recorded_program(built, queued.guard, queued.chain_id)
        opfile.check_file(program, queued)
        role = power_of(program, int(queued.message["power"])).role
        words = ["cancel", role, "0x" + digest(queued).hex()]
        r = resolve(program, words)
        live = _connect_recorded(built, t.rpc, queued.guard) if t.rpc else None
        now = live.now() if live else int(time.time())
        values = {"power": r.power.id, "targets": 0, "value": r.value,
                  "nonce": nonce if nonce is not None else _fresh_nonce(live, program, r.power.id),
                  "deadline": now + parse_duration(deadline)}
        return _write_new(program, queued.chain_id, queued.guard, values, out_path, io,
                          opfile.domain_name(queued))
    return guarded(run, io)


def sign(t: Target, path: str, io: Io, keys: KeyOptions, *, signature: str | None,
         signer: str | None, out_path: str | None) -> int:
    def run() -> int:
        built, _ = _built(t)
        f = opfile.load(path)
        program = recorded_program(built, f.guard, f.chain_id)
        opfile.check_file(program, f)
        if int(f.message["deadline"]) < time.time():
            raise opfile.OpFileError(f"the operation expired at {fmt_time(f.message['deadline'])}"
                                     " (local clock): propose it again")
        io.err(f"signing: {f.summary}")
        io.err(f"on chain {f.chain_id}, guard {f.guard}, EIP-712 domain "
               f"`{opfile.domain_name(f)}`")
        if signature is not None:
            f = _add_outside(built, program, f, t.rpc, signature, signer)
        else:
            account = load_key(keystore=keys.keystore, password_env=keys.password_env,
                               key_env=keys.key_env, prompt=io.prompt)
            f = signing.sign(program, f, account)
        opfile.save(f, out_path or path)
        last = f.signatures[-1]
        kind = (" (contract signature, accepted on chain by its `isValidSignature`)"
                if isinstance(last, opfile.ContractSignatureEntry) else "")
        io.out(f"{last.signer} signed{kind}; {out_path or path} has "
               f"{len(f.signatures)} signature(s)")
        return 0
    return guarded(run, io)


def _add_outside(built: BuiltProtocol, program: Program, f: opfile.OperationFile,
                 rpc: str | None, signature: str, signer: str | None) -> opfile.OperationFile:
    """`--signature`: an EOA's is recovered; a contract member's (code at its address, read
    with --rpc) is its EIP-1271 signature, added only if the contract accepts it on chain."""
    g = open_guard(program, read_abi(built.guard_artifact), rpc, f) if rpc else None
    if g is not None and signer is not None and contract_sigs.is_contract(
            g, signing.named(program, signer).address):
        return contract_sigs.add_checked(g, program, f, signer, signature)
    size = len(signing.parse_hex(signature))
    if size != 65:
        short = f"a signature is 65 bytes (r, s, v), this one is {size}"
        if g is not None:
            raise signing.SigningError(f"{short}, and `{signer}` is not a contract on chain "
                                       f"{f.chain_id}" if signer else short)
        raise signing.SigningError(f"{short}; a contract signer's EIP-1271 signature (a "
                                   "Safe's) may be any length, but only the contract can check "
                                   "it: name it with --signer and give --rpc URL")
    try:
        return signing.add(program, f, signature, signer)
    except signing.SigningError as exc:
        if g is not None or signer is None:
            raise
        raise signing.SigningError(f"{exc}; if `{signer}` is a contract (a Safe), its "
                                   "EIP-1271 signature is checked on chain: give --rpc URL"
                                   ) from exc


def _merged(built: BuiltProtocol, paths: Sequence[str]) -> tuple[Program, opfile.OperationFile]:
    """The rules as deployed on the files' guard, and the files merged into one."""
    files = [opfile.load(p) for p in paths]
    program = recorded_program(built, files[0].guard, files[0].chain_id) if files else built.program
    return program, signing.merge(program, files)


def status(t: Target, paths: Sequence[str], io: Io, *, as_json: bool) -> int:
    def run() -> int:
        built, _ = _built(t)
        program, f = _merged(built, paths)
        guard = open_guard(program, read_abi(built.guard_artifact), t.rpc, f) if t.rpc else None
        st = op_status(program, f, guard)
        if as_json:
            io.out(json.dumps(st, indent=2))
        else:
            for line in render(program, st):
                io.out(line)
        return 0
    return guarded(run, io)


def submit(t: Target, paths: Sequence[str], io: Io, keys: KeyOptions, *,
           dry_run: bool, force: bool = False) -> int:
    def run() -> int:
        built, _ = _built(t)
        program, f = _merged(built, paths)
        if t.rpc is None:
            raise ChainError("give --rpc URL")
        g = open_guard(program, read_abi(built.guard_artifact), t.rpc, f)
        account = load_key(keystore=keys.keystore, password_env=keys.password_env,
                           key_env=keys.key_env, prompt=io.prompt)
        method, args = plan(g, f)
        if method != "executeQueued":  # which passes no signature
            contract_sigs.check_entries(g, f)
        simulate(g, method, args, account.address)
        refusals = predicted_refusals(g, method, args, account.address)
        for refusal in refusals:
            io.err(f"refused: {refusal}")
        if refusals and not force:
            io.err("nothing was sent (the nonce would be spent for nothing; --force sends)")
            return 1
        io.err(f"simulated `{method}`: the guard accepts it")
        if dry_run:
            io.out(f"dry run: would call `{method}` for {f.summary}")
            return 0
        sent = send(g, method, args, account)
        io.out(f"{method}: tx {sent.tx_hash} (block {sent.block})")
        for note in sent.notes:
            io.out(note)
        for refusal in sent.refusals:
            io.err(f"refused: {refusal}")
        return 1 if sent.refusals else 0
    return guarded(run, io)


def guard_status(t: Target, io: Io, *, guard: str | None, as_json: bool,
                 watch: float | None, from_block: int) -> int:
    """`interlock status`: print the guard's live state (every `watch` seconds, until ^C)."""
    from interlock.operations.guard_status import read_status
    from interlock.operations.guard_status_text import render_status

    def run() -> int:
        built, _ = _built(t)
        if t.rpc is None:
            raise ChainError("give --rpc URL")
        g = _connect_recorded(built, t.rpc, guard)
        while True:
            st = read_status(g, from_block)
            text = json.dumps(st, indent=2) if as_json else "\n".join(render_status(st))
            io.out(("\x1b[2J\x1b[H" if watch and not as_json else "") + text)
            if not watch:
                return 0
            try:
                time.sleep(watch)
            except KeyboardInterrupt:
                return 0
    return guarded(run, io)
