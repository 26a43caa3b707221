"""`interlock op status`: who signed, is the role met, who is missing, expiry, queue state."""

from __future__ import annotations

import time
from typing import Any

from interlock.ir.nodes import QUEUE_GRACE, Program
from interlock.operations.chain import Guard, digest, queue_state
from interlock.operations.describe import fmt_time, power_of
from interlock.operations.opfile import OperationFile
from interlock.operations.roles import describe_set, role_status
from interlock.operations.signing import checked_signers
from interlock.verifier.describe import fmt_duration


def op_status(program: Program, f: OperationFile, guard: Guard | None) -> dict[str, Any]:
    """The status as data (the JSON output); `render` lays it out as text."""
    signed = [e.signer for e in checked_signers(program, f)]
    power = power_of(program, int(f.message["power"]))
    rs = role_status(program, power.role, signed)
    now = guard.now() if guard else int(time.time())
    deadline = int(f.message["deadline"])
    out: dict[str, Any] = {
        "summary": f.summary,
        "operation_hash": "0x" + digest(f).hex(),
        "role": power.role,
        "signed": [{"signer": n, "entity": program.signer(n).entity} for n in signed],
        "satisfied": rs.satisfied,
        "missing": [list(m) for m in rs.missing],
        "more_missing_sets": rs.more,
        "deadline": deadline,
        "expired": now > deadline,
        "now": now,
        "clock": "chain" if guard else "local",
        "timelock": power.delay,
        "queue": None,
    }
    if guard is not None:
        q = queue_state(guard, f)
        out["queue"] = {"nonce_used": q.nonce_used, "eta": q.eta,
                        "ready": q.eta is not None and now >= q.eta}
    return out


def render(program: Program, st: dict[str, Any]) -> list[str]:
    lines = [st["summary"], f"operation hash {st['operation_hash']}"]
    who = ", ".join(f"{s['signer']} ({s['entity']})" for s in st["signed"]) or "nobody yet"
    lines.append(f"signed by: {who}")
    role = program.role(st["role"])
    if st["satisfied"]:
        lines.append(f"role `{role.name}` is satisfied")
    else:
        sets = " | ".join(describe_set(program, tuple(m)) for m in st["missing"])
        more = " (and more sets of that size)" if st["more_missing_sets"] else ""
        lines.append(f"role `{role.name}` is not satisfied; any one of these would complete "
                     f"it: {sets or 'none (no signer left can)'}{more}")
    left = st["deadline"] - st["now"]
    when = fmt_time(st["deadline"])
    queued = st["queue"] is not None and st["queue"]["eta"] is not None
    if st["expired"]:
        lines.append(f"expired at {when}" + (" (it was queued in time: the deadline no longer "
                                             "applies)" if queued else ""))
    else:
        lines.append(f"valid until {when} ({fmt_duration(left)} left, {st['clock']} clock)")
    lines += _queue_lines(st)
    return lines


def _queue_lines(st: dict[str, Any]) -> list[str]:
    q = st["queue"]
    if q is None:
        return ["chain state: not read (give --rpc)"] if st["timelock"] else []
    if q["eta"] is not None:
        last = q["eta"] + QUEUE_GRACE
        if st["now"] > last:
            return [f"queued, but expired at {fmt_time(last)} (the grace period after its eta "
                    "ended): it can no longer run; queue it again with a new nonce"]
        if q["ready"]:
            return [f"queued: may run now (since {fmt_time(q['eta'])}, until "
                    f"{fmt_time(last)}): `interlock op submit`"]
        wait = fmt_duration(q["eta"] - st["now"])
        return [f"queued: may run from {fmt_time(q['eta'])} (in {wait})"]
    if q["nonce_used"]:
        return ["done: its nonce is used (executed, or its nonce taken by another operation "
                "of its role)"]
    if st["timelock"]:
        return [f"not queued yet: submitting queues it for {fmt_duration(st['timelock'])}"]
    return ["not submitted yet"]
