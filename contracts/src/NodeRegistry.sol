// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";

/// @title NodeRegistry
/// @notice Holds the nodes' stakes and statuses, and the set of available nodes from which the
/// TaskManager draws 3 per task in O(1) (array + position map, swap-and-pop).
contract NodeRegistry is INodeRegistry, Ownable2Step {
    using SafeERC20 for IERC20;

    /// @dev One slot per node. `position` is the node's index in `_available` and is
    /// meaningful only while `status == Available`.
    struct Node {
        NodeStatus status;
        uint96 stake;
        uint32 position;
        uint32 id;
    }

    uint256 private constant NODES_PER_TASK = 3;

    IERC20 private immutable _token;

    mapping(address node => Node) private _nodes;

    /// @dev Positions `[0, _availableCount)` hold exactly the Available nodes. Positions past
    /// the count keep stale addresses on purpose: overwriting a non-zero slot costs a quarter
    /// of filling an empty one, and the count alone says what is live.
    mapping(uint256 position => address) private _available;

    // Read together on every task start and finish: one slot.
    address private _taskManager;
    uint32 private _availableCount;
    uint32 private _joinedCount;
    uint32 private _maxNodes;

    uint96 private _stakeAmount;
    address private _incentivePool;

    /// @dev Ids are given at a node's first join and never change, so the TaskManager can
    /// store a task's nodes as three 32-bit ids in one slot instead of three addresses.
    uint32 private _lastNodeId;
    mapping(uint256 id => address) private _addressOf;

    modifier onlyTaskManager() {
        if (msg.sender != _taskManager) revert NotTaskManager(msg.sender);
        _;
    }

    /// @param token_ the CNX token
    /// @param owner_ may change the stake amount, node limit and incentive pool, and sets the
    /// TaskManager once
    /// @param incentivePool_ receives slashed stakes (not the owner's own wallet)
    /// @param stakeAmount_ CNX a node stakes to join
    /// @param maxNodes_ the most nodes joined at once
    constructor(IERC20 token_, address owner_, address incentivePool_, uint256 stakeAmount_, uint256 maxNodes_)
        Ownable(owner_)
    {
        if (address(token_) == address(0) || incentivePool_ == address(0)) revert ZeroAddress();
        _token = token_;
        _setStakeAmount(stakeAmount_);
        _setMaxNodes(maxNodes_);
        _setIncentivePool(incentivePool_);
    }

    // ---------------------------------------------------------------- node actions

    /// @inheritdoc INodeRegistry
    function join() external {
        _join();
    }

    /// @inheritdoc INodeRegistry
    function joinWithPermit(uint256 deadline, uint8 v, bytes32 r, bytes32 s) external {
        // A failed permit (e.g. front-run with the same signature) is fine if the allowance is there.
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), _stakeAmount, deadline, v, r, s) {} catch {}
        _join();
    }

    /// @inheritdoc INodeRegistry
    function pause() external {
        Node storage node = _nodes[msg.sender];
        NodeStatus status = node.status;
        if (status == NodeStatus.Available) {
            _removeAvailable(node);
            _setStatus(msg.sender, node, NodeStatus.Paused);
        } else if (status == NodeStatus.Busy) {
            _setStatus(msg.sender, node, NodeStatus.PendingPause);
        } else {
            revert CannotPause(msg.sender, status);
        }
    }

    /// @inheritdoc INodeRegistry
    function resume() external {
        Node storage node = _nodes[msg.sender];
        NodeStatus status = node.status;
        if (status == NodeStatus.Paused) {
            _addAvailable(msg.sender, node);
        } else if (status == NodeStatus.PendingPause) {
            _setStatus(msg.sender, node, NodeStatus.Busy);
        } else {
            revert CannotResume(msg.sender, status);
        }
    }

    /// @inheritdoc INodeRegistry
    function quit() external {
        Node storage node = _nodes[msg.sender];
        NodeStatus status = node.status;
        if (status == NodeStatus.Available) {
            _removeAvailable(node);
            _leave(msg.sender, node);
        } else if (status == NodeStatus.Paused) {
            _leave(msg.sender, node);
        } else if (status == NodeStatus.Busy || status == NodeStatus.PendingPause) {
            _setStatus(msg.sender, node, NodeStatus.PendingQuit);
        } else {
            revert CannotQuit(msg.sender, status);
        }
    }

    // ---------------------------------------------------------------- TaskManager hooks

    /// @inheritdoc INodeRegistry
    function startTask(uint256 randomness)
        external
        onlyTaskManager
        returns (address[3] memory nodes, uint32[3] memory ids)
    {
        uint256 count = _availableCount;
        if (count < NODES_PER_TASK) revert NotEnoughAvailableNodes(count, NODES_PER_TASK);
        // Three independent 80-bit slices of one 256-bit random word; the modulo bias is < 2^-60.
        for (uint256 i = 0; i < NODES_PER_TASK; ++i) {
            (nodes[i], ids[i]) = _draw(uint80(randomness >> (80 * i)), count - i);
        }
        _availableCount = uint32(count - NODES_PER_TASK);
    }

    /// @inheritdoc INodeRegistry
    function finishTask(address account) external onlyTaskManager {
        Node storage node = _nodes[account];
        NodeStatus status = node.status;
        if (status == NodeStatus.Busy) {
            _addAvailable(account, node);
        } else if (status == NodeStatus.PendingPause) {
            _setStatus(account, node, NodeStatus.Paused);
        } else if (status == NodeStatus.PendingQuit) {
            _leave(account, node);
        } else {
            revert NodeNotBusy(account, status);
        }
    }

    /// @inheritdoc INodeRegistry
    function slash(address account) external onlyTaskManager {
        Node storage node = _nodes[account];
        NodeStatus status = node.status;
        if (status != NodeStatus.Busy && status != NodeStatus.PendingPause && status != NodeStatus.PendingQuit) {
            revert NodeNotBusy(account, status);
        }
        uint256 amount = node.stake;
        address pool = _incentivePool;
        node.stake = 0;
        _setStatus(account, node, NodeStatus.Quit);
        _joinedCount -= 1;
        emit NodeSlashed(account, amount, pool);
        _token.safeTransfer(pool, amount);
    }

    // ---------------------------------------------------------------- owner

    /// @notice Sets the TaskManager; possible once, so the owner cannot swap in another later.
    function setTaskManager(address taskManager_) external onlyOwner {
        if (taskManager_ == address(0)) revert ZeroAddress();
        if (_taskManager != address(0)) revert TaskManagerAlreadySet(_taskManager);
        _taskManager = taskManager_;
        emit TaskManagerSet(taskManager_);
    }

    /// @notice Changes the stake for later joins; joined nodes keep (and get back) what they staked.
    function setStakeAmount(uint256 amount) external onlyOwner {
        _setStakeAmount(amount);
    }

    /// @notice Changes the node limit; lowering it below the joined count only stops new joins.
    function setMaxNodes(uint256 limit) external onlyOwner {
        _setMaxNodes(limit);
    }

    /// @notice Changes where slashed stakes go.
    function setIncentivePool(address pool) external onlyOwner {
        if (pool == address(0)) revert ZeroAddress();
        _setIncentivePool(pool);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc INodeRegistry
    function statusOf(address node) external view returns (NodeStatus) {
        return _nodes[node].status;
    }

    /// @inheritdoc INodeRegistry
    function stakeOf(address node) external view returns (uint256) {
        return _nodes[node].stake;
    }

    /// @inheritdoc INodeRegistry
    function availableNodeCount() external view returns (uint256) {
        return _availableCount;
    }

    /// @inheritdoc INodeRegistry
    function availableNodes(uint256 offset, uint256 limit) external view returns (address[] memory nodes) {
        uint256 count = _availableCount;
        uint256 end = offset + limit < count ? offset + limit : count;
        if (offset >= end) return nodes;
        nodes = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            nodes[i - offset] = _available[i];
        }
    }

    /// @inheritdoc INodeRegistry
    function joinedNodeCount() external view returns (uint256) {
        return _joinedCount;
    }

    /// @inheritdoc INodeRegistry
    function stakeAmount() external view returns (uint256) {
        return _stakeAmount;
    }

    /// @inheritdoc INodeRegistry
    function maxNodes() external view returns (uint256) {
        return _maxNodes;
    }

    /// @inheritdoc INodeRegistry
    function incentivePool() external view returns (address) {
        return _incentivePool;
    }

    /// @inheritdoc INodeRegistry
    function taskManager() external view returns (address) {
        return _taskManager;
    }

    /// @inheritdoc INodeRegistry
    function nodeId(address node) external view returns (uint32) {
        return _nodes[node].id;
    }

    /// @inheritdoc INodeRegistry
    function nodeAddress(uint256 id) external view returns (address) {
        return _addressOf[id];
    }

    /// @inheritdoc INodeRegistry
    function token() external view returns (IERC20) {
        return _token;
    }

    // ---------------------------------------------------------------- internals

    function _join() private {
        Node storage node = _nodes[msg.sender];
        if (node.status != NodeStatus.Quit) revert AlreadyJoined(msg.sender, node.status);
        uint32 joined = _joinedCount;
        if (joined >= _maxNodes) revert NetworkFull(_maxNodes);
        uint96 amount = _stakeAmount;
        _pullStake(amount);
        _joinedCount = joined + 1;
        node.stake = amount;
        if (node.id == 0) {
            uint32 id = ++_lastNodeId;
            node.id = id;
            _addressOf[id] = msg.sender;
        }
        emit NodeJoined(msg.sender, amount);
        _addAvailable(msg.sender, node);
    }

    /// @dev Pulls the stake, turning the token's failure into the registry's own error.
    function _pullStake(uint256 amount) private {
        try _token.transferFrom(msg.sender, address(this), amount) returns (bool ok) {
            if (ok) return;
        } catch {}
        uint256 balance = _token.balanceOf(msg.sender);
        if (balance < amount) revert InsufficientStakeBalance(msg.sender, balance, amount);
        revert InsufficientStakeAllowance(msg.sender, _token.allowance(msg.sender, address(this)), amount);
    }

    /// @dev Quit with the stake returned.
    function _leave(address account, Node storage node) private {
        uint256 amount = node.stake;
        node.stake = 0;
        _joinedCount -= 1;
        _setStatus(account, node, NodeStatus.Quit);
        emit StakeReturned(account, amount);
        _token.safeTransfer(account, amount);
    }

    /// @dev Takes the node at a random position out of the first `count` and marks it Busy.
    function _draw(uint256 random, uint256 count) private returns (address chosen, uint32 id) {
        uint256 position = random % count;
        chosen = _available[position];
        uint256 last = count - 1;
        if (position != last) {
            address moved = _available[last];
            _available[position] = moved;
            _nodes[moved].position = uint32(position);
        }
        Node storage node = _nodes[chosen];
        id = node.id;
        _setStatus(chosen, node, NodeStatus.Busy);
    }

    function _addAvailable(address account, Node storage node) private {
        uint32 count = _availableCount;
        _available[count] = account;
        node.position = count;
        _availableCount = count + 1;
        _setStatus(account, node, NodeStatus.Available);
    }

    /// @dev Swap-and-pop; the caller sets the new status.
    function _removeAvailable(Node storage node) private {
        uint32 last = _availableCount - 1;
        uint32 position = node.position;
        if (position != last) {
            address moved = _available[last];
            _available[position] = moved;
            _nodes[moved].position = position;
        }
        _availableCount = last;
    }

    function _setStatus(address account, Node storage node, NodeStatus status) private {
        emit NodeStatusChanged(account, node.status, status);
        node.status = status;
    }

    function _setStakeAmount(uint256 amount) private {
        if (amount == 0 || amount > type(uint96).max) revert InvalidStakeAmount(amount);
        emit StakeAmountUpdated(_stakeAmount, amount);
        _stakeAmount = uint96(amount);
    }

    function _setMaxNodes(uint256 limit) private {
        if (limit < NODES_PER_TASK || limit > type(uint32).max) revert InvalidMaxNodes(limit);
        emit MaxNodesUpdated(_maxNodes, limit);
        _maxNodes = uint32(limit);
    }

    function _setIncentivePool(address pool) private {
        emit IncentivePoolUpdated(_incentivePool, pool);
        _incentivePool = pool;
    }
}
