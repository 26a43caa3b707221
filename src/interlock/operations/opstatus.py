"""`interlock op status`: who signed, is the role met, who is missing, expiry, queue state.

A member that has not signed may submit the operation itself: the guard counts its call of
`execute` (or `queue`) as its approval (docs/guard.md, "Contract callers"), so the status also
says how many signatures would still be needed then (`callers`). With `--rpc` it marks the
members that are contracts (a Safe, a governance executor), for which calling is the usual way,
checks the contract signatures in the file again on chain (`contract_sigs`), and says what each
contract member that has not signed must approve to sign instead (for a Safe: the SafeMessage
hash its owners sign).
"""

from __future__ import annotations

import time
from typing import Any

from interlock.ir.nodes import QUEUE_GRACE, Program
from interlock.operations import contract_sigs
from interlock.operations.chain import Guard, digest, queue_state
from interlock.operations.describe import fmt_time, power_of
from interlock.operations.opfile import ContractSignatureEntry, OperationFile
from interlock.operations.roles import RoleStatus, describe_set, role_status, with_caller
from interlock.operations.signing import checked_signers
from interlock.verifier.describe import fmt_duration


def op_status(program: Program, f: OperationFile, guard: Guard | None) -> dict[str, Any]:
    """The status as data (the JSON output); `render` lays it out as text."""
    entries = checked_signers(program, f)
    signed = [e.signer for e in entries]
    power = power_of(program, int(f.message["power"]))
    rs = role_status(program, power.role, signed)
    now = guard.now() if guard else int(time.time())
    deadline = int(f.message["deadline"])
    out: dict[str, Any] = {
        "summary": f.summary,
        "operation_hash": "0x" + digest(f).hex(),
        "role": power.role,
        "signed": [{"signer": e.signer, "entity": program.signer(e.signer).entity,
                    "contract_signature": isinstance(e, ContractSignatureEntry)}
                   for e in entries],
        "contract_signatures_checked": False,  # on chain, now
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
        if q.eta is None:  # once queued, `executeQueued` needs no signature
            contract_sigs.check_entries(guard, f)
            out["contract_signatures_checked"] = True
        out["queue"] = {"nonce_used": q.nonce_used, "eta": q.eta,
                        "ready": q.eta is not None and now >= q.eta}
    out["caller_method"] = "queue" if power.delay else "execute"
    out["callers"] = [] if rs.satisfied else [
        _caller(program, f, m, st, guard)
        for m, st in with_caller(program, power.role, signed)]
    return out


def _caller(program: Program, f: OperationFile, name: str, st: RoleStatus,
            guard: Guard | None) -> dict[str, Any]:
    """One member submitting the operation itself: is it a contract (None: not read), and the
    signatures still needed beside its call (`needed` None: the role stays unsatisfiable); a
    contract's `approve`: what its EIP-1271 signature must approve, to sign instead."""
    needed = 0 if st.satisfied else (len(st.missing[0]) if st.missing else None)
    address = program.signer(name).address
    contract = None if guard is None else contract_sigs.is_contract(guard, address)
    return {"signer": name, "entity": program.signer(name).entity, "contract": contract,
            "approve": contract_sigs.what_to_sign(guard, f, address)
            if guard is not None and contract else None,
            "satisfied": st.satisfied, "needed": needed,
            "missing": [list(m) for m in st.missing], "more_missing_sets": st.more}


def render(program: Program, st: dict[str, Any]) -> list[str]:
    lines = [st["summary"], f"operation hash {st['operation_hash']}"]
    who = ", ".join(f"{s['signer']} ({s['entity']}"
                    + (", contract signature)" if s["contract_signature"] else ")")
                    for s in st["signed"]) or "nobody yet"
    lines.append(f"signed by: {who}")
    if any(s["contract_signature"] for s in st["signed"]) and st["queue"] is None:
        lines.append("contract signatures were checked on chain when added; give --rpc to "
                     "check them again now (an owner change revokes one)")
    role = program.role(st["role"])
    if st["satisfied"]:
        lines.append(f"role `{role.name}` is satisfied")
    else:
        sets = " | ".join(describe_set(program, tuple(m)) for m in st["missing"])
        more = " (and more sets of that size)" if st["more_missing_sets"] else ""
        lines.append(f"role `{role.name}` is not satisfied; any one of these would complete "
                     f"it: {sets or 'none (no signer left can)'}{more}")
        lines += _caller_lines(program, st)
        lines += [f"{c['signer']} is a contract and may sign instead: "
                  f"{contract_sigs.approval_words(c['approve'])}; add it with `interlock op "
                  f"sign FILE --signer {c['signer']} --signature 0x… --rpc URL`"
                  for c in st["callers"] if c["approve"] is not None]
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


def _caller_lines(program: Program, st: dict[str, Any]) -> list[str]:
    """`or submitted by a member itself (...): a call by treasury (dao, contract) would
    complete it now; a call by bob (foundation) needs 1 more signature`: one clause per number
    of signatures still needed beside the call."""
    if st["queue"] is not None and st["queue"]["eta"] is not None:
        return []  # queued: `executeQueued` needs no approval
    by_need: dict[int, list[str]] = {}
    for c in st["callers"]:
        if c["needed"] is not None:
            kind = ", contract" if c["contract"] else ""
            by_need.setdefault(c["needed"], []).append(f"{c['signer']} ({c['entity']}{kind})")
    clauses = []
    for needed, names in sorted(by_need.items()):
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        if needed == 0:
            clauses.append(f"a call by {who} would complete it now")
        else:
            more = "1 more signature" if needed == 1 else f"{needed} more signatures"
            clauses.append(f"a call by {who} needs {more}")
    if not clauses:
        return []
    return [f"or submitted by a member itself (its call of `{st['caller_method']}` counts as "
            f"its approval): " + "; ".join(clauses)]


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
