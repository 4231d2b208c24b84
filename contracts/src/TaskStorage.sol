// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITaskManager} from "./interfaces/ITaskManager.sol";

/// @title TaskStorage
/// @notice The TaskManager's storage. A task is written fresh for every task and each fresh
/// slot costs 22,100 gas, so a task takes two slots: its nodes are the registry's 32-bit ids,
/// and per-node data lives in one reused slot per node (`_work`).
abstract contract TaskStorage {
    /// @dev slot 0: creator 160 | feePerNode 96.
    /// slot 1: node ids 3×32 | deadline 40 | phase, 3 round states, firstRound, secondRound,
    /// resultRound, distanceThreshold 8 each | firstLength, secondLength 16 each | resultPinned 8.
    /// "first"/"second" are the first two results disclosed: the only ones ever compared
    /// against. Their first 32 bytes are in their node's `_work` slot, the rest in `_tailWords`.
    struct Task {
        address creator;
        uint96 feePerNode;
        uint32 node0;
        uint32 node1;
        uint32 node2;
        uint40 deadline;
        ITaskManager.TaskPhase phase;
        ITaskManager.RoundState state0;
        ITaskManager.RoundState state1;
        ITaskManager.RoundState state2;
        uint8 firstRound;
        uint8 secondRound;
        uint8 resultRound;
        uint8 distanceThreshold;
        uint16 firstLength;
        uint16 secondLength;
        bool resultPinned;
    }

    /// @dev `firstRound` / `secondRound` / `resultRound` before they are known.
    uint8 internal constant NO_ROUND = 3;
    uint256 internal constant FIRST = 0;
    uint256 internal constant SECOND = 1;

    mapping(uint256 taskId => Task) internal _tasks;

    /// @dev Node id → its commitment, then (after it discloses) the first 32 bytes of its
    /// result. A node is in at most one unsettled task, and whoever reads the slot (a disclosure
    /// of the node, or a comparison against its stored result) does so before the node is
    /// released, so an older task's value is never read. The slot is reused rather than
    /// cleared: re-filling a cleared slot would cost 17,100 gas more per node and task.
    mapping(uint256 nodeId => bytes32) internal _work;

    /// @dev Key: taskId << 32 | which << 16 | word index; bytes 32… of a stored result,
    /// zero-padded past its end. Used only by tasks of more than 4 images.
    mapping(uint256 key => bytes32) private _tailWords;

    /// @dev The first 32 bytes of the result, copied here when the result node is released
    /// while a late disclosure may still be compared against it (its `_work` slot is then free
    /// to be reused by its next task).
    mapping(uint256 taskId => bytes32) private _pinnedHeads;

    function _nodeId(Task storage task, uint256 round) internal view returns (uint32) {
        if (round == 0) return task.node0;
        if (round == 1) return task.node1;
        return task.node2;
    }

    function _state(Task storage task, uint256 round) internal view returns (ITaskManager.RoundState) {
        if (round == 0) return task.state0;
        if (round == 1) return task.state1;
        return task.state2;
    }

    function _setState(Task storage task, uint256 round, ITaskManager.RoundState state) internal {
        if (round == 0) task.state0 = state;
        else if (round == 1) task.state1 = state;
        else task.state2 = state;
    }

    function _countState(Task storage task, ITaskManager.RoundState state) internal view returns (uint256 count) {
        if (task.state0 == state) ++count;
        if (task.state1 == state) ++count;
        if (task.state2 == state) ++count;
    }

    /// @dev Stores `result` as the task's first or second disclosed result, from `round`.
    function _storeResult(uint256 taskId, Task storage task, uint256 which, uint8 round, bytes calldata result)
        internal
    {
        uint256 length = result.length;
        if (which == FIRST) {
            task.firstRound = round;
            task.firstLength = uint16(length);
        } else {
            task.secondRound = round;
            task.secondLength = uint16(length);
        }
        _work[_nodeId(task, round)] = bytes32(result[:length < 32 ? length : 32]);
        uint256 key = _tailKey(taskId, which);
        for (uint256 offset = 32; offset < length; offset += 32) {
            uint256 end = offset + 32 < length ? offset + 32 : length;
            _tailWords[key++] = bytes32(result[offset:end]);
        }
    }

    function _loadResult(uint256 taskId, Task storage task, uint256 which) internal view returns (bytes memory result) {
        (uint256 round, uint256 length) =
            which == FIRST ? (task.firstRound, task.firstLength) : (task.secondRound, task.secondLength);
        // Whole words are written: leave room for the last one.
        result = new bytes(length + 32);
        bytes32 head = task.resultPinned && round == task.resultRound ? _pinnedHeads[taskId] : _work[_nodeId(task, round)];
        assembly ("memory-safe") {
            mstore(result, length)
            mstore(add(result, 32), head)
        }
        uint256 key = _tailKey(taskId, which);
        for (uint256 offset = 32; offset < length; offset += 32) {
            bytes32 word = _tailWords[key++];
            assembly ("memory-safe") {
                mstore(add(add(result, 32), offset), word)
            }
        }
    }

    /// @dev Keeps the result readable after the result node is released.
    function _pinResult(uint256 taskId, Task storage task) internal {
        _pinnedHeads[taskId] = _work[_nodeId(task, task.resultRound)];
        task.resultPinned = true;
    }

    function _deleteTask(uint256 taskId, Task storage task) internal {
        if (task.resultPinned) delete _pinnedHeads[taskId];
        _clearTail(_tailKey(taskId, FIRST), task.firstLength);
        _clearTail(_tailKey(taskId, SECOND), task.secondLength);
        delete _tasks[taskId];
    }

    function _clearTail(uint256 key, uint256 length) private {
        for (uint256 offset = 32; offset < length; offset += 32) {
            delete _tailWords[key++];
        }
    }

    function _tailKey(uint256 taskId, uint256 which) private pure returns (uint256) {
        return (taskId << 32) | (which << 16);
    }
}
