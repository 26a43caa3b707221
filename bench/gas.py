"""Gas of the generated guard beside two baselines, on Anvil (prague), printed as a table.

    .venv/bin/python bench/gas.py [--rules bench/gas.guard]

What is measured (every number is a mined transaction's `gasUsed`):
- scope check: `act()` of a protocol function behind the inherited `whenActive` (the guard's
  state in the protocol's storage) on a scope without and one with `max`/`gap`, behind
  `whenActiveFor(scope, msg.sender)` and behind an external `guard.requireActive`, minus the
  same function unguarded; beside OpenZeppelin Contracts v5's own `Pausable.whenNotPaused`
  (npm `@openzeppelin/contracts`, bench/baselines/PausableBaseline.sol);
- flow recording: a vault `withdraw` that reports to the guard (`recordOutflow`, which also
  checks the on-chain breakers that read the flow) and transfers the testkit `TestToken`, minus
  the same withdraw unreported (also transferring); beside the same vault reporting to an
  ERC-7265-style limiter (bench/baselines/RateLimiterBaseline.sol).
  every 5 minutes for 3 hours, after an hour without flows, two withdrawals at the same
  timestamp: the first opens a new bucket (the limiter: a new tick node), the second adds to it;
  medians over the 72, over the first ones (with first and max) and over the second ones;
- `poke` firing an on-chain breaker, `trip` by the agent, `execute` of a 2-of-3 and a 3-of-5
  pause: whole transactions;
- the same 2-of-3 `execute` with contracts approving (bench/gas_contracts.py): an EOA and a
  real Safe 1.4.1 of 1, 2 and 3 owners signing through EIP-1271, and a Safe or an executor
  contract calling `execute` (its call one approval) with an EOA's signature; each beside the
  all-EOA row, with the part inside the guard from the call trace.
Targets (issues #4, #10): every inherited scope check within 10% of OZ's `whenNotPaused`
overhead; `recordOutflow` at most half of the ERC-7265-style baseline.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from interlock.compiler.solc import compile_sources
from interlock.compiler.solc_imports import with_imports
from interlock.ir.nodes import Atom
from interlock.runtime.anvil import Anvil
from interlock.semantics.trace import Fire, MetricValue, Step, UsePower
from interlock.testing.chain import TestChain
from interlock.testing.chain_driver import ChainDriver
from interlock.testing.deploy import deploy_rules
from interlock.testing.harness import Harness

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when imported, not run
from gas_contracts import Use, contract_rows

ROOT = Path(__file__).resolve().parent
START = 1_900_000_000
STEP = 300
N_WITHDRAWALS = 36
TVL = 10**12  # 1,000,000 USDC in the vault: small withdrawals never trip `drain`
AMOUNT = 1_000 * 10**6

HARNESS = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {{I{p}Guard, {p}Addresses}} from "./I{p}Guard.sol";
import {{EIP712}} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {{{p}Guarded}} from "./{p}Guarded.sol";

contract ExternalGuardProtocol {{
    I{p}Guard public immutable guard;
    uint256 public counter = 1;

    constructor(I{p}Guard guard_) {{
        guard = guard_;
    }}

    function act() external {{
        guard.requireActive(0);
        unchecked {{
            counter += 1;
        }}
    }}
}}

contract InheritedGuardProtocol is {p}Guarded {{
    constructor() {p}Guarded({p}Addresses.defaults()) EIP712("{p}Guard", "1") {{}}

    uint256 public counter = 1;

    function act() external whenActive(0) {{
        unchecked {{
            counter += 1;
        }}
    }}
}}

/// @dev The same, on scope 1 (`max`/`gap`); a contract of its own so that `act()` has the
/// same selector and dispatch cost as above.
contract LimitedScopeProtocol is {p}Guarded {{
    constructor() {p}Guarded({p}Addresses.defaults()) EIP712("{p}Guard", "1") {{}}

    uint256 public counter = 1;

    function act() external whenActive(1) {{
        unchecked {{
            counter += 1;
        }}
    }}
}}

contract SenderScopeProtocol is {p}Guarded {{
    constructor() {p}Guarded({p}Addresses.defaults()) EIP712("{p}Guard", "1") {{}}

    uint256 public counter = 1;

    function act() external whenActiveFor(0, msg.sender) {{
        unchecked {{
            counter += 1;
        }}
    }}
}}
"""


