// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

interface IFlowGuard {
    function requireActive(uint8 scope) external view;
    function requireActiveFor(uint8 scope, address sender) external view;
    function recordOutflow(address asset, uint256 amount) external returns (bool);
    function recordOutflowTo(address asset, uint256 amount, address recipient)
        external
        returns (bool ok, uint256 holdId);
    function claimHold(uint256 holdId) external returns (address recipient, address asset, uint256 amount);
    function recordInflow(address asset, uint256 amount) external returns (bool);
}

interface IToken {
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// @notice A vault that reports its flows to the guard. A flow the guard refuses (it tripped a
/// breaker) is skipped without reverting, so the breaker's pause persists. `reportOutflow` /
/// `reportInflow` report a flow of any asset without moving tokens, for a chain driver that sets
/// balances itself; `reportOutflowTo` reports one that a `hold flow` rule may hold. A held
/// withdrawal moves no tokens here (`Held`): the escrow and claim are the reference vault's.
contract TestVault {
    IFlowGuard public guard;
    IToken public immutable token;
    address public immutable owner;
    uint8 public immutable depositScope;
    uint8 public immutable withdrawScope;

    event Deposited(address indexed user, uint256 amount);
    event Withdrawn(address indexed user, uint256 amount);
    event FlowRefused(address indexed user, uint256 amount, bool outflow);
    event Held(address indexed user, uint256 amount, uint256 holdId);

    error GuardAlreadySet();
    error NotOwner();

    constructor(address token_, uint8 depositScope_, uint8 withdrawScope_) {
        token = IToken(token_);
        owner = msg.sender;
        depositScope = depositScope_;
        withdrawScope = withdrawScope_;
    }

    /// @notice Set once: the guard is generated with this vault's address in it.
    function setGuard(address guard_) external {
        if (msg.sender != owner) revert NotOwner();
        if (address(guard) != address(0)) revert GuardAlreadySet();
        guard = IFlowGuard(guard_);
    }

    function deposit(uint256 amount) external returns (bool) {
        guard.requireActive(depositScope);
        if (!guard.recordInflow(address(token), amount)) {
            emit FlowRefused(msg.sender, amount, false);
            return false;
        }
        token.transferFrom(msg.sender, address(this), amount);
        emit Deposited(msg.sender, amount);
        return true;
    }

    function withdraw(uint256 amount) external returns (bool) {
        guard.requireActive(withdrawScope);
        (bool ok, uint256 holdId) = guard.recordOutflowTo(address(token), amount, msg.sender);
        if (!ok) {
            emit FlowRefused(msg.sender, amount, true);
            return false;
        }
        if (holdId != 0) {
            emit Held(msg.sender, amount, holdId);
            return true;
        }
        token.transfer(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
        return true;
    }

    function reportOutflow(address asset, uint256 amount) external returns (bool) {
        return guard.recordOutflow(asset, amount);
    }

    function reportOutflowTo(address asset, uint256 amount, address recipient)
        external
        returns (bool ok, uint256 holdId)
    {
        return guard.recordOutflowTo(asset, amount, recipient);
    }

    function reportInflow(address asset, uint256 amount) external returns (bool) {
        return guard.recordInflow(asset, amount);
    }
}

/// @notice A vault that holds several tokens, as a bridge's escrow does: each flow names its
/// token, and the scope check names the caller (`requireActiveFor`), so a `block sender` effect
/// stops that sender. Like `TestVault`, a flow the guard refuses is skipped without reverting.
/// A held release moves nothing until `claim` pays it (the guard says to whom, what and how much).
contract TestEscrow {
    IFlowGuard public guard;
    address public immutable owner;
    uint8 public immutable depositScope;
    uint8 public immutable withdrawScope;

    event Moved(address indexed token, address indexed user, uint256 amount, bool outflow);
    event FlowRefused(address indexed user, uint256 amount, bool outflow);
    event Held(address indexed user, uint256 amount, uint256 holdId);

    error GuardAlreadySet();
    error NotOwner();

    constructor(uint8 depositScope_, uint8 withdrawScope_) {
        owner = msg.sender;
        depositScope = depositScope_;
        withdrawScope = withdrawScope_;
    }

    /// @notice Set once: the guard is generated with this escrow's address in it.
    function setGuard(address guard_) external {
        if (msg.sender != owner) revert NotOwner();
        if (address(guard) != address(0)) revert GuardAlreadySet();
        guard = IFlowGuard(guard_);
    }

    function deposit(address token, uint256 amount) external returns (bool) {
        return _flow(token, amount, false);
    }

    function withdraw(address token, uint256 amount) external returns (bool) {
        return _flow(token, amount, true);
    }

    /// @notice Pays held release `holdId` once its delay has passed (anyone may call); the
    /// guard marks it claimed first, so a second claim reverts there.
    function claim(uint256 holdId) external {
        guard.requireActive(withdrawScope);
        (address recipient, address asset, uint256 amount) = guard.claimHold(holdId);
        IToken(asset).transfer(recipient, amount);
    }

    function _flow(address token, uint256 amount, bool outflow) private returns (bool) {
        guard.requireActiveFor(outflow ? withdrawScope : depositScope, msg.sender);
        bool ok;
        uint256 holdId;
        if (outflow) (ok, holdId) = guard.recordOutflowTo(token, amount, msg.sender);
        else ok = guard.recordInflow(token, amount);
        if (!ok) {
            emit FlowRefused(msg.sender, amount, outflow);
            return false;
        }
        if (holdId != 0) {
            emit Held(msg.sender, amount, holdId);
            return true;
        }
        if (outflow) {
            IToken(token).transfer(msg.sender, amount);
        } else {
            IToken(token).transferFrom(msg.sender, address(this), amount);
        }
        emit Moved(token, msg.sender, amount, outflow);
        return true;
    }
}
