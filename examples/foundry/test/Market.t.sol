// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {IMarketGuard, MarketAddresses} from "generated/IMarketGuard.sol";
import {Market} from "../src/Market.sol";

/// The cheatcodes these tests use (no forge-std: the example needs nothing but the build).
interface Vm {
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function warp(uint256 timestamp) external;
    function prank(address sender) external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
}

contract MarketTest {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    uint256 private constant T0 = 1_900_000_000;
    address private constant ADMIN = address(0xA11CE);

    Market private market;

    function setUp() public {
        vm.warp(T0);
        Market impl = new Market(ADMIN, MarketAddresses.defaults());
        ERC1967Proxy proxy = new ERC1967Proxy(address(impl), abi.encodeCall(Market.initialize, ()));
        market = Market(address(proxy));
    }

    function _op(uint16 power, uint256 targets, int256 value, uint256 nonce)
        private
        pure
        returns (IMarketGuard.Operation memory)
    {
        return IMarketGuard.Operation(power, targets, value, nonce, T0 + 1 days);
    }

    /// carol (key 3) and alice (key 1), in increasing address order (0x6813... < 0x7E5F...)
    function _sign(IMarketGuard.Operation memory op) private view returns (bytes[] memory sigs) {
        bytes32 digest = market.operationHash(op);
        sigs = new bytes[](2);
        (uint8 v1, bytes32 r1, bytes32 s1) = vm.sign(1, digest);
        (uint8 v3, bytes32 r3, bytes32 s3) = vm.sign(3, digest);
        sigs[0] = abi.encodePacked(r3, s3, v3);
        sigs[1] = abi.encodePacked(r1, s1, v1);
    }

    function test_initialize_sets_the_rule_files_values_in_the_proxy() public view {
        require(market.fee() == 30, "paramValue behind the proxy is the rule file's base");
        require(market.paramBase(0) == 30, "paramBase");
        require(market.isActive(0) && market.isActive(1), "nothing paused at start");
    }

    function test_initialize_runs_once() public {
        vm.expectRevert(bytes4(keccak256("InvalidInitialization()")));
        market.initialize();
    }

    function test_guardian_pauses_trading_behind_the_proxy() public {
        IMarketGuard.Operation memory op = _op(0, 1, 1 hours, 1);
        market.execute(op, _sign(op));
        vm.expectRevert(abi.encodeWithSelector(IMarketGuard.ScopePaused.selector, uint8(0), uint64(T0 + 1 hours)));
        market.trade();
        vm.warp(T0 + 1 hours);
        market.trade();
        require(market.trades() == 1, "trading resumes when the pause ends");
    }

    function test_a_set_stays_within_the_proved_range() public {
        IMarketGuard.Operation memory op = _op(2, 0, 1_000, 2);
        market.execute(op, _sign(op));
        require(market.fee() == 100, "clamped to the power's `within` (the invariant fee_in_range)");
    }

    function test_an_upgrade_keeps_the_guard_state_and_its_nonces() public {
        IMarketGuard.Operation memory op = _op(0, 2, 2 hours, 3);
        bytes[] memory sigs = _sign(op);
        market.execute(op, sigs);
        Market next = new Market(ADMIN, MarketAddresses.defaults());
        vm.prank(ADMIN);
        market.upgradeToAndCall(address(next), "");
        require(!market.isActive(1), "the pause survives the upgrade");
        require(market.nonceUsed(0, 3), "the nonce stays used");
        vm.expectRevert(abi.encodeWithSelector(IMarketGuard.NonceUsed.selector, uint256(3)));
        market.execute(op, sigs);
    }

    /// The invariant `fee_in_range` (`always (fee_bps >= 1 and fee_bps <= 100)`) after an
    /// upgrade: the fee keeps its value, an initializer call in the upgrade cannot reset it, and
    /// a `set` on the new implementation is clamped to the same range.
    function test_the_fee_invariant_holds_after_an_upgrade() public {
        IMarketGuard.Operation memory op = _op(2, 0, 1_000, 10);
        market.execute(op, _sign(op));
        Market next = new Market(ADMIN, MarketAddresses.defaults());
        vm.prank(ADMIN);
        vm.expectRevert(bytes4(keccak256("InvalidInitialization()")));
        market.upgradeToAndCall(address(next), abi.encodeCall(Market.initialize, ()));
        vm.prank(ADMIN);
        market.upgradeToAndCall(address(next), "");
        _requireFeeInRange();
        require(market.fee() == 100 && market.paramBase(0) == 100, "the upgrade keeps the fee");
        op = _op(2, 0, -5, 11);
        market.execute(op, _sign(op));
        _requireFeeInRange();
        require(market.fee() == 1, "clamped to the range by the new implementation");
    }

    function _requireFeeInRange() private view {
        int256 fee = market.fee();
        require(fee >= 1 && fee <= 100, "fee_in_range");
    }

    /// The agent is this network's (here: the test contract itself, known only once deployed):
    /// no address needs predicting, and the signed `rulesHash` binds the addresses chosen.
    function test_addresses_are_chosen_at_deployment() public {
        IMarketGuard.GuardAddresses memory here = MarketAddresses.defaults();
        here.agentWatcher = address(this);
        Market impl = new Market(ADMIN, here);
        Market other = Market(address(new ERC1967Proxy(address(impl), abi.encodeCall(Market.initialize, ()))));
        address[] memory got = other.guardAddresses();
        require(got.length == 4 && got[0] == address(this), "the agent given to the constructor");
        require(other.rulesHash() != market.rulesHash(), "the rules hash binds the addresses");
        here.agentWatcher = here.signerAlice;
        vm.expectRevert(abi.encodeWithSelector(IMarketGuard.InvalidAddress.selector, uint256(1)));
        new Market(ADMIN, here);
    }
}
