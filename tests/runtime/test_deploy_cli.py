"""`interlock deploy` and `interlock monitor` on a build directory, against Anvil."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from monitor_chain import wait_for
from monitor_kit import venue_program
from web3 import Web3

from interlock.cli import main
from interlock.compiler.monitor_gen import emit_monitor
from interlock.compiler.solc import compile_sources
from interlock.compiler.solidity import emit_solidity
from interlock.runtime.anvil import DEFAULT_KEYS, Anvil
from interlock.testing.contracts import compile_testkit, deploy_compiled

pytestmark = [pytest.mark.anvil, pytest.mark.evm]


def write_build(out: Path, addresses: dict[str, str] | None = None,
                violated: tuple[str, ...] = ()) -> None:
    """What `interlock build` writes for the venue (the parts deploy and monitor read); the
    proof report has the `violated` properties (a `build --force`)."""
    program = venue_program(addresses)
    out.mkdir(parents=True, exist_ok=True)
    (out / "Venue.ir.json").write_text(program.model_dump_json())
    properties = [{"name": n, "status": "violated"} for n in violated]
    (out / "Venue.proofs.json").write_text(json.dumps({
        "properties": properties, "summary": {"proved": 0, "violated": len(violated),
                                              "unknown": 0, "errors": 0}}))
    guard = compile_sources(emit_solidity(program)).contract("VenueGuard")
    (out / "VenueGuard.json").write_text(json.dumps({
        "abi": guard.abi, "bytecode": guard.bytecode,
        "codeFingerprint": guard.fingerprint.to_json()}))
    for name, text in emit_monitor(program, guard.fingerprint).items():
        (out / name).write_text(text)


def stand_ins(node: Anvil, vault: bool = True) -> dict[str, str]:
    """The venue's token, vault and feeds on `node` (deploy checks their code and
    `decimals()`)."""
    w3, kit = Web3(Web3.HTTPProvider(node.http_url)), compile_testkit()
    token = deploy_compiled(w3, kit, "TestToken", "USD Coin", "USDC", 6)
    feed = deploy_compiled(w3, kit, "TestFeed", 8, 2000 * 10**8)
    ref = deploy_compiled(w3, kit, "TestFeed", 8, 2000 * 10**8)
    out = {"USDC": token.address, "ETH_USD": feed.address, "ETH_REF": ref.address}
    if vault:
        out["pool"] = deploy_compiled(w3, kit, "TestVault", token.address, 0, 1).address
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def health(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
            return dict(json.loads(r.read()))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read()))
    except OSError:
        return None


def test_deploy_records_the_guard_and_monitor_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build = tmp_path / "build"
    with Anvil() as node:
        write_build(build, stand_ins(node))
        monkeypatch.setenv("DEPLOYER", DEFAULT_KEYS[0])
        assert main(["deploy", str(build), "--rpc", node.http_url, "--key-env", "DEPLOYER"]) == 0
        address = capsys.readouterr().out.strip()
        w3 = Web3(Web3.HTTPProvider(node.http_url))
        assert len(w3.eth.get_code(Web3.to_checksum_address(address))) > 1000
        record = json.loads((build / "Venue.deployment.json").read_text())
        assert record["31337"]["address"] == address
        artifact = json.loads((build / "VenueGuard.json").read_text())
        assert record["31337"]["code_hash"] == artifact["codeFingerprint"]["hash"]

        port = free_port()
        env = {**os.environ, "INTERLOCK_AGENT_KEY": DEFAULT_KEYS[1]}
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "interlock"), "monitor", str(build),
             "--rpc", node.ws_url, "--metrics-port", str(port),
             "--checkpoint", str(tmp_path / "m.sqlite")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        try:
            wait_for(lambda: (health(port) or {}).get("status") == "ok", 30, "no health")
            node.rpc("evm_mine")
            wait_for(lambda: (health(port) or {}).get("last_block") == w3.eth.block_number, 10)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                metrics = r.read().decode()
            assert "interlock_blocks_processed_total" in metrics
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert '"event": "connected"' in err.decode()
        # the rule file's agent is 0x6666…: a key of another address is reported at start
        assert '"event": "key_not_agent"' in err.decode()


def test_bad_build_dirs_and_options_exit_2(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", str(tmp_path / "nope"), "--rpc", "http://127.0.0.1:1"]) == 2
    assert "is not a directory" in capsys.readouterr().err
    write_build(tmp_path / "b")
    assert main(["monitor", str(tmp_path / "b"), "--rpc", "http://127.0.0.1:1"]) == 2
    assert "no --guard given" in capsys.readouterr().err
    assert main(["monitor", str(tmp_path / "b"), "--rpc", "ftp://x", "--guard",
                 "0x" + "11" * 20]) == 2
    assert "not an http" in capsys.readouterr().err
    assert main(["deploy", str(tmp_path / "b"), "--rpc", "http://127.0.0.1:1",
                 "--key-env", "NO_SUCH_VAR_X"]) == 2
    assert "is not set" in capsys.readouterr().err


def test_monitor_refuses_an_address_without_a_guard_or_with_other_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_build(tmp_path / "b")
    with Anvil() as node:
        code = main(["monitor", str(tmp_path / "b"), "--rpc", node.http_url, "--dry-run",
                     "--guard", "0x" + "12" * 20, "--checkpoint", str(tmp_path / "m.sqlite")])
        assert code == 2
        assert "no contract at the guard address" in capsys.readouterr().err
        token = stand_ins(node, vault=False)["USDC"]  # code, but not the guard's
        proc = subprocess.run(  # the generated module on its own: the build's code embedded
            [sys.executable, str(tmp_path / "b" / "venue_monitor.py"), "--rpc", node.http_url,
             "--dry-run", "--guard", token, "--checkpoint", str(tmp_path / "m2.sqlite")],
            capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"error: the code at the guard address {token} is not this build's guard" in (
        proc.stderr)
    assert "Traceback" not in proc.stderr


def test_monitor_refuses_a_node_of_another_chain_than_the_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`interlock monitor BUILD` and the generated module's `--deployment FILE` compare the
    node's chain id with the one `interlock deploy` recorded, before anything else."""
    from interlock.runtime.entry import main as module_main

    build = tmp_path / "build"
    with Anvil() as node, Anvil(chain_id=4242) as other:
        write_build(build, stand_ins(node))
        monkeypatch.setenv("DEPLOYER", DEFAULT_KEYS[0])
        assert main(["deploy", str(build), "--rpc", node.http_url, "--key-env", "DEPLOYER"]) == 0
        guard = capsys.readouterr().out.strip()
        record = build / "Venue.deployment.json"
        why = (f"error: the node is on chain 4242, `{record}` has the guard {guard} deployed "
               f"on chain 31337: point --rpc at a node of chain 31337")
        code = main(["monitor", str(build), "--rpc", other.ws_url, "--dry-run",
                     "--checkpoint", str(tmp_path / "m.sqlite")])
        err = capsys.readouterr().err
        assert code == 2 and why in err and "Traceback" not in err, err
        args = ["--rpc", other.http_url, "--guard", guard, "--dry-run", "--deployment",
                str(record), "--checkpoint", str(tmp_path / "m2.sqlite")]
        code = module_main(venue_program(), args)
        err = capsys.readouterr().err
        assert code == 2 and why in err and "Traceback" not in err, err


