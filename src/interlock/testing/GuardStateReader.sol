// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

// Reads every state variable of a guard in one `eth_call`, through the guard interface of
// docs/semantics.md only (no storage-layout assumptions): the chain driver's `GuardView`.

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
