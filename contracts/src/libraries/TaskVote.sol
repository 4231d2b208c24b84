// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Task, TaskRounds} from "./TaskRounds.sol";

/// @title TaskVote
/// @notice What a disclosure decides in the vote of a task (spec §4), over the task's storage.
/// It moves no money and stores no result: TaskManager acts on the verdict. Results are
/// compared only when the verdict needs it.
library TaskVote {
    using TaskRounds for Task;

    /// @dev The two stored results.
    uint256 internal constant FIRST = 0;
    uint256 internal constant SECOND = 1;

    enum Verdict {
        /// A second result unlike the first, no error reported: keep it as SECOND and wait.
        KeepSecond,
        /// It matches the FIRST result: the task succeeds with it.
        MatchFirst,
        /// It matches the SECOND result: the task succeeds with it.
        MatchSecond,
        /// No two results can agree any more.
        Disagree
    }

    /// @notice Whether stored result `which` is in (the first result is kept as it comes).
    function hasResult(Task storage task, uint256 which) internal view returns (bool) {
        return (which == FIRST ? task.firstRound : task.secondRound) != TaskRounds.NO_ROUND;
    }

    /// @notice The verdict on a disclosure after the first (its round already Disclosed), in
    /// the CommitmentsReady phase.
    /// @param matches compares `result` with stored result `which` of the task
    /// @return verdict what the disclosure decided
    /// @return odd on a match, the round it outvoted (NO_ROUND when only two results are in)
    function tally(
        Task storage task,
        uint256 taskId,
        bytes calldata result,
        function(uint256, Task storage, uint256, bytes calldata) view returns (bool) matches
    ) internal view returns (Verdict verdict, uint8 odd) {
        uint8 second = task.secondRound;
        if (second == TaskRounds.NO_ROUND) {
            if (matches(taskId, task, FIRST, result)) return (Verdict.MatchFirst, TaskRounds.NO_ROUND);
            // Two different results and one error report: no majority for anything.
            if (task.count(ITaskManager.RoundState.ErrorReported) != 0) return (Verdict.Disagree, 0);
            return (Verdict.KeepSecond, 0);
        }
        if (matches(taskId, task, FIRST, result)) return (Verdict.MatchFirst, second);
        if (matches(taskId, task, SECOND, result)) return (Verdict.MatchSecond, task.firstRound);
        return (Verdict.Disagree, 0);
    }

    /// @notice Which stored result is the task's result (after success).
    function resultSlot(Task storage task) internal view returns (uint256) {
        return task.resultRound == task.firstRound ? FIRST : SECOND;
    }
}
