// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {MarketGuarded} from "generated/MarketGuarded.sol";
import {IMarketGuard} from "generated/IMarketGuard.sol";

/// @notice A market behind an ERC-1967 proxy that inherits its guard: the guard's state is in
/// the proxy's storage (ERC-7201 namespace `interlock.storage.Guard`), `initialize` sets what the
/// guard's constructor sets, and `whenActive` is one storage read. The guard's addresses (signers,
/// the agent) are this network's, given to the implementation's constructor: immutables in its
/// code, which the proxy runs; nobody can change them but an upgrade to a new implementation.
contract Market is Initializable, UUPSUpgradeable, MarketGuarded {
    address public immutable admin;
    uint256 public trades;

    constructor(address admin_, IMarketGuard.GuardAddresses memory addresses)
        MarketGuarded(addresses)
        EIP712("MarketGuard", "1")
    {
        admin = admin_;
        _disableInitializers();
    }

    function initialize() external initializer {
        _initializeGuard();
    }

    function trade() external whenActive(SCOPE_TRADING) {
        trades += 1;
    }

    /// @notice The fee the guard's `set` power and breakers govern.
    function fee() external view returns (int256) {
        return _paramValue(PARAM_FEE_BPS);
    }

    function _authorizeUpgrade(address) internal view override {
        require(msg.sender == admin, "not admin");
    }
}
