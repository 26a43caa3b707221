// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice An ERC-20 whose `balanceOf` tries to re-enter the guard (`poke(ruleId)`) while the
/// guard reads it. When the re-entry succeeds it reverts with `Reentered`, so a guard that lets
/// it through fails the outer call: the tests assert the outer call succeeds. With `bubble`
/// set, a failed re-entry's revert data is re-thrown, so the tests can see why it failed.
contract ReentrantToken {
    mapping(address => uint256) private _balances;
    address public guard;
    uint256 public ruleId;
    bool public armed;
    bool public bubble;

    error Reentered();

    function setTarget(address guard_, uint256 ruleId_, bool armed_) external {
        guard = guard_;
        ruleId = ruleId_;
        armed = armed_;
    }

    function setBubble(bool bubble_) external {
        bubble = bubble_;
    }

    function setBalance(address account, uint256 amount) external {
        _balances[account] = amount;
    }

    /// @dev Not `view` on purpose: it attempts a state-changing call into the guard.
    function balanceOf(address account) external returns (uint256) {
        if (armed) {
            (bool ok, bytes memory data) = guard.call(abi.encodeWithSignature("poke(uint256)", ruleId));
            if (ok) revert Reentered();
            if (bubble) _rethrow(data);
        }
        return _balances[account];
    }
}

/// @notice A Chainlink-style feed whose `latestRoundData` tries to re-enter the guard.
contract ReentrantFeed {
    int256 public answer;
    address public guard;
    uint256 public ruleId;
    bool public armed;

    error Reentered();

    constructor(int256 answer_) {
        answer = answer_;
    }

    function setTarget(address guard_, uint256 ruleId_, bool armed_) external {
        guard = guard_;
        ruleId = ruleId_;
        armed = armed_;
    }

    function setAnswer(int256 answer_) external {
        answer = answer_;
    }

    function latestRoundData() external returns (uint80, int256, uint256, uint256, uint80) {
        if (armed) {
            (bool ok,) = guard.call(abi.encodeWithSignature("poke(uint256)", ruleId));
            if (ok) revert Reentered();
        }
        return (1, answer, block.timestamp, block.timestamp, 1);
    }
}

function _rethrow(bytes memory data) pure {
    assembly ("memory-safe") {
        revert(add(data, 32), mload(data))
    }
}
