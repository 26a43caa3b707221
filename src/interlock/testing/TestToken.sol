// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice A minimal ERC-20 with an open `mint` and `setBalance`, for tests and demos only.
contract TestToken {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) private _balances;
    mapping(address => mapping(address => uint256)) public allowance;
    bool public broken; // `balanceOf` reverts: a failed read (docs/semantics.md)

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    function balanceOf(address account) external view returns (uint256) {
        require(!broken, "broken");
        return _balances[account];
    }

    /// @notice Break (or mend) `balanceOf`: a broken one reverts, as a failed read does.
    function setBroken(bool broken_) external {
        broken = broken_;
    }

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        _balances[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Sets `account`'s balance, emitting the mint or burn transfer (a chain driver
    /// makes a vault's balance, the guard's `tvl`, exactly what a step needs).
    function setBalance(address account, uint256 amount) external {
        uint256 old = _balances[account];
        _balances[account] = amount;
        if (amount >= old) {
            totalSupply += amount - old;
            emit Transfer(address(0), account, amount - old);
        } else {
            totalSupply -= old - amount;
            emit Transfer(account, address(0), old - amount);
        }
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) internal {
        _balances[from] -= amount;
        _balances[to] += amount;
        emit Transfer(from, to, amount);
    }
}
