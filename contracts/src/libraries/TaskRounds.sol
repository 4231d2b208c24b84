// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITaskManager} from "../interfaces/ITaskManager.sol";

/// @notice A task as stored: two slots, because each fresh slot costs 22,100 gas.
/// @dev slot 0: creator 160 | feePerNode 96.
/// slot 1: node ids 3×32 | deadline 40 | phase, 3 round states, firstRound, secondRound,
/// resultRound, distanceThreshold 8 each | firstLength, secondLength 16 each | resultPinned 8.
/// "first"/"second" are the first two results disclosed: the only ones ever compared
/// against. Their bytes are in their node's work words (TaskStorage).
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

/// @title TaskRounds
/// @notice The three rounds of a task, over its storage: each round's node and state.
library TaskRounds {
    /// @dev `firstRound` / `secondRound` / `resultRound` before they are known.
    uint8 internal constant NO_ROUND = 3;

    function nodeId(Task storage task, uint256 round) internal view returns (uint32) {
        if (round == 0) return task.node0;
        if (round == 1) return task.node1;
        return task.node2;
    }

    function state(Task storage task, uint256 round) internal view returns (ITaskManager.RoundState) {
        if (round == 0) return task.state0;
        if (round == 1) return task.state1;
        return task.state2;
    }

    function setState(Task storage task, uint256 round, ITaskManager.RoundState newState) internal {
        if (round == 0) task.state0 = newState;
        else if (round == 1) task.state1 = newState;
        else task.state2 = newState;
    }

    /// @return rounds how many rounds are in `wanted`
    function count(Task storage task, ITaskManager.RoundState wanted) internal view returns (uint256 rounds) {
        if (task.state0 == wanted) ++rounds;
        if (task.state1 == wanted) ++rounds;
        if (task.state2 == wanted) ++rounds;
    }
}
