"""Walk one manual step of the plan as its signers would: `interlock op propose` with the plan's
words, `op sign` by one smallest coalition (the plan's names, test keys), `op submit`; a
timelocked step is queued, the chain's clock moved past its delay, and submitted again."""

from __future__ import annotations

import contextlib
import os
import shlex
import time
from collections.abc import Iterator
from pathlib import Path

from interlock.drill.breakers import Step
from interlock.drill.stage import Stage
from interlock.operations.commands import Io, KeyOptions, Target, propose, sign, submit
from interlock.plan.manual import BUILD_DIR, Action
from interlock.runtime.anvil import DEFAULT_KEYS

KEY_VAR = "INTERLOCK_DRILL_KEY"  # set only for the duration of one `op sign` / `op submit`


@contextlib.contextmanager
def _key(value: str) -> Iterator[KeyOptions]:
    previous = os.environ.get(KEY_VAR)
    os.environ[KEY_VAR] = value
    try:
        yield KeyOptions(key_env=KEY_VAR)
    finally:
        if previous is None:
            del os.environ[KEY_VAR]
        else:
            os.environ[KEY_VAR] = previous


def words_of(stage: Stage, action: Action) -> list[str]:
    """The plan's words with its placeholders filled: the lowest allowed value, one hour."""
    words = shlex.split(action.command.removeprefix(f"interlock op propose {BUILD_DIR} "))
    if "VALUE" in words:
        power = stage.program.powers[action.power_id]
        low = power.within[0] if power.within else stage.program.param(action.targets[0]).min
        words = [str(low) if w == "VALUE" else w for w in words]
    return ["1h" if w == "DURATION" else w for w in words]


def walk(stage: Stage, action: Action, workdir: Path) -> Step:
    lines: list[str] = []
    io = Io(out=lines.append, err=lines.append)
    t = Target(stage.build_dir, rpc=stage.rpc)
    path = str(workdir / f"op-{action.power_id}.json")
    name = f"`{action.role}: {action.power}`"
    start = time.perf_counter()
    first = int(stage.chain.w3.eth.block_number)
    code = propose(t, words_of(stage, action), io, role=action.role, deadline="1d", guard=None,
                   chain_id=None, nonce=None, out_path=path)
    for signer in action.min_signers:
        if code == 0:
            with _key(stage.key(signer)) as keys:
                code = sign(t, path, io, keys, signature=None, signer=None, out_path=None)
    if code == 0:
        code = _submit(stage, t, path, io, action)
    ms = (time.perf_counter() - start) * 1000
    blocks = int(stage.chain.w3.eth.block_number) - first
    how = f"propose, sign by {', '.join(action.min_signers)}, submit"
    outcome = next((ln for ln in reversed(lines) if ln.startswith(("refused", "error"))),
                   lines[-1] if lines else "")
    return Step(name, how, code == 0, outcome, ms, blocks)


def _submit(stage: Stage, t: Target, path: str, io: Io, action: Action) -> int:
    with _key(DEFAULT_KEYS[0]) as keys:
        code = submit(t, [path], io, keys, dry_run=False)
        power = stage.program.powers[action.power_id]
        if code != 0 or power.delay == 0:
            return code
        stage.chain.mine(stage.chain.latest_timestamp() + power.delay + 1)
        return submit(t, [path], io, keys, dry_run=False)
