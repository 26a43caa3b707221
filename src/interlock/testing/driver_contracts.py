"""Solidity the chain driver deploys around a guard: metric sources and a state reader.

- `DriverToken`: an ERC-20 whose balances the driver sets directly (`tvl` is its balance of
  the vaults);
- `DriverFeed`: a Chainlink-style feed (`latestRoundData`) whose answer and `updatedAt` the
  driver sets (`price`, `deviation`, `staleness`);
- `DriverVault`: a vault that reports flows to the guard (`recordOutflow`/`recordInflow`);
- `GuardStateReader`: reads every state variable of a guard in one `eth_call`, through the
  guard interface of docs/semantics.md only (no storage-layout assumptions).

They are driver plumbing, not protocol code: every setter is open to anyone.
"""

from __future__ import annotations

DRIVER_SOURCES: dict[str, str] = {
    "DriverContracts.sol": r"""// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @notice ERC-20 with directly settable balances (test plumbing for `tvl`).
contract DriverToken {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address account => uint256) public balanceOf;
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    /// @notice Sets `account`'s balance, emitting the mint or burn transfer.
    function setBalance(address account, uint256 amount) external {
        uint256 old = balanceOf[account];
        balanceOf[account] = amount;
        if (amount >= old) {
            totalSupply += amount - old;
            emit Transfer(address(0), account, amount - old);
        } else {
            totalSupply -= old - amount;
            emit Transfer(account, address(0), old - amount);
        }
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        emit Transfer(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        return true;
    }
}

/// @notice Chainlink-style aggregator with a settable answer and update time.
contract DriverFeed {
    uint8 public immutable decimals;
    uint80 private _round;
    int256 private _answer;
    uint256 private _updatedAt;

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    function set(int256 answer, uint256 updatedAt) external {
        _round += 1;
        _answer = answer;
        _updatedAt = updatedAt;
    }

    function latestRoundData()
        external
        view
        returns (
            uint80 roundId,
            int256 answer,
            uint256 startedAt,
            uint256 updatedAt,
            uint80 answeredInRound
        )
    {
        return (_round, _answer, _updatedAt, _updatedAt, _round);
    }
}

interface IFlowGuard {
    function recordOutflow(address asset, uint256 amount) external;
    function recordInflow(address asset, uint256 amount) external;
}

/// @notice A vault that reports flows to its guard (set once after the guard is deployed).
contract DriverVault {
    IFlowGuard public guard;

    function setGuard(IFlowGuard guard_) external {
        require(address(guard) == address(0), "guard already set");
        guard = guard_;
    }

    function reportOutflow(address asset, uint256 amount) external {
        guard.recordOutflow(asset, amount);
    }

    function reportInflow(address asset, uint256 amount) external {
        guard.recordInflow(asset, amount);
    }
}

interface IReadableGuard {
    function pausedUntil(uint8 scope) external view returns (uint64);
    function pausedSince(uint8 scope) external view returns (uint64);
    function suspendedUntil(uint8 feed) external view returns (uint64);
    function paramBase(uint8 param) external view returns (int256);
    function paramValue(uint8 param) external view returns (int256);
    function firedUntil(uint256 ruleId) external view returns (uint64);
    function blockedUntil(address sender, uint8 scope) external view returns (uint64);
}

/// @notice Reads a guard's whole observable state in one call.
contract GuardStateReader {
    struct Snapshot {
        uint256 timestamp;
        uint64[] pausedUntil;
        uint64[] pausedSince;
        uint64[] suspendedUntil;
        int256[] paramBase;
        int256[] paramValue;
        uint64[] firedUntil;
    }

    function read(IReadableGuard g, uint8 scopes, uint8 feeds, uint8 params, uint256 rules)
        external
        view
        returns (Snapshot memory s)
    {
        s.timestamp = block.timestamp;
        s.pausedUntil = new uint64[](scopes);
        s.pausedSince = new uint64[](scopes);
        for (uint8 i = 0; i < scopes; ++i) {
            s.pausedUntil[i] = g.pausedUntil(i);
            s.pausedSince[i] = g.pausedSince(i);
        }
        s.suspendedUntil = new uint64[](feeds);
        for (uint8 i = 0; i < feeds; ++i) s.suspendedUntil[i] = g.suspendedUntil(i);
        s.paramBase = new int256[](params);
        s.paramValue = new int256[](params);
        for (uint8 i = 0; i < params; ++i) {
            s.paramBase[i] = g.paramBase(i);
            s.paramValue[i] = g.paramValue(i);
        }
        s.firedUntil = new uint64[](rules);
        for (uint256 i = 0; i < rules; ++i) s.firedUntil[i] = g.firedUntil(i);
    }

    /// @notice `blockedUntil` of each sender for each scope, sender-major.
    function readBlocked(IReadableGuard g, address[] calldata senders, uint8 scopes)
        external
        view
        returns (uint64[] memory out)
    {
        out = new uint64[](senders.length * scopes);
        for (uint256 i = 0; i < senders.length; ++i) {
            for (uint8 j = 0; j < scopes; ++j) {
                out[i * scopes + j] = g.blockedUntil(senders[i], j);
            }
        }
    }
}
""",
}
