"""Every SPEC §3 metric, computed from chain observations exactly as docs/semantics.md says.

`MetricPlan` is what a program needs watched (derived once from the IR); `MetricState` holds the
windows and price history, `apply`s one `BlockObservation` at a time and answers `values` for
that block. It does no I/O, so it is replayable and serialisable into the checkpoint.

Off-chain definitions the SPEC leaves to us (docs/monitor.md):
- `outflow(A, W)` / `inflow(A, W)`: `Transfer` logs of asset A whose `from` / `to` is a vault
  holding A (a transfer between two such vaults counts as both), bucketed by block timestamp;
- `calls(S, W [, per sender])`: transactions whose `to` is one of the scope's contracts (by
  default every vault of the program), mined or, where the node serves them, pending (a pending
  transaction counted once is not counted again when mined);
- custom `metric`: logs with the event's topic at its address; `count` counts them, `sum` adds
  the field (see `CustomDecoder`);
- custom `read`: one `eth_call` per block (`state_reads.ReadCall`), its value as decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from interlock.ir.conditions import atoms
from interlock.ir.metric_arith import BUCKET_CAP, price_of
from interlock.ir.nodes import Atom, Program
from interlock.ir.notional import Part, part_atoms, parts
from interlock.runtime.abi import TRANSFER_TOPIC, event_topic
from interlock.runtime.customlogs import CustomDecoder
from interlock.runtime.observe import BlockObservation, LogEntry, TxEntry
from interlock.runtime.readers import Reader, atom_reader, value_reader
from interlock.runtime.state_reads import ReadCall, read_calls
from interlock.runtime.windows import KeyedWindowSum, PriceHistory, WindowSum

_STATE_ATOMS = frozenset({"param", "score"})


def program_atoms(program: Program) -> tuple[Atom, ...]:
    """The metric atoms of every breaker and score tier, de-duplicated, in a stable order; a
    value's parts (its amounts and prices, `ir.notional`) follow it, so they are watched."""
    seen: dict[Atom, None] = {}
    conds = [b.when for b in program.breakers]
    conds += [t.when for s in program.scores for t in s.tiers]
    for cond in conds:
        for atom in atoms(cond):
            if atom.kind not in _STATE_ATOMS:
                seen.setdefault(atom, None)
                for part in part_atoms(program, atom):
                    seen.setdefault(part, None)
    return tuple(seen)


def atom_instances(program: Program) -> dict[Atom, tuple[int, ...]]:
    """For each distinct atom, the ids of every `Atom` object of the program's conditions equal
    to it (the evaluation looks atoms up by identity first: no pydantic hashing per lookup)."""
    out: dict[Atom, list[int]] = {}
    conds = [b.when for b in program.breakers]
    conds += [t.when for s in program.scores for t in s.tiers]
    for cond in conds:
        for atom in atoms(cond):
            ids = out.setdefault(atom, [])
            if id(atom) not in ids:
                ids.append(id(atom))
    return {a: tuple(ids) for a, ids in out.items()}


class AtomValues(Mapping[Atom, int]):
    """Metric values keyed by atom, answering lookups of the program's own atom objects by
    identity (fast path) and any equal atom by value. `MetricState.values` builds one per
    block from its readers' results (`of`); the dict by value, which hashes every atom, is
    built only when something asks for an atom that is not one of the program's objects."""

    __slots__ = ("_atoms", "_by_id", "_instances", "_vals", "_values")

    def __init__(self, values: dict[Atom, int], instances: Mapping[Atom, tuple[int, ...]]):
        self._values: dict[Atom, int] | None = values
        self._atoms = tuple(values)
        self._vals: list[int | None] = list(values.values())
        self._instances = instances
        self._by_id = {i: v for a, v in values.items() for i in instances.get(a, ())}

    @classmethod
    def of(cls, atoms: tuple[Atom, ...], vals: list[int | None],
           slots: tuple[tuple[int, int], ...],
           instances: Mapping[Atom, tuple[int, ...]]) -> AtomValues:
        """`vals[k]` is the value of `atoms[k]` (None: unavailable); `slots` pairs the id of
        each of the program's atom objects with the index of its atom."""
        out = cls.__new__(cls)
        out._atoms, out._vals, out._instances, out._values = atoms, vals, instances, None
        out._by_id = {i: v for i, k in slots if (v := vals[k]) is not None}
        return out

    def _dict(self) -> dict[Atom, int]:
        if self._values is None:
            self._values = {a: v for a, v in zip(self._atoms, self._vals, strict=True)
                            if v is not None}
        return self._values

    def __contains__(self, key: object) -> bool:
        return id(key) in self._by_id or key in self._dict()

    def __getitem__(self, key: Atom) -> int:
        try:
            return self._by_id[id(key)]
        except KeyError:
            return self._dict()[key]

    def __iter__(self) -> Iterator[Atom]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def pick(self, getter: Callable[[Mapping[int, int]], object]) -> object:
        """`getter` applied to the values by atom object id (`operator.itemgetter` of ids)."""
        return getter(self._by_id)

    def merged(self, extra: Mapping[Atom, int]) -> AtomValues:
        return AtomValues({**self._dict(), **extra}, self._instances)


