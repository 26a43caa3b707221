"""Before the monitor trusts a node: its chain, the guard, and the code of what it watches.

A mixin of `monitor.Monitor`, run when a session starts (the first connection and every
reconnection), after a reorganisation and, for the code, every `code_check_s` within a
session:

- the node serves the chain the deployment record has the guard on (when the monitor was given
  one: `interlock deploy`'s `NAME.deployment.json` records the chain id) and the checkpoint's
  chain (chain id and genesis hash), and has code at the guard
  address, and that code is the build's guard (`compiler.codehash.CodeFingerprint`: the
  runtime code with its immutables masked): at the first start a mismatch stops the monitor
  (`StartRefused`); later it is reported (a wrong guard code also as a `CodeChanged` alert),
  `/health` is degraded, nothing is processed, and the session retried (a lagging node behind
  a load balancer, a dev node restarted, code replaced at the guard address);
- the guard's addresses (`guardAddresses()`, fixed by its constructor) are the program's: the
  rule file's with the deployment file's per-network choices (`ir.addresses`). Otherwise the
  monitor would watch other tokens and vaults than the guard guards (`AddressesMismatch`);
- the code hash of every watched contract (the guard, assets, vaults, feeds and references,
  custom metrics' contracts) equals the one recorded in the checkpoint at the first start. A
  contract whose code changed (`code_changed`, a `CodeChanged` alert, `/health` problem
  `code`) has its logs ignored:
  a token's `Transfer`s count only while it runs the code it had when the monitor started
  watching it (a replaced token could emit `Transfer(from=vault)` for nothing that moved).
  Logs from other addresses never count: the metrics read only the declared contracts' logs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from interlock.compiler.codehash import CodeFingerprint
from interlock.compiler.guard_abi import function
from interlock.ir.addresses import guard_slots
from interlock.ir.nodes import Program
from interlock.runtime.abi import call_data, decode_result
from interlock.runtime.alerts import AlertContext, Alerter, code_alert
from interlock.runtime.executor import RpcError
from interlock.runtime.guard_events import Severities
from interlock.runtime.ingest import ConnectionLost, Node
from interlock.runtime.observe import BlockObservation
from interlock.runtime.ops import Health, MonitorMetrics, log


class StartRefused(Exception):
    """The monitor must not run against this node (the message says why)."""


class GuardMissing(StartRefused):
    """There is no contract at the guard address on this chain."""


class ChainMismatch(StartRefused):
    """The checkpoint was written on another chain (chain id or genesis block differ)."""


class GuardCodeMismatch(StartRefused):
    """The code at the guard address is not the guard of the build."""


class AddressesMismatch(StartRefused):
    """The guard was deployed with other addresses than the monitor's program has."""


def watched_contracts(program: Program, guard: str) -> dict[str, str]:
    """Lower-case address -> what the rule file calls it, for every contract the monitor
    reads logs or state of."""
    out = {guard.lower(): "guard"}
    for a in program.assets:
        out.setdefault(a.address.lower(), f"asset {a.name}")
    for v in program.vaults:
        out.setdefault(v.address.lower(), f"vault {v.name}")
    for f in program.feeds:
        out.setdefault(f.address.lower(), f"feed {f.name}")
        if f.reference:
            out.setdefault(f.reference.lower(), f"reference of {f.name}")
    for m in program.metrics:
        out.setdefault(m.address.lower(), f"metric {m.name}")
    return out


