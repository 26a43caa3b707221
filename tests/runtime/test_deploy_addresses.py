"""`interlock deploy --addresses`: one build, this network's addresses, on Anvil.

The build holds the rule file's addresses (nothing deployed there); the address file names the
stand-ins deployed by the test for chain 31337. The guard is deployed with them (constructor
arguments, immutables), the deployment file records them and the signed `rulesHash`, and the
monitor runs on the recorded program — and refuses to start on a guard whose addresses are not
the ones it was given (`AddressesMismatch`)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from monitor_chain import wait_for
from test_deploy_cli import free_port, health, stand_ins, write_build
from web3 import Web3

from interlock.cli import main
from interlock.compiler import eip712
from interlock.ir.addresses import guard_slots
from interlock.runtime.anvil import DEFAULT_KEYS, Anvil
from interlock.runtime.deploy import find_protocol, recorded_program

pytestmark = [pytest.mark.anvil, pytest.mark.evm]


def _address_file(path: Path, placed: dict[str, str]) -> None:
    lines = ["[31337]"] + [f'"{k}" = "{v}"' for k, v in sorted(placed.items())]
    lines += ["", "[1]", 'USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"']
    path.write_text("\n".join(lines) + "\n")


def test_one_build_deploys_with_this_networks_addresses_and_the_monitor_checks_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    build = tmp_path / "build"
    write_build(build)  # the rule file's addresses: no code on Anvil
    monkeypatch.setenv("DEPLOYER", DEFAULT_KEYS[0])
    with Anvil() as node:
        args = ["deploy", str(build), "--rpc", node.http_url, "--key-env", "DEPLOYER"]
        assert main(args) == 2  # the rule file's token has no code here
        assert "cannot read `decimals()` of asset `USDC`" in capsys.readouterr().err
        placed = stand_ins(node)
        placed["ETH_USD.reference"] = placed.pop("ETH_REF")
        placed["watcher"] = Web3.to_checksum_address("0x" + "9a" * 20)
        addresses = tmp_path / "addresses.toml"
        _address_file(addresses, placed)
        assert main([*args, "--addresses", str(addresses)]) == 0
        out = capsys.readouterr()
        guard = out.out.strip()
        assert "W0816: signer `alice` keeps the rule file's address" in out.err

        record = json.loads((build / "Venue.deployment.json").read_text())["31337"]
        assert {k: record["addresses"][k] for k in placed} == placed
        assert record["address_file"] == str(addresses) and len(record["address_file_sha256"]) == 64
        program = recorded_program(find_protocol(build), guard)
        assert program.asset("USDC").address == placed["USDC"]
        w3 = Web3(Web3.HTTPProvider(node.http_url))
        abi = json.loads((build / "VenueGuard.json").read_text())["abi"]
        onchain = w3.eth.contract(address=Web3.to_checksum_address(guard), abi=abi)
        expected = [s.address for s in guard_slots(program)]
        assert onchain.functions.guardAddresses().call() == expected
        assert "0x" + onchain.functions.rulesHash().call().hex() == record["rules_hash"]
        assert record["rules_hash"] == eip712.rules_hash(program)
        assert onchain.functions.isActive(0).call()

        # the monitor on the recorded program starts: health ok on the deployed addresses
        port = free_port()
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "interlock"), "monitor", str(build), "--rpc",
             node.ws_url, "--dry-run", "--metrics-port", str(port), "--checkpoint",
             str(tmp_path / "ok.sqlite")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: (health(port) or {}).get("status") == "ok", 30, "no health")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, perr = proc.communicate(timeout=20)
        assert proc.returncode == 0, perr.decode()[-2000:]
        assert "addresses_mismatch" not in perr.decode()

        # without the record, the rule file's addresses: the guard has others, no start
        copy = tmp_path / "no_record"
        shutil.copytree(build, copy)
        (copy / "Venue.deployment.json").unlink()
        code = main(["monitor", str(copy), "--rpc", node.http_url, "--dry-run", "--guard", guard,
                     "--checkpoint", str(tmp_path / "m.sqlite")])
        err = capsys.readouterr().err
        assert code == 2, err
        assert f"asset `USDC` is {placed['USDC']} in the guard" in err, err
        assert "interlock deploy --addresses" in err