def _lower(addr: str) -> str:
    return addr.lower()


@dataclass(frozen=True)
class MetricPlan:
    atoms: tuple[Atom, ...]
    asset_address: Mapping[str, str]
    vaults_of: Mapping[str, tuple[str, ...]]  # asset name -> vault addresses holding it
    feed_address: Mapping[str, str]
    feed_reference: Mapping[str, str | None]
    scope_contracts: Mapping[str, frozenset[str]]
    decoders: Mapping[str, CustomDecoder]
    instances: Mapping[Atom, tuple[int, ...]] = field(default_factory=dict)
    reads: tuple[ReadCall, ...] = ()  # the custom state reads the conditions use
    value_parts: Mapping[Atom, tuple[Part, ...]] = field(default_factory=dict)  # value atoms

    @classmethod
    def from_program(
        cls, program: Program, scope_contracts: Mapping[str, frozenset[str]] | None = None
    ) -> MetricPlan:
        vaults_of = {
            a.name: tuple(_lower(v.address) for v in program.vaults if a.name in v.holds)
            for a in program.assets
        }
        every_vault = frozenset(_lower(v.address) for v in program.vaults)
        contracts = {s.name: every_vault for s in program.scopes}
        contracts.update({k: frozenset(map(_lower, v)) for k, v in (scope_contracts or {}).items()})
        watched = program_atoms(program)
        return cls(
            atoms=watched,
            asset_address={a.name: _lower(a.address) for a in program.assets},
            vaults_of=vaults_of,
            feed_address={f.name: _lower(f.address) for f in program.feeds},
            feed_reference={
                f.name: _lower(f.reference) if f.reference else None for f in program.feeds
            },
            scope_contracts=contracts,
            decoders={m.name: CustomDecoder.from_metric(m) for m in program.metrics},
            instances=atom_instances(program),
            reads=read_calls(program, {a.target for a in program_atoms(program)
                                       if a.kind == "read"}),
            value_parts={a: parts(program, a) for a in watched if a.kind.startswith("value_")},
        )

    def kinds(self) -> frozenset[str]:
        return frozenset(a.kind for a in self.atoms)

    def balance_reads(self) -> tuple[tuple[str, str], ...]:
        assets = sorted({a.target for a in self.atoms if a.kind == "tvl"})
        return tuple((self.asset_address[a], v) for a in assets for v in self.vaults_of[a])

    def feed_reads(self) -> tuple[str, ...]:
        feeds = {a.target for a in self.atoms if a.kind in ("price", "deviation", "staleness",
                                                             "change")}
        out = {self.feed_address[f] for f in feeds}
        out |= {r for f in feeds if a_kind_uses_ref(self, f) and (r := self.feed_reference[f])}
        return tuple(sorted(out))

    def log_filters(self) -> tuple[dict[str, Any], ...]:
        """`eth_getLogs` filters (without the block range) for exactly the logs the metrics
        read: an asset's `Transfer`s from its vaults (outflow) and to them (inflow), and each
        custom metric's event at its address. A block's other logs, however many, are never
        fetched (docs/performance.md, "Monitor under log load")."""
        out: list[dict[str, Any]] = []
        for kind, position in (("outflow", 1), ("inflow", 2)):
            assets = sorted({a.target for a in self.atoms if a.kind == kind})
            for asset in assets:
                vaults = ["0x" + v[2:].rjust(64, "0") for v in self.vaults_of[asset]]
                topics: list[Any] = [TRANSFER_TOPIC, None, None][: position + 1]
                topics[position] = vaults
                out.append({"address": self.asset_address[asset], "topics": topics})
        out += [{"address": d.address, "topics": [d.topic]}
                for _, d in sorted(self.decoders.items())]
        return tuple(out)

    def needs_transactions(self) -> bool:
        return "calls" in self.kinds()


def a_kind_uses_ref(plan: MetricPlan, feed: str) -> bool:
    return any(a.kind == "deviation" and a.target == feed for a in plan.atoms)