class NodeChecks:
    program: Program
    checkpoint_path: str
    guard: str
    dry_run: bool
    chain: tuple[int, str] | None
    deployed_on: frozenset[int]  # chain ids the deployment record has the guard on
    deployment: str | None  # that record's path
    ctx: AlertContext | None
    severities: Severities
    health: Health
    logger: logging.Logger
    metrics: MonitorMetrics
    code_hashes: dict[str, str]  # recorded at the first start (the checkpoint keeps them)
    untrusted: frozenset[str]  # watched contracts whose code is not the recorded one
    guard_code: CodeFingerprint | None  # the build's guard (None: not compared)
    alerter: Alerter
    next_block: int | None
    last_hash: str | None  # of the last processed block (None: accept any next block)
    code_check_s: float
    code_checked: float  # time.monotonic() of the last code check
    last_timestamp: int

    def _spawn(self, coro: Any) -> None: ...

    async def _check_node(self, node: Node) -> None:
        started = self.ctx is not None
        chain_id = int(str(await node.request("eth_chainId", [])), 16)
        genesis = await node.request("eth_getBlockByNumber", ["0x0", False])
        ident = (chain_id, str((genesis or {}).get("hash", "")).lower())
        if self.deployed_on and chain_id not in self.deployed_on:
            on = ", ".join(map(str, sorted(self.deployed_on)))
            why = (f"the node is on chain {chain_id}, `{self.deployment}` has the guard "
                   f"{self.guard} deployed on chain {on}")
            self._refuse("chain", "chain_mismatch", why, started, ChainMismatch(
                f"{why}: point --rpc at a node of chain {on}"))
        if self.chain is not None and ident != self.chain:
            why = (f"the node is on chain {ident[0]} (genesis {ident[1]}), the checkpoint on "
                   f"chain {self.chain[0]} (genesis {self.chain[1]})")
            self._refuse("chain", "chain_mismatch", why, started, ChainMismatch(
                f"{why}: point --rpc at the checkpoint's chain, or move `"
                f"{self.checkpoint_path}` away to start afresh"))
        code = await node.request("eth_getCode", [self.guard, "latest"])
        if not code or code == "0x":
            self._refuse("guard", "guard_not_found", f"no contract at {self.guard}",
                         started, GuardMissing(f"no contract at the guard address {self.guard}"))
        ctx = AlertContext(chain_id, self.guard, self.program, self.severities, self.dry_run)
        self._check_guard_code(ctx, str(code), started)
        differ = await self._address_mismatch(node)
        if differ:
            self._refuse("addresses", "addresses_mismatch", differ, started, AddressesMismatch(
                f"{differ}: start the monitor with the build directory whose deployment file "
                f"recorded this guard (`interlock deploy --addresses`)"))
        self.chain = ident
        for problem in ("chain", "guard", "guard_code", "addresses"):
            self.health.problems.pop(problem, None)
        self.ctx = ctx
        await self._check_code(node)
        self.code_checked = time.monotonic()

    async def _recheck_code(self, node: Node) -> None:
        """Within a connection, every `code_check_s`: the guard's code against the build's and
        the watched contracts' hashes, so that a change is seen within that time (a guard
        whose code is no longer the build's ends the session: refused as at a reconnection)."""
        if self.ctx is None or time.monotonic() < self.code_checked + self.code_check_s:
            return
        self.code_checked = time.monotonic()
        code = await node.request("eth_getCode", [self.guard, "latest"])
        self._check_guard_code(self.ctx, str(code or "0x"), started=True)
        await self._check_code(node)

    def _check_guard_code(self, ctx: AlertContext, code: str, started: bool) -> None:
        """Refuse a guard whose runtime code (immutables masked) is not the build's."""
        mismatch = self.guard_code.mismatch(code) if self.guard_code else None
        if mismatch is None:
            return
        why = f"the code at the guard address {self.guard} is not this build's guard: {mismatch}"
        if started:
            self._alert_code(ctx, "guard", self.guard, code, why)
        self._refuse("guard_code", "guard_code_mismatch", why, started, GuardCodeMismatch(
            f"{why}. Point --guard at the guard deployed from this build, or run the monitor of "
            f"the build that was deployed (--allow-other-guard-code: a contract inheriting the "
            f"guard)"))

    def _alert_code(self, ctx: AlertContext, name: str, address: str, code: str,
                    why: str) -> None:
        digest = "0x" + keccak(hexstr=code or "0x").hex()
        self._spawn(self.alerter.send(code_alert(
            ctx, contract=name, address=address, code_hash=digest,
            block=max((self.next_block or 1) - 1, 0), reason=why)))

    async def _address_mismatch(self, node: Node) -> str | None:
        """Why the guard's `guardAddresses()` differ from the program's (None: they agree)."""
        fn = function("guardAddresses")
        try:
            raw = await node.request("eth_call", [
                {"to": self.guard, "data": "0x" + call_data(fn).hex()}, "latest"])
            (onchain,) = decode_result(fn, bytes.fromhex(str(raw).removeprefix("0x")))
        except (RpcError, ValueError, TypeError) as exc:
            return f"the guard at {self.guard} does not report its addresses ({exc})"
        slots = guard_slots(self.program)
        if len(onchain) != len(slots):
            return (f"the guard at {self.guard} has {len(onchain)} addresses, the rules "
                    f"{len(slots)}: another rule file's guard")
        differ = [f"{s.kind} `{s.key}` is {to_checksum_address(str(a))} in the guard, "
                  f"{s.address} here"
                  for s, a in zip(slots, onchain, strict=True)
                  if str(a).lower() != s.address.lower()]
        return "; ".join(differ) or None

    def _refuse(self, problem: str, event: str, why: str, started: bool,
                fatal: StartRefused) -> None:
        log(self.logger, logging.ERROR, event, error=why, guard=self.guard, fatal=not started)
        if not started:
            raise fatal
        self.health.problems[problem] = why
        raise ConnectionLost(why)

    async def _check_code(self, node: Node) -> None:
        """Compare each watched contract's code hash with the recorded one (recording it the
        first time); a changed one is reported once and its logs ignored from now on."""
        watched = watched_contracts(self.program, self.guard)
        replies = await node.batch([("eth_getCode", [a, "latest"]) for a in watched])
        changed: dict[str, str] = {}
        for (address, name), code in zip(watched.items(), replies, strict=True):
            if isinstance(code, BaseException):
                raise code
            digest = "0x" + keccak(hexstr=str(code or "0x")).hex()
            recorded = self.code_hashes.setdefault(address, digest)
            if recorded == digest:
                continue
            changed[address] = name
            if address not in self.untrusted:
                log(self.logger, logging.ERROR, "code_changed", contract=name, address=address,
                    recorded=recorded, now=digest,
                    hint="its logs are ignored; if the change is one you expect, start "
                         "with a new checkpoint")
                if self.ctx is not None:
                    self._alert_code(self.ctx, name, address, str(code or "0x"),
                                     f"the code of {name} changed: {recorded} -> {digest}; "
                                     f"its logs are ignored")
        self.untrusted = frozenset(changed)
        if changed:
            self.health.problems["code"] = "code changed at " + ", ".join(
                f"{name} ({a})" for a, name in sorted(changed.items()))
        else:
            self.health.problems.pop("code", None)

    def _check_header(self, obs: BlockObservation) -> None:
        """A block extending the last processed one (its parent hash checked before) with an
        earlier timestamp is no valid header: a lying or broken node (fault 2). It is never
        counted: its events would land in past buckets (and drop out of the windows at the
        next block), the prices observed after its time would be forgotten. The block is read
        again after a reconnection (`/health` problem `header` meanwhile). After a
        reorganisation deeper than the checkpoints (`last_hash` None) an earlier time is the
        new branch's and accepted."""
        if self.last_hash is None or obs.timestamp >= self.last_timestamp:
            self.health.problems.pop("header", None)
            return
        why = (f"block {obs.number}'s timestamp {obs.timestamp} is before its parent's "
               f"{self.last_timestamp}")
        self.metrics.errors.labels("header").inc()
        log(self.logger, logging.ERROR, "header_rejected", block=obs.number,
            timestamp=obs.timestamp, parent_timestamp=self.last_timestamp,
            hint="the node served an invalid header: the block is read again")
        self.health.problems["header"] = why
        raise ConnectionLost(why)

    def _node_behind(self, target: int) -> None:
        """A node whose head is below the last processed block (a lagging node behind a load
        balancer, a chain gone back to a shorter branch) gives nothing to process until it
        passes it: `/health` says so (problem `behind`) instead of `ok` with no lag."""
        last = (self.next_block or 0) - 1
        if target >= last:
            self.health.problems.pop("behind", None)
        elif "behind" not in self.health.problems:
            log(self.logger, logging.WARNING, "node_behind", head=target, last_processed=last)
            self.health.problems["behind"] = (
                f"the node's block {target} is behind the last processed block {last}")

    def _trusted(self, obs: BlockObservation) -> BlockObservation:
        """`obs` without the logs of contracts whose code changed."""
        if not self.untrusted:
            return obs
        kept = tuple(e for e in obs.logs if e.address not in self.untrusted)
        self.metrics.errors.labels("untrusted_log").inc(len(obs.logs) - len(kept))
        return replace(obs, logs=kept)
