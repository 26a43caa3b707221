"""Before the monitor trusts a node: its chain, the guard, and the code of what it watches.

A mixin of `monitor.Monitor`, run when a session starts (the first connection and every
reconnection) and after a reorganisation:

- the node serves the checkpoint's chain (chain id and genesis hash) and has code at the guard
  address: at the first start a mismatch stops the monitor (`StartRefused`); later it is
  reported, `/health` is degraded, and the session retried (a lagging node behind a load
  balancer, a dev node restarted);
- the guard's addresses (`guardAddresses()`, fixed by its constructor) are the program's: the
  rule file's with the deployment file's per-network choices (`ir.addresses`). Otherwise the
  monitor would watch other tokens and vaults than the guard guards (`AddressesMismatch`);
- the code hash of every watched contract (the guard, assets, vaults, feeds and references,
  custom metrics' contracts) equals the one recorded in the checkpoint at the first start. A
  contract whose code changed (`code_changed`, `/health` problem `code`) has its logs ignored:
  a token's `Transfer`s count only while it runs the code it had when the monitor started
  watching it (a replaced token could emit `Transfer(from=vault)` for nothing that moved).
  Logs from other addresses never count: the metrics read only the declared contracts' logs.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from interlock.compiler.guard_abi import function
from interlock.ir.addresses import guard_slots
from interlock.ir.nodes import Program
from interlock.runtime.abi import call_data, decode_result
from interlock.runtime.alerts import AlertContext
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
    ctx: AlertContext | None
    severities: Severities
    health: Health
    logger: logging.Logger
    metrics: MonitorMetrics
    code_hashes: dict[str, str]  # recorded at the first start (the checkpoint keeps them)
    untrusted: frozenset[str]  # watched contracts whose code is not the recorded one

    async def _check_node(self, node: Node) -> None:
        started = self.ctx is not None
        chain_id = int(str(await node.request("eth_chainId", [])), 16)
        genesis = await node.request("eth_getBlockByNumber", ["0x0", False])
        ident = (chain_id, str((genesis or {}).get("hash", "")).lower())
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
        differ = await self._address_mismatch(node)
        if differ:
            self._refuse("addresses", "addresses_mismatch", differ, started, AddressesMismatch(
                f"{differ}: start the monitor with the build directory whose deployment file "
                f"recorded this guard (`interlock deploy --addresses`)"))
        self.chain = ident
        self.health.problems.pop("chain", None)
        self.health.problems.pop("guard", None)
        self.health.problems.pop("addresses", None)
        await self._check_code(node)
        self.ctx = AlertContext(chain_id, self.guard, self.program, self.severities,
                                self.dry_run)

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
        self.untrusted = frozenset(changed)
        if changed:
            self.health.problems["code"] = "code changed at " + ", ".join(
                f"{name} ({a})" for a, name in sorted(changed.items()))
        else:
            self.health.problems.pop("code", None)

    def _trusted(self, obs: BlockObservation) -> BlockObservation:
        """`obs` without the logs of contracts whose code changed."""
        if not self.untrusted:
            return obs
        kept = tuple(e for e in obs.logs if e.address not in self.untrusted)
        self.metrics.errors.labels("untrusted_log").inc(len(obs.logs) - len(kept))
        return replace(obs, logs=kept)
