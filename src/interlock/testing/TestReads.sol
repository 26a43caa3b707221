// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice A debt token whose `totalSupply` a custom state read watches (`read debt = call ...
/// "totalSupply()(uint256)"`), with the ways such a read can fail, for tests only.
contract TestDebtToken {
    uint256 public supply;
    mapping(address => uint256) public debtOf;
    // 0: answers; 1: reverts; 2: returns nothing; 3: returns 3 bytes; 4: burns all its gas
    uint8 public mode;

    function setSupply(uint256 supply_) external {
        supply = supply_;
    }

    function setDebt(address account, uint256 amount) external {
        debtOf[account] = amount;
    }

    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    function totalSupply() external view returns (uint256) {
        _misbehave();
        return supply;
    }

    function balanceOf(address account) external view returns (uint256) {
        _misbehave();
        return debtOf[account];
    }

    function _misbehave() private view {
        uint8 m = mode;
        if (m == 1) revert("broken");
        if (m == 2) {
            assembly { return(0, 0) }
        }
        if (m == 3) {
            assembly {
                mstore(0, 0xdeadbe)
                return(29, 3)
            }
        }
        if (m == 4) {
            while (true) {}
        }
    }
}
