"""Apply trace steps (`semantics.trace`) to a deployed guard as transactions; read its state.

This is how the guard is held to the reference semantics (`interlock.semantics`): the
differential tests and counterexample replay run the same `Step`s on both and compare
`GuardView`s.

- `Advance(d)`: the driver's clock moves; the next transaction is mined at the new time
  (blocks may share a timestamp, as transactions in one block do).
- `Fire(b, metrics)`: the metrics are made true on chain first (feed answers and update times,
  vault balances, recorded flows: see `metrics_chain`), then `poke(id)` for an on-chain
  evaluable breaker (unless the flow report already fired it) or `trip(id)` from the agent.
  The step the semantics must be given back is the *realized* one: the metric values as the
  guard measures them after the set-up, which may differ from the requested values where the
  chain cannot reach them (recorded flows never shrink).
- `UsePower(w, ...)`: an EIP-712 `Operation` signed by the named signers' keys in increasing
  address order and `execute`d; for a timelocked role, the operation was `queue`d at `t0` by
  `prequeue` and is `executeQueued` here; the realized step tells the semantics when it was
  queued (`queued_at`: it expires after the grace period). A `cancel` cancels a victim
  operation `prequeue` queued for it (the semantics has no queue: for it a cancel changes
  nothing, and on chain neither does it change any state a `GuardView` shows). A `cancel
  holds` of a hold that is not held (the semantics has no holds either) reverts `NotHeld` on
  chain after the signatures and the role passed: the driver counts that as accepted, with no
  effect on either side.

A reverted transaction is a refusal: `Outcome.ok` is False and the chain state is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.exceptions import ContractCustomError, ContractLogicError

from interlock.ir.conditions import expanded_atoms
from interlock.ir.inputs import FEED_KINDS, TOKEN_KINDS
from interlock.ir.nodes import Breaker, Program
from interlock.ir.notional import assets_read, feeds_priced
from interlock.runtime.guard_events import decode_revert
from interlock.runtime.mirror import SHOWN_BY
from interlock.semantics import State, effective_param
from interlock.semantics.trace import Advance, Fire, Step, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.harness import Harness, signer_key
from interlock.testing.metrics_chain import realize_metrics, seen_metrics
from interlock.testing.signing import Operation, domain, sign_operation

FAR_DEADLINE = 2**64 - 1
SCOPE_POWERS = frozenset({"pause", "unpause", "extend", "unblock"})
FEED_POWERS = frozenset({"suspend", "resume"})


def revert_reason(fn: Any, sender: str) -> str:
    """Why the bound call `fn` from `sender` reverts in the current state: the guard's error,
    decoded (`NotHeld(holdId=1)`); "" when it does not revert."""
    try:
        fn.call({"from": sender})
    except ContractCustomError as exc:
        return decode_revert(bytes.fromhex(str(exc.data)[2:]))
    except ContractLogicError as exc:
        return str(exc)
    return ""


@dataclass(frozen=True)
class GuardView:
    """The guard state both sides can show, by name (timestamps in seconds, 0: never)."""

    paused_until: dict[str, int]
    paused_since: dict[str, int]
    suspended_until: dict[str, int]
    param_base: dict[str, int]
    param_value: dict[str, int]
    fired_until: dict[str, int]
    blocked_until: dict[str, int] = field(default_factory=dict)  # "sender/scope" -> until


def _blocked(program: Program, st: State, senders: Sequence[str]) -> dict[str, int]:
    out = {}
    for sender in senders:
        everywhere = int(st.blocked_until.get((sender, "*"), 0))
        for sc in program.scopes:
            out[f"{sender}/{sc.name}"] = max(int(st.blocked_until.get((sender, sc.name), 0)),
                                             everywhere)
    return out


def view_of_state(program: Program, st: State, senders: Sequence[str] = ()) -> GuardView:
    """The semantics' state as a `GuardView` (effective params at `st.now`); `blocked_until`
    for the named senders (a block from every scope counts for each scope, as on chain)."""
    shown = {table: {k: int(v) for k, v in getattr(st, var).items()}
             for var, table in SHOWN_BY.items()}
    return GuardView(
        **shown,
        param_value={p.name: effective_param(program, st, p.name) for p in program.params},
        blocked_until=_blocked(program, st, senders),
    )


def read_view(program: Program, reader: Any, guard: str) -> GuardView:
    """The state of the guard at `guard` (any contract with the guard's views: a protocol
    inheriting `NAMEGuarded`, its proxy) through a deployed `GuardStateReader`, as of the
    latest block; `blocked_until` is left empty (it needs the senders: `ChainDriver.read`)."""
    p = program
    _ts, pu, ps, su, pb, pv, fu = reader.functions.read(
        guard, len(p.scopes), len(p.feeds), len(p.params), len(p.breakers)).call()
    return GuardView(
        paused_until={s.name: int(pu[s.index]) for s in p.scopes},
        paused_since={s.name: int(ps[s.index]) for s in p.scopes},
        suspended_until={f.name: int(su[f.index]) for f in p.feeds},
        param_base={x.name: int(pb[x.index]) for x in p.params},
        param_value={x.name: int(pv[x.index]) for x in p.params},
        fired_until={b.name: int(fu[b.id]) for b in p.breakers},
    )


@dataclass(frozen=True)
class Outcome:
    """What one step did on chain.

    `implicit` are the breakers the guard fired by itself while the step's metrics were set up
    (a vault's flow report checks the breakers that read the flow), in rule-id order, with the
    metric values the guard saw; when the step's own breaker is among them, `in_implicit` is
    set and no `poke` was sent. The semantics must apply `implicit` first, then `step` (unless
    `in_implicit`).
    """

    ok: bool
    step: Step  # as applied: a `Fire` carries the realized metric values
    gas_used: int = 0
    implicit: tuple[Fire, ...] = ()
    in_implicit: bool = False


@dataclass(frozen=True)
class SignedOp:
    op: tuple[int, int, int, int, int]  # (power, targets, value, nonce, deadline)
    signatures: list[bytes]


class ChainDriver:
    """Drives one deployed guard from time `t0` on (see the module docstring)."""

    def __init__(
        self, program: Program, harness: Harness, guard: Any, t0: int,
        senders: Sequence[str] = (),
    ) -> None:
        self.program = program
        self.h = harness
        self.chain: TestChain = harness.chain
        self.guard = guard
        self.t0 = t0
        self.now = t0
        self._nonce = 1
        self._queued: dict[int, SignedOp] = {}  # step index -> queued operation
        self._queued_at: dict[int, int] = {}  # step index -> when it was queued
        self._values: dict[int, int] = {}  # step index -> value of a `cancel` (victim's hash)
        # set up by `metrics_chain` during a `Fire`: the flows the guard took back because the
        # report fired a breaker ((kind, asset) -> amount), and the rules reports fired, in order
        self.undone_flows: dict[tuple[str, str], int] = {}
        self.fired_by_reports: list[int] = []
        # the outflow each report-fired rule saw as `flow(ASSET)` (rule id -> asset -> amount)
        self.report_flows: dict[int, dict[str, int]] = {}
        self.sender = self.chain.accounts[0]
        self.senders = tuple(senders)  # whose `blockedUntil` `read` reports

    # --- state ----------------------------------------------------------------------------

    def read(self) -> GuardView:
        """The guard's state as of the latest block (call after a transaction at `now`)."""
        view = read_view(self.program, self.h.reader, self.guard.address)
        return replace(view, blocked_until=self._read_blocked())

    def _read_blocked(self) -> dict[str, int]:
        if not self.senders:
            return {}
        p = self.program
        addresses = [self.address_of(w) for w in self.senders]
        flat = self.h.reader.functions.readBlocked(
            self.guard.address, addresses, len(p.scopes)).call()
        return {f"{who}/{sc.name}": int(flat[i * len(p.scopes) + sc.index])
                for i, who in enumerate(self.senders) for sc in p.scopes}

    def sync_clock(self) -> None:
        """Mine an empty block at `now` (so views read at the driver's time)."""
        self.chain.mine(self.now)

    # --- steps ----------------------------------------------------------------------------

    def prequeue(self, steps: Sequence[Step]) -> None:
        """Prepare, at `t0`, what the power uses of `steps` need earlier: every timelocked use
        is queued, and every `cancel` gets a victim (an operation of the cancelled role queued
        with all signers' keys) whose hash becomes its value."""
        for i, s in enumerate(steps):
            if not isinstance(s, UsePower) or not 0 <= s.power < len(self.program.powers):
                continue
            if self.program.powers[s.power].kind == "cancel":
                self._values[i] = self._queue_victim(self.program.powers[s.power].targets[0])
            if self._power_delay(s) > 0:
                signed = self._sign(s, self._values.get(i))
                fn = self.guard.functions.queue(signed.op, signed.signatures)
                self.chain.call_fn(fn, self.sender, timestamp=self.now)
                self._queued[i] = signed
                self._queued_at[i] = self.now

    def queued(self, index: int) -> SignedOp | None:
        """The operation `prequeue` queued for step `index` (None: none)."""
        return self._queued.get(index)

    def _queue_victim(self, role: str) -> int:
        """Queue an operation of timelocked `role`; its hash as an `int256` (0: none)."""
        victim = next((w for w in self.program.powers if w.role == role and w.delay > 0
                       and w.kind != "cancel"), None)
        if victim is None:
            return 0
        targets = () if victim.kind == "set" else victim.targets
        value = self.program.param(victim.targets[0]).initial if victim.kind == "set" else (
            1 if victim.kind in ("pause", "suspend", "extend") else None)
        step = UsePower(power=victim.id, targets=targets, value=value,
                        signers=tuple(x.name for x in self.program.signers))
        signed = self._sign(step)
        fn = self.guard.functions.queue(signed.op, signed.signatures)
        if not self.chain.call_fn(fn, self.sender, timestamp=self.now).ok:
            return 0
        digest = int.from_bytes(self.guard.functions.operationHash(signed.op).call(), "big")
        return digest - 2**256 if digest >= 2**255 else digest

    def apply(self, s: Step, index: int | None = None) -> Outcome:
        """Apply one step at the driver's clock; `index` names a prequeued power use."""
        if isinstance(s, Advance):
            if s.seconds < 0:
                return Outcome(ok=False, step=s)
            self.now += s.seconds
            return Outcome(ok=True, step=s)
        if isinstance(s, Fire):
            return self._fire(s)
        return self._use(s, index)

    def run(self, steps: Iterable[Step]) -> list[Outcome]:
        return [self.apply(s, i) for i, s in enumerate(steps)]

    def _fire(self, s: Fire) -> Outcome:
        breaker = next((b for b in self.program.breakers if b.name == s.breaker), None)
        if breaker is None:
            return Outcome(ok=False, step=s)
        self.undone_flows, self.fired_by_reports, self.report_flows = {}, [], {}
        if s.failed_reads and breaker.onchain:
            return self._fire_broken(breaker, s)
        realized = realize_metrics(self, breaker, s.metrics)
        step = Fire(breaker=s.breaker, metrics=realized, sender=s.sender)
        by_id = {b.id: b for b in self.program.breakers}
        implicit = tuple(
            step if by_id[i].name == s.breaker
            else Fire(breaker=by_id[i].name, metrics=seen_metrics(self, by_id[i]))
            for i in self.fired_by_reports
        )
        if breaker.onchain:
            if any(f.breaker == s.breaker for f in implicit):
                return Outcome(ok=True, step=step, implicit=implicit, in_implicit=True)
            fn = self.guard.functions.poke(breaker.id)
            sender = self.sender
        else:
            sender = next(iter(self.h.agents.values()), self.sender)
            if any(e.kind == "block" for e in breaker.effects):
                # a trace that does not care who is blocked names nobody: block a bystander
                who = self.address_of(s.sender or "bystander")
                fn = self.guard.functions.tripSender(breaker.id, who)
            else:
                fn = self.guard.functions.trip(breaker.id)
        out = self.chain.call_fn(fn, sender, timestamp=self.now)
        return Outcome(ok=out.ok, step=step, gas_used=out.gas_used, implicit=implicit)

    def _fire_broken(self, breaker: Breaker, s: Fire) -> Outcome:
        """`poke` with every feed and token the rule reads broken (they revert), then mended."""
        broken = self._inputs_of(breaker)
        self.sync_clock()
        for c in broken:
            self.chain.call_fn(c.functions.setBroken(True), self.sender, timestamp=self.now)
        out = self.chain.call_fn(self.guard.functions.poke(breaker.id), self.sender,
                                 timestamp=self.now)
        for c in broken:
            self.chain.call_fn(c.functions.setBroken(False), self.sender, timestamp=self.now)
        step = Fire(breaker=s.breaker, failed_reads=True, sender=s.sender)
        return Outcome(ok=out.ok, step=step, gas_used=out.gas_used)

    def _inputs_of(self, breaker: Breaker) -> list[Any]:
        atoms = expanded_atoms(self.program, breaker.when)
        feeds = {a.target for a in atoms if a.kind in FEED_KINDS}
        feeds |= {f for a in atoms for f in feeds_priced(self.program, a)}
        assets = sorted({a.target for a in atoms if a.kind in TOKEN_KINDS} | {
            x for a in atoms if a.kind == "value_tvl" for x in assets_read(self.program, a)})
        refs = [self.h.references[f] for f in sorted(feeds) if f in self.h.references]
        return [*(self.h.feeds[f] for f in sorted(feeds)), *refs,
                *(self.h.tokens[a] for a in assets)]

    def _use(self, s: UsePower, index: int | None) -> Outcome:
        if not 0 <= s.power < len(self.program.powers):
            return Outcome(ok=False, step=s)
        if self._power_delay(s) > 0:
            queued = self._queued.get(index) if index is not None else None
            if queued is None or index is None:
                return Outcome(ok=False, step=s)
            fn = self.guard.functions.executeQueued(queued.op)
            # the semantics is told when the operation was queued: it expires after the grace
            s = s.model_copy(update={"queued_at": self._queued_at[index]})
        else:
            signed = self._sign(s, self._values.get(index) if index is not None else None)
            fn = self.guard.functions.execute(signed.op, signed.signatures)
        out = self.chain.call_fn(fn, self.sender, timestamp=self.now)
        ok = out.ok or (self.program.powers[s.power].kind == "cancel_holds"
                        and revert_reason(fn, self.sender).startswith("NotHeld("))
        return Outcome(ok=ok, step=s, gas_used=out.gas_used)

    # --- operations -----------------------------------------------------------------------

    def _power_delay(self, s: UsePower) -> int:
        if not 0 <= s.power < len(self.program.powers):
            return 0
        return self.program.powers[s.power].delay

    def address_of(self, name: str) -> str:
        """A signer's key address, an agent's account, or a fixed address for any other name."""
        key = self.h.signer_keys.get(name)
        if key is not None:
            return str(Account.from_key(key).address)
        if name in self.h.agents:
            return self.h.agents[name]
        return str(to_checksum_address(keccak(b"sender:" + name.encode())[12:]))

    def targets_mask(self, s: UsePower) -> int:
        kind = self.program.powers[s.power].kind
        mask = 0
        for t in s.targets:
            if kind in SCOPE_POWERS and any(x.name == t for x in self.program.scopes):
                mask |= 1 << self.program.scope(t).index
            elif kind in FEED_POWERS and any(x.name == t for x in self.program.feeds):
                mask |= 1 << self.program.feed(t).index
        return mask

    def sign(self, s: UsePower) -> SignedOp:
        """`s` as the signed operation `apply` would execute (a fresh nonce)."""
        return self._sign(s)

    def _sign(self, s: UsePower, value: int | None = None) -> SignedOp:
        value = value if value is not None else (s.value or 0)
        if s.sender is not None:  # an `unblock`: the sender's address travels in the value
            value = int(self.address_of(s.sender), 16)
        op = Operation(s.power, self.targets_mask(s), value, self._nonce, FAR_DEADLINE)
        self._nonce += 1
        keys = [self.h.signer_keys.get(n) or signer_key(10_000 + keccak(n.encode())[0])
                for n in s.signers]
        dom = domain(self.program, self.chain.w3.eth.chain_id, self.guard.address)
        return SignedOp(op=op.as_tuple(), signatures=sign_operation(op, keys, dom))

