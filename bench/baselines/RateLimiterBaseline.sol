// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title ERC-7265-style outflow rate limiter, the baseline of bench/gas.py
/// @notice Follows the accounting of the ERC-7265 reference design: per token, a linked list of
/// liquidity changes keyed by tick timestamp, a running sum of the changes inside the
/// withdrawal period (`liqInPeriod`), the settled liquidity before it (`liqTotal`), and a
/// lazy `sync` that folds expired ticks into `liqTotal` when the head is older than the period.
/// An outflow that would leave less than `minLiqRetainedBps` of `liqTotal` trips the limiter.
/// Written for this benchmark (no settlement module, no upgradeability); the storage traffic
/// per recorded flow is the reference design's.
contract Erc7265StyleLimiter {
    uint256 private constant BPS = 10_000;

    struct Node {
        uint256 nextTimestamp;
        int256 amount;
    }

    struct Limiter {
        uint256 minLiqRetainedBps;
        uint256 limitBeginThreshold;
        int256 liqTotal;
        int256 liqInPeriod;
        uint256 listHead;
        uint256 listTail;
        mapping(uint256 tick => Node) nodes;
    }

    uint256 public immutable withdrawalPeriod;
    uint256 public immutable tickLength;
    address public immutable admin;

    mapping(address token => Limiter) private _limiters;
    mapping(address account => bool) public isProtectedContract;
    bool public isRateLimited;

    error NotAdmin();
    error NotProtected();
    error RateLimited();
    error BadThreshold();

    event AssetRegistered(address indexed token, uint256 minLiqRetainedBps, uint256 threshold);
    event AssetRateLimitBreached(address indexed token, uint256 timestamp);

    constructor(uint256 withdrawalPeriod_, uint256 tickLength_) {
        withdrawalPeriod = withdrawalPeriod_;
        tickLength = tickLength_;
        admin = msg.sender;
    }

    modifier onlyProtected() {
        if (!isProtectedContract[msg.sender]) revert NotProtected();
        _;
    }

    function addProtectedContract(address account) external {
        if (msg.sender != admin) revert NotAdmin();
        isProtectedContract[account] = true;
    }

    function registerAsset(address token, uint256 minLiqRetainedBps, uint256 threshold) external {
        if (msg.sender != admin) revert NotAdmin();
        if (minLiqRetainedBps == 0 || minLiqRetainedBps > BPS) revert BadThreshold();
        Limiter storage limiter = _limiters[token];
        limiter.minLiqRetainedBps = minLiqRetainedBps;
        limiter.limitBeginThreshold = threshold;
        emit AssetRegistered(token, minLiqRetainedBps, threshold);
    }

    function onTokenInflow(address token, uint256 amount) external onlyProtected {
        _recordChange(_limiters[token], int256(amount));
    }

    /// @notice Records an outflow; reverts when it breaches the token's limit.
    function onTokenOutflow(address token, uint256 amount) external onlyProtected {
        Limiter storage limiter = _limiters[token];
        _recordChange(limiter, -int256(amount));
        if (_triggered(limiter)) {
            isRateLimited = true;
            emit AssetRateLimitBreached(token, block.timestamp);
            revert RateLimited();
        }
    }

    function liquidity(address token) external view returns (int256 total, int256 inPeriod) {
        Limiter storage limiter = _limiters[token];
        return (limiter.liqTotal, limiter.liqInPeriod);
    }

    function _recordChange(Limiter storage limiter, int256 amount) private {
        if (limiter.minLiqRetainedBps == 0) return;
        uint256 tick = block.timestamp - (block.timestamp % tickLength);
        limiter.liqInPeriod += amount;
        uint256 head = limiter.listHead;
        if (head == 0) {
            limiter.listHead = tick;
            limiter.listTail = tick;
            limiter.nodes[tick] = Node({nextTimestamp: 0, amount: amount});
            return;
        }
        if (block.timestamp - head >= withdrawalPeriod) _sync(limiter);
        uint256 tail = limiter.listTail;
        if (tail == tick) {
            limiter.nodes[tick].amount += amount;
        } else {
            limiter.nodes[tail].nextTimestamp = tick;
            limiter.nodes[tick] = Node({nextTimestamp: 0, amount: amount});
            limiter.listTail = tick;
        }
    }

    /// @dev Folds every tick older than the period into `liqTotal`, deleting its node.
    function _sync(Limiter storage limiter) private {
        uint256 head = limiter.listHead;
        int256 settled = 0;
        while (head != 0 && block.timestamp - head >= withdrawalPeriod) {
            Node storage node = limiter.nodes[head];
            settled += node.amount;
            uint256 next = node.nextTimestamp;
            delete limiter.nodes[head];
            head = next;
        }
        if (head == 0) {
            limiter.listHead = block.timestamp;
            limiter.listTail = block.timestamp;
        } else {
            limiter.listHead = head;
        }
        limiter.liqTotal += settled;
        limiter.liqInPeriod -= settled;
    }

    function _triggered(Limiter storage limiter) private view returns (bool) {
        int256 total = limiter.liqTotal;
        if (total < 0 || limiter.limitBeginThreshold > uint256(total)) return false;
        int256 future = total + limiter.liqInPeriod;
        int256 minimum = (total * int256(limiter.minLiqRetainedBps)) / int256(BPS);
        return future < minimum;
    }
}

interface ITransfer {
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @notice A vault whose `withdraw` does its own bookkeeping and transfers the tokens (the
/// testkit's `TestToken`): the unguarded reference.
contract PlainVault {
    address public immutable token;
    mapping(address account => uint256) public balances;

    constructor(address token_) {
        token = token_;
    }

    function deposit(uint256 amount) external {
        balances[msg.sender] += amount;
    }

    function withdraw(uint256 amount) external {
        balances[msg.sender] -= amount;
        ITransfer(token).transfer(msg.sender, amount);
    }
}

/// @notice The same vault reporting each flow to the ERC-7265-style limiter.
contract Erc7265Vault {
    Erc7265StyleLimiter public immutable limiter;
    address public immutable token;
    mapping(address account => uint256) public balances;

    constructor(Erc7265StyleLimiter limiter_, address token_) {
        limiter = limiter_;
        token = token_;
    }

    function deposit(uint256 amount) external {
        balances[msg.sender] += amount;
        limiter.onTokenInflow(token, amount);
    }

    function withdraw(uint256 amount) external {
        balances[msg.sender] -= amount;
        limiter.onTokenOutflow(token, amount);
        ITransfer(token).transfer(msg.sender, amount);
    }
}
