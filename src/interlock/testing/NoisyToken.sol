// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {TestToken} from "./TestToken.sol";

/// @notice A TestToken that can fill a block with unrelated `Transfer` logs (bench/monitor.py:
/// the monitor's decisions under log load). Benchmarks only.
contract NoisyToken is TestToken {
    constructor(string memory name_, string memory symbol_, uint8 decimals_)
        TestToken(name_, symbol_, decimals_) {}

    /// @notice `n` transfers of 1 between addresses that are not the vault's.
    function noise(uint256 n) external {
        for (uint256 i = 0; i < n; ++i) {
            emit Transfer(address(uint160(0x1000 + i)), address(uint160(0x2000 + i)), 1);
        }
    }

    /// @notice `n` real transfers of 1 out of `from` (a bank run on a vault: logs the
    /// monitor's outflow rules must fetch and count, not filter away).
    function outOf(address from, uint256 n) external {
        for (uint256 i = 0; i < n; ++i) {
            _move(from, address(uint160(0x3000)), 1);
        }
    }
}
