// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice An ERC-20 whose `balanceOf` tries to re-enter the guard (`poke(ruleId)`) while the
/// guard reads it. When the re-entry succeeds it reverts with `Reentered`, so a guard that lets
/// it through fails the outer call: the tests assert the outer call succeeds.
contract ReentrantToken {
    mapping(address => uint256) private _balances;
    address public guard;
    uint256 public ruleId;
    bool public armed;

    error Reentered();

    function setTarget(address guard_, uint256 ruleId_, bool armed_) external {
        guard = guard_;
        ruleId = ruleId_;
        armed = armed_;
    }

    function setBalance(address account, uint256 amount) external {
        _balances[account] = amount;
    }

    /// @dev Not `view` on purpose: it attempts a state-changing call into the guard.
    function balanceOf(address account) external returns (uint256) {
        if (armed) {
            (bool ok,) = guard.call(abi.encodeWithSignature("poke(uint256)", ruleId));
            if (ok) revert Reentered();
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
