// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice A Chainlink-style feed whose answer and updatedAt anyone can set (tests only).
contract TestFeed {
    uint8 public immutable decimals;
    int256 public answer;
    uint256 public updatedAt;
    uint80 public roundId;
    bool public broken; // `latestRoundData` reverts: a failed read (docs/semantics.md)

    constructor(uint8 decimals_, int256 answer_) {
        decimals = decimals_;
        answer = answer_;
        updatedAt = block.timestamp;
        roundId = 1;
    }

    function setAnswer(int256 answer_) external {
        answer = answer_;
        updatedAt = block.timestamp;
        roundId += 1;
    }

    /// @notice A new round with any update time (a chain driver sets `staleness` exactly).
    function set(int256 answer_, uint256 updatedAt_) external {
        answer = answer_;
        updatedAt = updatedAt_;
        roundId += 1;
    }

    /// @notice Break (or mend) the feed: a broken one reverts, as a failed read does.
    function setBroken(bool broken_) external {
        broken = broken_;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        require(!broken, "broken");
        return (roundId, answer, updatedAt, updatedAt, roundId);
    }
}
