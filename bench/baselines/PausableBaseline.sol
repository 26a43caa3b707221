// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title Pausable baseline for bench/gas.py
/// @notice OpenZeppelin Contracts v5's `Pausable` itself (npm `@openzeppelin/contracts`, pinned
/// in package.json, resolved from node_modules by interlock.compiler.solc_imports). The gas
/// overhead of a guarded call is `PausableProtocol.act()` minus `UnguardedProtocol.act()`.
/// @notice The protocol function every scope-check benchmark wraps: one warm-after-first
/// storage increment (the counter starts non-zero so no call pays the zero-to-non-zero price).
contract UnguardedProtocol {
    uint256 public counter = 1;

    function act() external {
        unchecked {
            counter += 1;
        }
    }
}

/// @notice The same function behind OpenZeppelin's `whenNotPaused`.
contract PausableProtocol is Pausable {
    uint256 public counter = 1;

    function act() external whenNotPaused {
        unchecked {
            counter += 1;
        }
    }
}
