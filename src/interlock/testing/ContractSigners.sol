// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice Contract signers (EIP-1271) that misbehave, for the guard's attack tests: one that
/// approves anything, one that reverts, one that burns all the gas it gets, one that answers
/// garbage, and one that is a contract without `isValidSignature` at all.
contract YesSigner {
    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        return 0x1626ba7e;
    }
}

contract RevertingSigner {
    error No();

    function isValidSignature(bytes32, bytes calldata) external pure returns (bytes4) {
        revert No();
    }
}

contract GasBurner {
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        uint256 x = gasleft();
        while (gasleft() > 0) x = x * 31 + 7; // until out of gas
        return bytes4(uint32(x));
    }
}

/// @notice Answers 31 bytes, or a wrong 32-byte word: neither is the magic value.
contract GarbageSigner {
    bool public shortAnswer = true;

    function setShort(bool short_) external {
        shortAnswer = short_;
    }

    fallback(bytes calldata) external returns (bytes memory) {
        if (shortAnswer) return hex"1626ba7e000000000000000000000000000000000000000000000000000000";
        return abi.encode(bytes4(0x1626ba7f));
    }
}

/// @notice A contract that holds funds but cannot sign (no EIP-1271, an empty fallback).
contract NoSigner {
    fallback() external payable {}
}

/// @notice A governance executor stand-in: a contract that acts by calling. Its owner (the
/// "governance") has it call `target`; a revert is passed on with its data.
contract Executor {
    address public immutable owner;

    constructor() {
        owner = msg.sender;
    }

    function run(address target, bytes calldata data) external returns (bytes memory out) {
        require(msg.sender == owner, "not owner");
        bool ok;
        (ok, out) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(out, 32), mload(out))
            }
        }
    }
}