def test_deploy_refuses_violated_builds_and_addresses_without_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEPLOYER", DEFAULT_KEYS[0])
    with Anvil() as node:
        def deploy(build: Path, *extra: str) -> tuple[int, str]:
            code = main(["deploy", str(build), "--rpc", node.http_url, "--key-env", "DEPLOYER",
                         *extra])
            return code, capsys.readouterr().err

        no_vault = tmp_path / "no_vault"
        write_build(no_vault, stand_ins(node, vault=False))  # `pool` is 0x7777…: no code
        code, err = deploy(no_vault)
        assert code == 2 and "no code on chain 31337 at vault `pool`" in err, err
        assert not (no_vault / "Venue.deployment.json").exists()
        code, err = deploy(no_vault, "--force")
        assert code == 0 and "warning: no code on chain 31337 at vault `pool`" in err, err

        forced = tmp_path / "forced"
        write_build(forced, stand_ins(node), violated=("withdrawals_escape",))
        code, err = deploy(forced)
        assert code == 2 and "violated properties: withdrawals_escape" in err, err
        assert "--force deploys anyway" in err
        code, err = deploy(forced, "--force")
        assert code == 0 and "warning: the build's proof report shows violated" in err, err


def test_deploy_warns_about_a_signer_that_cannot_sign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A contract without EIP-1271 declared as a signer is warned about; a Safe is not."""
    from eth_account import Account

    from interlock.testing.safe import deploy_safe

    build = tmp_path / "build"
    with Anvil() as node:
        w3, kit = Web3(Web3.HTTPProvider(node.http_url)), compile_testkit()
        safe = deploy_safe(w3, [Account.from_key(DEFAULT_KEYS[2]).address], 1)
        holder = deploy_compiled(w3, kit, "NoSigner")  # funds, an empty fallback, no key
        write_build(build, {**stand_ins(node), "bob": safe.address, "carol": holder.address})
        monkeypatch.setenv("DEPLOYER", DEFAULT_KEYS[0])
        assert main(["deploy", str(build), "--rpc", node.http_url, "--key-env", "DEPLOYER"]) == 0
    err = capsys.readouterr().err
    assert f"warning: signer `carol` at {holder.address} is a contract without EIP-1271" in err
    assert "it cannot sign; it can still approve by calling `execute` or `queue` itself" in err
    assert "`bob`" not in err and "`alice`" not in err
    record = json.loads((build / "Venue.deployment.json").read_text())
    assert len(record["31337"]["warnings"]) == 1


@pytest.mark.parametrize(("code", "answer", "reverted", "cannot"), [
    ("0x", None, None, False),  # an EOA (or nothing deployed yet)
    ("0xef0100" + "11" * 20, None, "", False),  # an EIP-7702 account keeps its key
    ("0x6080", "0x" + "00" * 32, None, False),  # answers a word: has the function
    ("0x6080", None, "0x08c379a0" + "00" * 64, False),  # a Safe: "Hash not approved"
    ("0x6080", "0x", None, True),  # an empty fallback
    ("0x6080", None, "", True),  # no function, no fallback
])
def test_which_contracts_cannot_sign(code: str, answer: str | None, reverted: str | None,
                                     cannot: bool) -> None:
    from interlock.runtime.signer_probe import cannot_sign

    assert cannot_sign(code, answer, reverted) is cannot
