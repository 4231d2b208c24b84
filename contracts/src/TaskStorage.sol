// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Task, TaskRounds} from "./libraries/TaskRounds.sol";
import {TaskVote} from "./libraries/TaskVote.sol";

/// @title TaskStorage
/// @notice The TaskManager's storage. A task is written fresh for every task and each fresh
/// slot costs 22,100 gas, so a task takes two slots: its nodes are the registry's 32-bit ids,
/// and per-node data (commitment, then result) lives in slots reused by each node (`_work`).
abstract contract TaskStorage {
    using TaskRounds for Task;
    using TaskVote for Task;

    mapping(uint256 taskId => Task) internal _tasks;

    /// @dev Per node, reused from task to task: word 0 holds the node's commitment, then
    /// (once it discloses, if its result is stored) words 0… hold its result, zero-padded.
    /// A node is in at most one unsettled task, and whoever reads these words (its own
    /// disclosure, or a comparison against its stored result) does so before the node is
    /// released, so an older task's words are never read. They are overwritten, never cleared:
    /// re-filling a cleared slot costs 17,100 gas more than overwriting a used one.
    mapping(uint256 key => bytes32) private _work;

    /// @dev Copy of the result's words, made when the result node is released while a late
    /// disclosure may still be compared against it (its `_work` words are then free to be
    /// reused by its next task). Deleted with the task.
    mapping(uint256 key => bytes32) private _pinned;

    /// @dev The commitment of node `nodeId`.
    function _commitment(uint32 nodeId) internal view returns (bytes32) {
        return _work[_key(nodeId, 0)];
    }

    function _setCommitment(uint32 nodeId, bytes32 commitment) internal {
        _work[_key(nodeId, 0)] = commitment;
    }

    /// @dev Stores `result` as the task's first or second disclosed result, from `round`.
    function _storeResult(Task storage task, uint256 which, uint8 round, bytes calldata result) internal {
        uint256 length = result.length;
        if (which == TaskVote.FIRST) {
            task.firstRound = round;
            task.firstLength = uint16(length);
        } else {
            task.secondRound = round;
            task.secondLength = uint16(length);
        }
        uint256 key = _key(task.nodeId(round), 0);
        for (uint256 offset = 0; offset < length; offset += 32) {
            uint256 end = offset + 32 < length ? offset + 32 : length;
            _work[key++] = bytes32(result[offset:end]);
        }
    }

    function _loadResult(uint256 taskId, Task storage task, uint256 which) internal view returns (bytes memory result) {
        (uint8 round, uint256 length) =
            which == TaskVote.FIRST ? (task.firstRound, task.firstLength) : (task.secondRound, task.secondLength);
        bool pinned = task.resultPinned && round == task.resultRound;
        mapping(uint256 => bytes32) storage words = pinned ? _pinned : _work;
        uint256 key = pinned ? _key(taskId, 0) : _key(task.nodeId(round), 0);
        // Whole words are written: leave room for the last one.
        result = new bytes(length + 32);
        assembly ("memory-safe") {
            mstore(result, length)
        }
        for (uint256 offset = 0; offset < length; offset += 32) {
            bytes32 word = words[key++];
            assembly ("memory-safe") {
                mstore(add(add(result, 32), offset), word)
            }
        }
    }

    /// @dev Keeps the result readable after the result node is released.
    function _pinResult(uint256 taskId, Task storage task) internal {
        uint256 length = task.resultRound == task.firstRound ? task.firstLength : task.secondLength;
        uint256 from = _key(task.nodeId(task.resultRound), 0);
        uint256 to = _key(taskId, 0);
        for (uint256 offset = 0; offset < length; offset += 32) {
            _pinned[to++] = _work[from++];
        }
        task.resultPinned = true;
    }

    function _deleteTask(uint256 taskId, Task storage task) internal {
        if (task.resultPinned) {
            uint256 length = task.resultRound == task.firstRound ? task.firstLength : task.secondLength;
            uint256 key = _key(taskId, 0);
            for (uint256 offset = 0; offset < length; offset += 32) {
                delete _pinned[key++];
            }
        }
        delete _tasks[taskId];
    }

    /// @dev Word `index` of node (or pinned task) `id`: 8 bits of index, at most 800 bytes = 25 words.
    function _key(uint256 id, uint256 index) private pure returns (uint256) {
        return (id << 8) | index;
    }
}
