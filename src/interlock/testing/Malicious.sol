// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice What both re-entrant stand-ins share: the guard and rule they re-enter
/// (`poke(ruleId)`) and whether they try. A re-entry that succeeds reverts with `Reentered`, so
/// a guard that lets it through fails the outer call: the tests assert the outer call succeeds.
abstract contract Reentrant {
    address public guard;
    uint256 public ruleId;
    bool public armed;

    error Reentered();

    function setTarget(address guard_, uint256 ruleId_, bool armed_) external {
        guard = guard_;
        ruleId = ruleId_;
        armed = armed_;
    }

    /// @dev When armed, tries the re-entry: (whether it was tried and refused, the revert data).
    function _reenter() internal returns (bool refused, bytes memory data) {
        if (!armed) return (false, data);
        bool ok;
        (ok, data) = guard.call(abi.encodeWithSignature("poke(uint256)", ruleId));
        if (ok) revert Reentered();
        return (true, data);
    }
}

/// @notice An ERC-20 whose `balanceOf` tries to re-enter the guard while the guard reads it.
/// With `bubble` set, a refused re-entry's revert data is re-thrown, so the tests can see why
/// it was refused.
contract ReentrantToken is Reentrant {
    uint8 public constant decimals = 6;
    mapping(address => uint256) private _balances;
    bool public bubble;

    function setBubble(bool bubble_) external {
        bubble = bubble_;
    }

    function setBalance(address account, uint256 amount) external {
        _balances[account] = amount;
    }

    /// @dev Not `view` on purpose: it attempts a state-changing call into the guard.
    function balanceOf(address account) external returns (uint256) {
        (bool refused, bytes memory data) = _reenter();
        if (refused && bubble) _rethrow(data);
        return _balances[account];
    }
}

/// @notice A Chainlink-style feed whose `latestRoundData` tries to re-enter the guard.
contract ReentrantFeed is Reentrant {
    uint8 public constant decimals = 8;
    int256 public answer;

    constructor(int256 answer_) {
        answer = answer_;
    }

    function setAnswer(int256 answer_) external {
        answer = answer_;
    }

    function latestRoundData() external returns (uint80, int256, uint256, uint256, uint80) {
        _reenter();
        return (1, answer, block.timestamp, block.timestamp, 1);
    }
}

function _rethrow(bytes memory data) pure {
    assembly ("memory-safe") {
        revert(add(data, 32), mload(data))
    }
}
