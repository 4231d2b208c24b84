// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title Hydrogen node registry
/// @notice Nodes stake CNX to join the network; the TaskManager draws 3 available nodes per
/// task, frees them when their part of the task is settled and slashes cheaters.
interface INodeRegistry {
    /// @notice A node's status. `Quit` is the default (never joined, quit, or slashed).
    enum NodeStatus {
        Quit,
        Available,
        Busy,
        Paused,
        PendingPause,
        PendingQuit
    }

    /// @notice A node changed status (every transition emits exactly one of these).
    /// @param node the node's address
    /// @param previous the status before the change
    /// @param current the status after the change
    event NodeStatusChanged(address indexed node, NodeStatus previous, NodeStatus current);

    /// @notice A node staked `amount` CNX and joined.
    event NodeJoined(address indexed node, uint256 amount);

    /// @notice A node's stake was returned to it (on quit, or when a pending quit completes).
    event StakeReturned(address indexed node, uint256 amount);

    /// @notice A node's whole stake went to the incentive pool and the node was removed.
    event NodeSlashed(address indexed node, uint256 amount, address indexed incentivePool);

    /// @notice The TaskManager allowed to start, finish and slash was set (once).
    event TaskManagerSet(address indexed taskManager);

    /// @notice The stake required to join changed (applies to later joins only).
    event StakeAmountUpdated(uint256 previous, uint256 current);

    /// @notice The maximum number of joined nodes changed.
    event MaxNodesUpdated(uint256 previous, uint256 current);

    /// @notice The address that receives slashed stakes changed.
    event IncentivePoolUpdated(address indexed previous, address indexed current);

    /// @notice `node` tried to join while its status is `status` (not `Quit`).
    error AlreadyJoined(address node, NodeStatus status);

    /// @notice The network already has `maxNodes` joined nodes.
    error NetworkFull(uint256 maxNodes);

    /// @notice `node` holds `balance` CNX, less than the `required` stake.
    error InsufficientStakeBalance(address node, uint256 balance, uint256 required);

    /// @notice `node` allowed the registry `allowance` CNX, less than the `required` stake.
    error InsufficientStakeAllowance(address node, uint256 allowance, uint256 required);

    /// @notice `pause` is only valid from `Available` or `Busy`.
    error CannotPause(address node, NodeStatus status);

    /// @notice `resume` is only valid from `Paused` or `PendingPause`.
    error CannotResume(address node, NodeStatus status);

    /// @notice `quit` is only valid from `Available`, `Paused`, `Busy` or `PendingPause`.
    error CannotQuit(address node, NodeStatus status);

    /// @notice Only the TaskManager may start, finish or slash nodes.
    error NotTaskManager(address caller);

    /// @notice The TaskManager can be set only once.
    error TaskManagerAlreadySet(address taskManager);

    /// @notice A task can start only with `required` available nodes; there are `available`.
    error NotEnoughAvailableNodes(uint256 available, uint256 required);

    /// @notice The TaskManager finished or slashed a node that is not in a task.
    error NodeNotBusy(address node, NodeStatus status);

    /// @notice A zero address was given where an address is required.
    error ZeroAddress();

    /// @notice The stake must be positive and fit 96 bits.
    error InvalidStakeAmount(uint256 amount);

    /// @notice The node limit must be within 3…2^32 − 1.
    error InvalidMaxNodes(uint256 limit);

    /// @notice Stake `stakeAmount()` CNX (approved beforehand) and become `Available`.
    function join() external;

    /// @notice `join` with an EIP-2612 permit instead of a prior approval.
    function joinWithPermit(uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Available → Paused; Busy → PendingPause (paused when the task finishes).
    function pause() external;

    /// @notice Paused → Available; PendingPause → Busy (the pending pause is withdrawn).
    function resume() external;

    /// @notice Available or Paused → Quit with the stake returned at once;
    /// Busy or PendingPause → PendingQuit, the stake returned when the task finishes.
    function quit() external;

    /// @notice Draws 3 distinct available nodes from `randomness`, marks them Busy, and
    /// returns their addresses and ids. TaskManager only. O(1) in the number of nodes.
    function startTask(uint256 randomness) external returns (address[3] memory nodes, uint32[3] memory ids);

    /// @notice A node's part of a task is settled: Busy → Available, PendingPause → Paused,
    /// PendingQuit → Quit with its stake returned. TaskManager only.
    function finishTask(address node) external;

    /// @notice Sends the node's whole stake to the incentive pool and removes it. TaskManager only.
    function slash(address node) external;

    /// @notice The status of `node`.
    function statusOf(address node) external view returns (NodeStatus);

    /// @notice The permanent id of `node`, given at its first join (0: never joined).
    function nodeId(address node) external view returns (uint32);

    /// @notice The node with permanent id `id` (the zero address for an unused id).
    function nodeAddress(uint256 id) external view returns (address);

    /// @notice The CNX currently staked by `node` (0 when it has quit or was slashed).
    function stakeOf(address node) external view returns (uint256);

    /// @notice How many nodes are `Available` (can be drawn for a task).
    function availableNodeCount() external view returns (uint256);

    /// @notice A page of the available set, in its (unordered) storage order.
    function availableNodes(uint256 offset, uint256 limit) external view returns (address[] memory);

    /// @notice How many nodes are joined (any status but `Quit`).
    function joinedNodeCount() external view returns (uint256);

    /// @notice The CNX a node must stake to join.
    function stakeAmount() external view returns (uint256);

    /// @notice The most nodes that may be joined at once.
    function maxNodes() external view returns (uint256);

    /// @notice Where slashed stakes go.
    function incentivePool() external view returns (address);

    /// @notice The token nodes stake.
    function token() external view returns (IERC20);

    /// @notice The contract allowed to start, finish and slash nodes.
    function taskManager() external view returns (address);
}
