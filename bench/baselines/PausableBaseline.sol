// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Pausable baseline for bench/gas.py
/// @notice A minimal OpenZeppelin-Pausable-style switch: one `bool`, one modifier. The gas
/// overhead of a guarded call is `PausableProtocol.act()` minus `UnguardedProtocol.act()`:
/// one cold SLOAD (2,100 gas) plus a few instructions.
abstract contract MinimalPausable {
    bool private _paused;
    address private immutable _owner;

    error EnforcedPause();
    error NotOwner();

    event Paused(address account);
    event Unpaused(address account);

    constructor() {
        _owner = msg.sender;
    }

    modifier whenNotPaused() {
        if (_paused) revert EnforcedPause();
        _;
    }

    modifier onlyOwner() {
        if (msg.sender != _owner) revert NotOwner();
        _;
    }

    function paused() external view returns (bool) {
        return _paused;
    }

    function pause() external onlyOwner {
        _paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyOwner {
        _paused = false;
        emit Unpaused(msg.sender);
    }
}

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

/// @notice The same function behind `whenNotPaused`.
contract PausableProtocol is MinimalPausable {
    uint256 public counter = 1;

    function act() external whenNotPaused {
        unchecked {
            counter += 1;
        }
    }
}