@dataclass
class MetricState:
    """Windows and price history after the last applied block."""

    plan: MetricPlan
    flows: dict[Atom, WindowSum] = field(default_factory=dict)
    calls: dict[Atom, WindowSum] = field(default_factory=dict)
    calls_by_sender: dict[Atom, KeyedWindowSum] = field(default_factory=dict)
    custom: dict[Atom, WindowSum] = field(default_factory=dict)
    prices: dict[str, PriceHistory] = field(default_factory=dict)
    # transactions counted as calls (tx hash -> timestamp), kept for one window once pending
    # transactions are served, so each is counted once whichever notice comes first
    pending_counted: dict[str, int] = field(default_factory=dict)
    pending_seen: bool = False
    malformed: list[str] = field(default_factory=list)  # drained and logged by the monitor
    # the non-`per sender` atoms, their readers, and (id of an atom object, its atom's index)
    _atoms: tuple[Atom, ...] = field(default=(), init=False, repr=False, compare=False)
    _readers: tuple[Reader, ...] = field(default=(), init=False, repr=False, compare=False)
    _slots: tuple[tuple[int, int], ...] = field(default=(), init=False, repr=False,
                                                compare=False)

    def __post_init__(self) -> None:
        for atom in self.plan.atoms:
            w = atom.window or 0
            if atom.kind in ("outflow", "inflow"):
                self.flows.setdefault(atom, WindowSum(w, cap=BUCKET_CAP))
            elif atom.kind == "calls" and atom.per_sender:
                self.calls_by_sender.setdefault(atom, KeyedWindowSum(w))
            elif atom.kind == "calls":
                self.calls.setdefault(atom, WindowSum(w))
            elif atom.kind == "metric":
                window = self.plan.decoders[atom.target].window
                self.custom.setdefault(atom, WindowSum(window))
        longest: dict[str, int] = {}
        for atom in self.plan.atoms:
            if atom.kind == "change":
                longest[atom.target] = max(longest.get(atom.target, 0), atom.window or 0)
        for feed, w in longest.items():
            self.prices.setdefault(feed, PriceHistory(w))
        self._bind()

    def _bind(self) -> None:
        """Choose each atom's reader (again after `from_json` replaced the windows)."""
        series = {**self.flows, **self.calls, **self.custom}
        self._atoms = tuple(a for a in self.plan.atoms if not a.per_sender)
        plain = {a: atom_reader(self.plan, a, series.get(a), self.prices.get(a.target))
                 for a in self._atoms if a not in self.plan.value_parts}
        self._readers = tuple(plain[a] if a in plain else value_reader(
            [(plain[p.amount], plain[p.price], p.mul, p.div) for p in self.plan.value_parts[a]])
            for a in self._atoms)
        self._slots = tuple((i, k) for k, a in enumerate(self._atoms)
                            for i in self.plan.instances.get(a, ()))

    # --- ingestion ------------------------------------------------------------------------

    def apply(self, obs: BlockObservation) -> int:
        """Count one block's events; returns how many events it counted."""
        seen = 0
        for entry in obs.logs:
            try:
                seen += self._apply_log(entry, obs.timestamp)
            except Exception as exc:  # a malformed log is reported, never fatal
                self.malformed.append(f"{entry.tx_hash}#{entry.log_index}: {exc}")
        for tx in obs.txs:
            seen += self._apply_tx(tx, obs.timestamp)
        for feed, hist in self.prices.items():
            rnd = obs.rounds.get(self.plan.feed_address[feed])
            if rnd is not None:
                hist.observe(obs.timestamp, price_of(rnd.answer))
        self.prune(obs.timestamp)
        return seen

    def apply_pending(self, tx: TxEntry, timestamp: int) -> int:
        """A pending transaction seen between blocks, counted at the last block's timestamp."""
        self.pending_seen = True
        return self._apply_tx(TxEntry(tx.tx_hash, tx.sender, tx.to, pending=True), timestamp)

    def _apply_log(self, entry: LogEntry, ts: int) -> int:
        counted = 0
        topic0 = entry.topics[0] if entry.topics else ""
        if topic0 == TRANSFER_TOPIC and self._is_asset(entry.address):
            if len(entry.topics) != 3 or len(entry.data) != 32:
                raise ValueError("malformed Transfer log")
            src = "0x" + entry.topics[1][-40:]
            dst = "0x" + entry.topics[2][-40:]
            amount = int.from_bytes(entry.data, "big")
            for atom, window in self.flows.items():
                if self.plan.asset_address[atom.target] != entry.address:
                    continue
                vaults = self.plan.vaults_of[atom.target]
                if (src if atom.kind == "outflow" else dst) in vaults:
                    window.add(ts, amount)
                    counted = 1
        for atom, window in self.custom.items():
            dec = self.plan.decoders[atom.target]
            if dec.matches(entry):
                window.add(ts, dec.amount(entry))
                counted = 1
        return counted

    def _is_asset(self, address: str) -> bool:
        return address in self.plan.asset_address.values()

    def _apply_tx(self, tx: TxEntry, ts: int) -> int:
        if tx.to is None:
            return 0
        if tx.tx_hash in self.pending_counted:
            return 0  # counted once already: pending then mined, or a late pending notice
        counted = 0
        for atom, window in self.calls.items():
            if tx.to in self.plan.scope_contracts[atom.target]:
                window.add(ts, 1)
                counted = 1
        for atom, keyed in self.calls_by_sender.items():
            if tx.to in self.plan.scope_contracts[atom.target]:
                keyed.add(tx.sender, ts, 1)
                counted = 1
        if counted and (tx.pending or self.pending_seen):
            self.pending_counted[tx.tx_hash] = ts
        return counted

    def prune(self, now: int) -> None:
        for w in (*self.flows.values(), *self.calls.values(), *self.custom.values()):
            w.prune(now)
        for k in self.calls_by_sender.values():
            k.prune(now)
        for h in self.prices.values():
            h.prune(now)
        if self.pending_counted:
            horizon = max((a.window or 0 for a in self.plan.atoms), default=0)
            for tx_hash in [h for h, t in self.pending_counted.items() if t < now - horizon]:
                del self.pending_counted[tx_hash]

    # --- values ---------------------------------------------------------------------------

    def values(self, obs: BlockObservation) -> AtomValues:
        """The value of every non-`per sender` atom at `obs` (after `apply(obs)`); an atom
        whose input read failed is unavailable (absent)."""
        ts = obs.timestamp
        vals = [read(obs, ts) for read in self._readers]
        return AtomValues.of(self._atoms, vals, self._slots, self.plan.instances)

    def per_sender_values(self, obs: BlockObservation) -> dict[str, dict[Atom, int]]:
        """For each sender with a non-zero count: the value of every `per sender` atom."""
        out: dict[str, dict[Atom, int]] = {}
        for atom, keyed in self.calls_by_sender.items():
            for sender, total in keyed.totals(obs.timestamp).items():
                out.setdefault(sender, {})[atom] = total
        for sender, vals in out.items():
            for atom in self.calls_by_sender:
                vals.setdefault(atom, 0)
            out[sender] = vals
        return out

    # --- persistence ----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        def key(atom: Atom) -> str:
            return atom.model_dump_json()

        return {
            "flows": {key(a): w.to_json() for a, w in self.flows.items()},
            "calls": {key(a): w.to_json() for a, w in self.calls.items()},
            "calls_by_sender": {key(a): k.to_json() for a, k in self.calls_by_sender.items()},
            "custom": {key(a): w.to_json() for a, w in self.custom.items()},
            "prices": {f: h.to_json() for f, h in self.prices.items()},
            "pending_counted": dict(sorted(self.pending_counted.items())),
            "pending_seen": self.pending_seen,
        }

    @classmethod
    def from_json(cls, plan: MetricPlan, data: Mapping[str, Any]) -> MetricState:
        state = cls(plan)
        for name, target in (("flows", state.flows), ("calls", state.calls),
                             ("custom", state.custom)):
            for raw, buckets in data.get(name, {}).items():
                atom = Atom.model_validate_json(raw)
                if atom in target:
                    old = target[atom]
                    target[atom] = WindowSum.from_json(old.window, buckets, old.cap)
        for raw, sums in data.get("calls_by_sender", {}).items():
            atom = Atom.model_validate_json(raw)
            if atom in state.calls_by_sender:
                state.calls_by_sender[atom] = KeyedWindowSum.from_json(atom.window or 0, sums)
        for feed, points in data.get("prices", {}).items():
            if feed in state.prices:
                state.prices[feed] = PriceHistory.from_json(state.prices[feed].longest_window,
                                                            points)
        state.pending_counted = {k: int(v) for k, v in data.get("pending_counted", {}).items()}
        state.pending_seen = bool(data.get("pending_seen", False))
        state._bind()
        return state


__all__ = ["MetricPlan", "MetricState", "event_topic", "program_atoms"]


def metric_key(atom: Atom) -> str:
    """`outflow(USDC, 1h)`: an atom as logs and metrics name it, window included, so the 1h and
    24h outflows of one asset never share a key."""
    parts = [atom.target]
    if atom.window is not None:
        parts.append(_window(atom.window))
    if atom.per_sender:
        parts.append("per sender")
    return f"{atom.kind}({', '.join(parts)})"


def _window(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