VAULT = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

interface IFlowGuard {
    function recordOutflow(address asset, uint256 amount) external returns (bool);
}

interface ITransfer {
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @notice PlainVault's withdraw (tokens transferred), reporting each outflow to the guard.
contract InterlockVault {
    IFlowGuard public guard;
    address public immutable token;
    mapping(address account => uint256) public balances;

    constructor(address token_) {
        token = token_;
    }

    function setGuard(IFlowGuard guard_) external {
        require(address(guard) == address(0), "guard already set");
        guard = guard_;
    }

    function deposit(uint256 amount) external {
        balances[msg.sender] += amount;
    }

    function withdraw(uint256 amount) external {
        balances[msg.sender] -= amount;
        guard.recordOutflow(token, amount);
        ITransfer(token).transfer(msg.sender, amount);
    }
}
"""


def _baselines() -> dict[str, Any]:
    sources = {p.name: p.read_text() for p in sorted((ROOT / "baselines").glob("*.sol"))}
    return compile_sources(with_imports(sources), allow_warnings=False).contracts


def _deploy(chain: TestChain, compiled: dict[str, Any], name: str, *args: Any) -> Any:
    c = compiled[name]
    return chain.deploy(c.abi, c.bytecode, *args)


def _gas(chain: TestChain, fn: Any, ts: int, sender: str | None = None) -> int:
    out = chain.call_fn(fn, sender or chain.accounts[0], timestamp=ts)
    if not out.ok:
        raise RuntimeError(f"benchmark transaction reverted: {fn.fn_name}")
    return out.gas_used


class Bench:
    def __init__(self, chain: TestChain, rules: Path) -> None:
        self.chain = chain
        self.base = _baselines()
        text = rules.read_text()
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.sizes: list[str] = []
        self.text, self.path = text, str(rules)

    def run(self) -> None:
        chain, base = self.chain, self.base
        protocol = _protocol_name(self.text)
        harness_src = {"BenchHarness.sol": HARNESS.format(p=protocol)}
        vault_c = compile_sources({"InterlockVault.sol": VAULT}).contract("InterlockVault")

        def make_vault(h: Harness, name: str) -> Any:
            asset = next(iter(h.tokens.values()))
            return chain.deploy(vault_c.abi, vault_c.bytecode, asset.address)

        dep = deploy_rules(chain, self.text, self.path, vault_factory=make_vault,
                           extra_sources=harness_src)
        token = dep.harness.tokens[dep.program.assets[0].name]
        vault = next(iter(dep.harness.vaults.values()))
        for name in (f"{protocol}Guard", "InheritedGuardProtocol"):
            size = (len(dep.compiled.contract(name).deployed_bytecode) - 2) // 2
            self.sizes.append(f"{name}: {size:,} bytes of runtime code (EIP-170 limit 24,576)")
        t = chain.latest_timestamp() + 100
        # --- scope checks ----------------------------------------------------------------
        unguarded = _deploy(chain, base, "UnguardedProtocol")
        pausable = _deploy(chain, base, "PausableProtocol")
        ext_c = dep.compiled.contract("ExternalGuardProtocol")
        external = chain.deploy(ext_c.abi, ext_c.bytecode, dep.guard.address)
        inh_c = dep.compiled.contract("InheritedGuardProtocol")
        inherited = chain.deploy(inh_c.abi, inh_c.bytecode)
        limited, sender = (chain.deploy(c.abi, c.bytecode) for c in (
            dep.compiled.contract(n) for n in ("LimitedScopeProtocol", "SenderScopeProtocol")))
        act: dict[str, int] = {}
        for name, fn in (("plain", unguarded.functions.act()),
                         ("pausable", pausable.functions.act()),
                         ("external", external.functions.act()),
                         ("inherited", inherited.functions.act()),
                         ("limited", limited.functions.act()),
                         ("for", sender.functions.act())):
            t += 1
            act[name] = _gas(chain, fn, t)
        oz = act["pausable"] - act["plain"]
        self.rows.append(("scope check, OpenZeppelin v5 `Pausable.whenNotPaused` (baseline)",
                          f"{oz:,}", "", "", ""))
        for key, label in (("inherited", "inherited `whenActive`, scope without max/gap"),
                           ("limited", "inherited `whenActive`, scope with `max 72h gap 24h`")):
            overhead = act[key] - act["plain"]
            self.rows.append((f"scope check, {label}", f"{overhead:,}", _ratio(overhead, oz),
                              f"≤ {int(oz * 1.1):,}", _met(overhead <= oz * 1.1)))
        # also reads the sender's blocks (two more slots): no OZ counterpart, no target
        self.rows.append(("scope check, inherited `whenActiveFor(scope, msg.sender)`",
                          f"{act['for'] - act['plain']:,}", "", "", ""))
        self.rows.append(("scope check, standalone `requireActive` (external call)",
                          f"{act['external'] - act['plain']:,}", "", "", ""))
        # --- flows -----------------------------------------------------------------------
        t = self._flows(dep, token, vault, t)
        # --- poke, trip, execute ---------------------------------------------------------
        self._actions(dep, t)

    def _flows(self, dep: Any, token: Any, vault: Any, t: int) -> int:
        chain, base = self.chain, self.base
        plain = _deploy(chain, base, "PlainVault", token.address)
        limiter = _deploy(chain, base, "Erc7265StyleLimiter", 3600, STEP)
        erc = _deploy(chain, base, "Erc7265Vault", limiter.address, token.address)
        # the deployments were mined on Anvil's clock, which runs on while the bench works
        t = max(t, chain.latest_timestamp())
        _gas(chain, limiter.functions.addProtectedContract(erc.address), t)
        _gas(chain, limiter.functions.registerAsset(token.address, 7_000, 0), t)
        for v in (plain, erc, vault):  # each vault holds the tokens it transfers out
            _gas(chain, token.functions.setBalance(v.address, TVL), t)
            _gas(chain, v.functions.deposit(TVL), t)
        t += 3600
        # per 5-minute step: a withdrawal opening a new bucket/tick, then one in the same one
        gas: dict[str, list[int]] = {k: [] for k in ("plain", "erc", "il", "plain2", "erc2",
                                                     "il2")}
        for _ in range(N_WITHDRAWALS):
            t += STEP
            for suffix in ("", "2"):
                gas["plain" + suffix].append(_gas(chain, plain.functions.withdraw(AMOUNT), t))
                gas["erc" + suffix].append(_gas(chain, erc.functions.withdraw(AMOUNT), t))
                gas["il" + suffix].append(_gas(chain, vault.functions.withdraw(AMOUNT), t))

        def overhead(name: str, suffix: str) -> list[int]:
            return [g - p for g, p in zip(gas[name + suffix], gas["plain" + suffix],
                                          strict=True)]

        erc_oh, il_oh = overhead("erc", ""), overhead("il", "")
        e_med, i_med = statistics.median(erc_oh), statistics.median(il_oh)
        e_same, i_same = statistics.median(overhead("erc", "2")), statistics.median(
            overhead("il", "2"))
        e_all = statistics.median(erc_oh + overhead("erc", "2"))
        i_all = statistics.median(il_oh + overhead("il", "2"))
        self.rows += [
            ("outflow report, ERC-7265-style limiter (baseline), all 72: median",
             f"{int(e_all):,}", "", "", ""),
            ("outflow report, `recordOutflow`, all 72: median", f"{int(i_all):,}",
             _ratio(i_all, e_all), f"≤ {int(e_all / 2):,}", _met(i_all <= e_all / 2)),
            ("outflow report, ERC-7265-style limiter (baseline), new tick: first / median / max",
             f"{erc_oh[0]:,} / {int(e_med):,} / {max(erc_oh):,}", "", "", ""),
            ("outflow report, `recordOutflow`, new bucket: first / median / max",
             f"{il_oh[0]:,} / {int(i_med):,} / {max(il_oh):,}", _ratio(i_med, e_med), "", ""),
            ("outflow report, ERC-7265-style limiter (baseline), same tick: median",
             f"{int(e_same):,}", "", "", ""),
            ("outflow report, `recordOutflow`, same bucket: median", f"{int(i_same):,}",
             _ratio(i_same, e_same), "", ""),
        ]
        return t

    def _actions(self, dep: Any, t: int) -> None:
        """poke, trip and the two executes, each from the same snapshot (a fresh guard at
        time `t`: the first use of its nonce word and of the paused scope's slot)."""
        p = dep.program
        steps: list[tuple[str, Step]] = []
        onchain = next((b for b in p.breakers if b.onchain and _feed_only(b)), None)
        if onchain is not None:
            feed = next(f for f in p.feeds if f.reference is not None)
            dev = MetricValue(atom=Atom(kind="deviation", target=feed.name), value=5 * 10**16)
            steps.append((f"`poke` firing `{onchain.name}`",
                          Fire(breaker=onchain.name, metrics=(dev,))))
        offchain = next((b for b in p.breakers if not b.onchain), None)
        if offchain is not None:
            steps.append((f"`trip` of `{offchain.name}` by the agent",
                          Fire(breaker=offchain.name)))
        uses: dict[str, Use] = {}  # the 2-of-3 pause, again with contracts approving
        for k in (2, 3):
            power = next((w for w in p.powers if w.kind == "pause" and w.delay == 0
                          and _threshold(p, w.role) == k), None)
            if power is not None:
                members = _members(p, power.role)
                label = f"`execute`, {k}-of-{len(members)} pause of `{power.targets[0]}`"
                steps.append((label, UsePower(power=power.id, targets=(power.targets[0],),
                                              value=3600, signers=tuple(members[:k]))))
                if (k, len(members)) == (2, 3):
                    mask = 1 << p.scope(power.targets[0]).index
                    uses[label] = Use(power.id, mask, 3600, (members[0], members[1], members[2]))
        for label, step in steps:
            snap = self.chain.snapshot()
            driver = ChainDriver(p, dep.harness, dep.guard, t0=t + 10)
            gas = self._row(label, driver.apply(step))
            self.chain.revert(snap)
            if label in uses:
                self._contract_rows(dep, uses[label], label, gas, t + 10)

    def _contract_rows(self, dep: Any, use: Use, label: str, eoa: int, ts: int) -> None:
        """The same `execute` with a Safe signing, and with a Safe or an executor calling
        (bench/gas_contracts.py), beside the all-EOA row."""
        snap = self.chain.snapshot()
        for m in contract_rows(self.chain, dep, use, ts):
            self.rows += [(f"{label}, {m.label} (whole transaction)", f"{m.gas:,}",
                           _ratio(m.gas, eoa), "", ""),
                          (f"… of which {m.inner_label}", f"{m.inner:,}", "", "", "")]
        self.chain.revert(snap)

    def _row(self, label: str, out: Any) -> int:
        if not out.ok:
            raise RuntimeError(f"benchmark step reverted: {label}")
        self.rows.append((label + " (whole transaction)", f"{out.gas_used:,}", "", "", ""))
        return int(out.gas_used)


def _protocol_name(text: str) -> str:
    for line in text.splitlines():
        words = line.split("#")[0].split()
        if len(words) >= 2 and words[0] == "protocol":
            return words[1]
    raise SystemExit("no `protocol` line in the rule file")


def _feed_only(b: Any) -> bool:
    return "deviation" in b.when.model_dump_json()


def _threshold(p: Any, role: str) -> int | None:
    expr = p.role(role).expr
    return int(expr.k) if expr.kind == "threshold" else None


def _members(p: Any, role: str) -> list[str]:
    return [m.name for m in p.role(role).expr.members if m.kind == "signer"]


def _ratio(value: float, baseline: float) -> str:
    return f"{int(baseline):,} ({value / baseline:.0%})"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(rows: list[tuple[str, str, str, str, str]]) -> str:
    head = ("operation", "gas", "baseline", "target", "met")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", type=Path, default=ROOT / "gas.guard")
    args = ap.parse_args(argv)
    with Anvil(timestamp=START) as node:  # EIP-170's 24,576-byte limit applies
        bench = Bench(TestChain(node), args.rules)
        bench.run()
    print(f"Gas on Anvil (prague), solc 0.8.37 optimizer 200 runs; rules: {args.rules.name}\n")
    print(render(bench.rows))
    print("\n" + "\n".join(bench.sizes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
