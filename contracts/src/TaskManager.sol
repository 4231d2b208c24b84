// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {INodeRegistry} from "./interfaces/INodeRegistry.sol";
import {ITaskManager} from "./interfaces/ITaskManager.sol";
import {ResultMath} from "./libraries/ResultMath.sol";
import {Task, TaskRounds} from "./libraries/TaskRounds.sol";
import {TaskVote} from "./libraries/TaskVote.sol";
import {TaskStorage} from "./TaskStorage.sol";

/// @title TaskManager
/// @notice Task creation, the commit–disclose vote of the 3 selected nodes, payments,
/// refunds and slashing (spec §3–§5).
contract TaskManager is ITaskManager, TaskStorage, Ownable2Step {
    using SafeERC20 for IERC20;
    using TaskRounds for Task;
    using TaskVote for Task;

    uint256 private constant NODES_PER_TASK = 3;

    /// @dev 8 bytes per image; 100 images is far past any task the schema allows (10).
    uint256 private constant MAX_RESULT_LENGTH = 800;

    /// @dev Phase sets for `_requirePhase` (bit `1 << phase`): commitments and error reports;
    /// disclosures; the upload report; the phases a deadline cancel aborts.
    bytes32 private constant COMMITTING = bytes32(uint256(1) << uint8(TaskPhase.Created));
    bytes32 private constant DISCLOSING =
        bytes32((uint256(1) << uint8(TaskPhase.CommitmentsReady)) | (uint256(1) << uint8(TaskPhase.Success)));
    bytes32 private constant SUCCEEDED = bytes32(uint256(1) << uint8(TaskPhase.Success));
    bytes32 private constant VOTING =
        bytes32((uint256(1) << uint8(TaskPhase.Created)) | (uint256(1) << uint8(TaskPhase.CommitmentsReady)));

    IERC20 private immutable _token;
    INodeRegistry private immutable _registry;

    // Read on every task creation and disclosure: one slot.
    uint64 private _nextTaskId = 1;
    uint96 private _feePerNode;
    uint32 private _taskTimeout;
    uint8 private _distanceThreshold;

    /// @dev Cache of the registry's permanent node ids (an id never changes once given).
    mapping(address node => uint32) private _idOf;

    constructor(
        IERC20 token_,
        INodeRegistry registry_,
        address owner_,
        uint256 feePerNode_,
        uint256 distanceThreshold_,
        uint256 taskTimeout_
    ) Ownable(owner_) {
        if (address(token_) == address(0) || address(registry_) == address(0)) revert ZeroAddress();
        _token = token_;
        _registry = registry_;
        _setFeePerNode(feePerNode_);
        _setDistanceThreshold(distanceThreshold_);
        _setTaskTimeout(taskTimeout_);
    }

    // ---------------------------------------------------------------- creation

    /// @inheritdoc ITaskManager
    function createTask(bytes32 taskHash, bytes32 dataHash) external returns (uint256) {
        return _createTask(taskHash, dataHash);
    }

    /// @inheritdoc ITaskManager
    function createTaskWithPermit(bytes32 taskHash, bytes32 dataHash, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        returns (uint256)
    {
        // A failed permit (e.g. front-run with the same signature) is fine if the allowance is there.
        try IERC20Permit(address(_token)).permit(
            msg.sender, address(this), _feePerNode * NODES_PER_TASK, deadline, v, r, s
        ) {} catch {}
        return _createTask(taskHash, dataHash);
    }

    function _createTask(bytes32 taskHash, bytes32 dataHash) private returns (uint256 taskId) {
        taskId = _nextTaskId;
        uint96 fee = _feePerNode;
        _nextTaskId = uint64(taskId + 1);
        _pullFee(fee * NODES_PER_TASK);

        (address[3] memory nodes, uint32[3] memory ids) = _registry.startTask(_randomness(taskId, taskHash));

        Task storage task = _tasks[taskId];
        task.creator = msg.sender;
        task.feePerNode = fee;
        task.node0 = ids[0];
        task.node1 = ids[1];
        task.node2 = ids[2];
        task.deadline = uint40(block.timestamp + _taskTimeout);
        task.phase = TaskPhase.Created;
        // No result stored yet, none chosen.
        task.firstRound = TaskRounds.NO_ROUND;
        task.secondRound = TaskRounds.NO_ROUND;
        task.resultRound = TaskRounds.NO_ROUND;
        // Fixed at creation, like the fee: a parameter change never alters a running task.
        task.distanceThreshold = _distanceThreshold;

        for (uint8 round = 0; round < NODES_PER_TASK; ++round) {
            emit TaskCreated(taskId, msg.sender, nodes[round], taskHash, dataHash, round);
        }
    }

    /// @dev prevrandao is unknown to the creator when it signs, so picking a task hash cannot
    /// steer the draw. Before the merge the opcode returned the difficulty (< 2^64).
    function _randomness(uint256 taskId, bytes32 taskHash) private view returns (uint256) {
        uint256 entropy = block.prevrandao;
        if (entropy < 2 ** 64) entropy = uint256(blockhash(block.number - 1));
        return uint256(keccak256(abi.encode(entropy, taskId, taskHash, msg.sender)));
    }

    /// @dev Pulls the fee, turning the token's failure into this contract's own error.
    function _pullFee(uint256 amount) private {
        try _token.transferFrom(msg.sender, address(this), amount) returns (bool ok) {
            if (ok) return;
        } catch {}
        uint256 balance = _token.balanceOf(msg.sender);
        if (balance < amount) revert InsufficientBalance(msg.sender, balance, amount);
        revert InsufficientAllowance(msg.sender, _token.allowance(msg.sender, address(this)), amount);
    }

    // ---------------------------------------------------------------- commit phase

    /// @inheritdoc ITaskManager
    function submitTaskResultCommitment(uint256 taskId, uint8 round, bytes32 commitment) external {
        Task storage task = _openTask(taskId);
        uint32 id = _requireCommitPhase(taskId, task, round);
        _setCommitment(id, commitment);
        task.setState(round, RoundState.Committed);
        emit TaskResultCommitmentSubmitted(taskId, msg.sender, round, commitment);
        _closeCommitPhaseIfDone(taskId, task);
    }

    /// @inheritdoc ITaskManager
    function reportTaskError(uint256 taskId, uint8 round) external {
        Task storage task = _openTask(taskId);
        if (task.phase == TaskPhase.Aborted) {
            // Already aborted for errors: a late reporter agrees with the majority and is paid.
            _requirePending(taskId, task, round);
            emit TaskErrorReported(taskId, msg.sender, round);
            _pay(taskId, task, round, msg.sender);
            _deleteIfSettled(taskId, task);
            return;
        }
        _requireCommitPhase(taskId, task, round);
        task.setState(round, RoundState.ErrorReported);
        emit TaskErrorReported(taskId, msg.sender, round);
        if (task.count(RoundState.ErrorReported) == 2) {
            _abortForErrors(taskId, task);
        } else {
            _closeCommitPhaseIfDone(taskId, task);
        }
    }

    function _requireCommitPhase(uint256 taskId, Task storage task, uint8 round) private returns (uint32 id) {
        _requirePhase(taskId, task, COMMITTING);
        return _requirePending(taskId, task, round);
    }

    function _requirePending(uint256 taskId, Task storage task, uint8 round) private returns (uint32 id) {
        id = _requireNode(taskId, task, round);
        RoundState state = task.state(round);
        if (state != RoundState.Pending) revert RoundAlreadyActed(taskId, round, state);
    }

    function _closeCommitPhaseIfDone(uint256 taskId, Task storage task) private {
        if (task.count(RoundState.Pending) != 0) return;
        task.phase = TaskPhase.CommitmentsReady;
        emit TaskResultCommitmentsReady(taskId);
    }

    /// @dev The 2nd error report: reporters are paid (the fee is not refunded: the creator sent
    /// a broken task), committed nodes are slashed, a pending node may still report or be
    /// freed by `cancelTask`.
    function _abortForErrors(uint256 taskId, Task storage task) private {
        task.phase = TaskPhase.Aborted;
        emit TaskAborted(taskId, AbortReason.ErrorReported);
        uint256 refund;
        for (uint8 round = 0; round < NODES_PER_TASK; ++round) {
            RoundState state = task.state(round);
            if (state == RoundState.ErrorReported) {
                _pay(taskId, task, round, _nodeAddress(task, round));
            } else if (state == RoundState.Committed) {
                refund += _slash(taskId, task, round);
            }
        }
        _refund(taskId, task, refund);
        _deleteIfSettled(taskId, task);
    }

    // ---------------------------------------------------------------- disclose phase

    /// @inheritdoc ITaskManager
    function discloseTaskResult(uint256 taskId, uint8 round, bytes calldata result, bytes32 salt) external {
        Task storage task = _openTask(taskId);
        TaskPhase phase = _requirePhase(taskId, task, DISCLOSING);
        uint32 id = _requireNode(taskId, task, round);
        RoundState state = task.state(round);
        if (state != RoundState.Committed) revert NothingToDisclose(taskId, round, state);
        uint256 length = result.length;
        if (length == 0 || length % 8 != 0 || length > MAX_RESULT_LENGTH) {
            revert InvalidResultLength(taskId, length);
        }
        bytes32 committed = _commitment(id);
        bytes32 disclosed = _makeCommitment(taskId, msg.sender, keccak256(result), salt);
        if (committed != disclosed) revert CommitmentMismatch(taskId, round, committed, disclosed);

        task.setState(round, RoundState.Disclosed);
        emit TaskResultDisclosed(taskId, msg.sender, round, result);

        if (phase == TaskPhase.Success) return _settleLateDisclosure(taskId, task, round, result);
        if (!task.hasResult(TaskVote.FIRST)) return _storeResult(task, TaskVote.FIRST, round, result);
        (TaskVote.Verdict verdict, uint8 odd) = task.tally(taskId, result, _matchesStored);
        if (verdict == TaskVote.Verdict.KeepSecond) _storeResult(task, TaskVote.SECOND, round, result);
        else if (verdict == TaskVote.Verdict.MatchFirst) _agree(taskId, task, round, TaskVote.FIRST, odd);
        else if (verdict == TaskVote.Verdict.MatchSecond) _agree(taskId, task, round, TaskVote.SECOND, odd);
        else _abortDisagreement(taskId, task);
    }

    /// @dev `round` disclosed a result matching stored result `which`: the task succeeds, `round`
    /// is paid and `odd` (unless NO_ROUND: the third round may still disclose) is slashed. The
    /// task stays: its result node is settled only when it reports the upload.
    function _agree(uint256 taskId, Task storage task, uint8 round, uint256 which, uint8 odd) private {
        _succeed(taskId, task, which == TaskVote.FIRST ? task.firstRound : task.secondRound, which);
        uint256 refund = odd == TaskRounds.NO_ROUND ? 0 : _slash(taskId, task, odd);
        _pay(taskId, task, round, msg.sender);
        _refund(taskId, task, refund);
    }

    /// @dev A disclosure after `TaskSuccess`: paid if it matches the result, slashed if not.
    function _settleLateDisclosure(uint256 taskId, Task storage task, uint8 round, bytes calldata result) private {
        if (_matchesStored(taskId, task, task.resultSlot(), result)) {
            _pay(taskId, task, round, msg.sender);
        } else {
            _refund(taskId, task, _slash(taskId, task, round));
        }
        _deleteIfSettled(taskId, task);
    }

    /// @dev Marks the task successful with the stored result `which` of `resultRound`'s node;
    /// an error reporter, outvoted by two matching results, is slashed.
    function _succeed(uint256 taskId, Task storage task, uint8 resultRound, uint256 which) private {
        task.phase = TaskPhase.Success;
        task.resultRound = resultRound;
        emit TaskSuccess(taskId, _loadResult(taskId, task, which), _nodeAddress(task, resultRound));
        for (uint8 round = 0; round < NODES_PER_TASK; ++round) {
            if (task.state(round) == RoundState.ErrorReported) {
                _refund(taskId, task, _slash(taskId, task, round));
            }
        }
    }

    /// @dev No two results agree: everything back to the creator, every node freed, nobody slashed.
    function _abortDisagreement(uint256 taskId, Task storage task) private {
        task.phase = TaskPhase.Aborted;
        emit TaskAborted(taskId, AbortReason.ResultsDisagree);
        _refund(taskId, task, _freeUnsettled(task));
        _deleteTask(taskId, task);
    }

    // ---------------------------------------------------------------- finishing

    /// @inheritdoc ITaskManager
    function reportResultsUploaded(uint256 taskId, uint8 round) external {
        Task storage task = _openTask(taskId);
        _requirePhase(taskId, task, SUCCEEDED);
        _requireNode(taskId, task, round);
        uint8 resultRound = task.resultRound;
        if (round != resultRound) revert NotResultNode(taskId, round, resultRound);
        if (task.state(round) == RoundState.Settled) revert ResultsAlreadyReported(taskId);
        emit TaskResultUploaded(taskId, msg.sender);
        _pay(taskId, task, round, msg.sender);
        // A late disclosure still compares against the result, whose node is now free.
        if (task.count(RoundState.Settled) == NODES_PER_TASK) _deleteTask(taskId, task);
        else _pinResult(taskId, task);
    }

    /// @inheritdoc ITaskManager
    function cancelTask(uint256 taskId) external {
        Task storage task = _openTask(taskId);
        if (msg.sender != task.creator) {
            uint32 id = _callerId();
            if (id == 0 || (id != task.node0 && id != task.node1 && id != task.node2)) {
                revert NotTaskParticipant(taskId, msg.sender);
            }
        }
        if (block.timestamp <= task.deadline) revert DeadlineNotReached(taskId, task.deadline, block.timestamp);
        if (_phaseBit(task.phase) & VOTING != 0) {
            task.phase = TaskPhase.Aborted;
            emit TaskAborted(taskId, AbortReason.Cancelled);
        }
        _refund(taskId, task, _freeUnsettled(task));
        _deleteTask(taskId, task);
    }

    // ---------------------------------------------------------------- settlement

    function _pay(uint256 taskId, Task storage task, uint8 round, address node) private {
        task.setState(round, RoundState.Settled);
        uint256 fee = task.feePerNode;
        emit NodePaid(taskId, node, fee);
        _token.safeTransfer(node, fee);
        _registry.finishTask(node);
    }

    /// @return refund the slashed node's fee share, owed to the creator
    function _slash(uint256 taskId, Task storage task, uint8 round) private returns (uint256 refund) {
        task.setState(round, RoundState.Settled);
        address node = _nodeAddress(task, round);
        emit NodeSlashedForTask(taskId, node, round);
        _registry.slash(node);
        return task.feePerNode;
    }

    /// @return refund the freed nodes' fee shares, owed to the creator
    function _freeUnsettled(Task storage task) private returns (uint256 refund) {
        for (uint8 round = 0; round < NODES_PER_TASK; ++round) {
            if (task.state(round) != RoundState.Settled) {
                task.setState(round, RoundState.Settled);
                refund += task.feePerNode;
                _registry.finishTask(_nodeAddress(task, round));
            }
        }
    }

    function _refund(uint256 taskId, Task storage task, uint256 amount) private {
        if (amount == 0) return;
        address creator = task.creator;
        emit CreatorRefunded(taskId, creator, amount);
        _token.safeTransfer(creator, amount);
    }

    function _deleteIfSettled(uint256 taskId, Task storage task) private {
        if (task.count(RoundState.Settled) == NODES_PER_TASK) _deleteTask(taskId, task);
    }

    // ---------------------------------------------------------------- access checks

    /// @dev The one phase check: the task's phase, unless its bit is not in `allowed`.
    function _requirePhase(uint256 taskId, Task storage task, bytes32 allowed) private view returns (TaskPhase phase) {
        phase = task.phase;
        if (_phaseBit(phase) & allowed == 0) revert UnexpectedTaskPhase(taskId, phase, allowed);
    }

    function _phaseBit(TaskPhase phase) private pure returns (bytes32) {
        return bytes32(uint256(1) << uint8(phase));
    }

    function _openTask(uint256 taskId) private view returns (Task storage task) {
        task = _tasks[taskId];
        if (task.phase == TaskPhase.None) revert TaskNotFound(taskId);
    }

    /// @return id the caller's node id, which is the one selected for `round`
    function _requireNode(uint256 taskId, Task storage task, uint8 round) private returns (uint32 id) {
        if (round >= NODES_PER_TASK) revert InvalidRound(taskId, round);
        id = _callerId();
        if (id == 0 || id != task.nodeId(round)) revert NotSelectedNode(taskId, round, msg.sender);
    }

    /// @dev The caller's registry node id (0 if it never joined), cached after the first look-up.
    function _callerId() private returns (uint32 id) {
        id = _idOf[msg.sender];
        if (id == 0) {
            id = _registry.nodeId(msg.sender);
            if (id != 0) _idOf[msg.sender] = id;
        }
    }

    function _nodeAddress(Task storage task, uint256 round) private view returns (address) {
        return _registry.nodeAddress(task.nodeId(round));
    }

    // ---------------------------------------------------------------- pure helpers

    /// @inheritdoc ITaskManager
    function makeCommitment(uint256 taskId, address node, bytes memory result, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return _makeCommitment(taskId, node, keccak256(result), salt);
    }

    function _makeCommitment(uint256 taskId, address node, bytes32 resultHash, bytes32 salt)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, node, resultHash, salt));
    }

    /// @inheritdoc ITaskManager
    function resultsMatch(bytes memory a, bytes memory b, uint256 threshold) external pure returns (bool) {
        return ResultMath.resultsMatch(a, b, threshold);
    }

    function _matchesStored(uint256 taskId, Task storage task, uint256 which, bytes calldata result)
        private
        view
        returns (bool)
    {
        return ResultMath.resultsMatch(_loadResult(taskId, task, which), result, task.distanceThreshold);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ITaskManager
    function getTask(uint256 taskId) external view returns (TaskInfo memory info) {
        Task storage task = _openTask(taskId);
        info.creator = task.creator;
        info.feePerNode = task.feePerNode;
        info.deadline = task.deadline;
        info.phase = task.phase;
        info.resultRound = task.resultRound;
        for (uint8 round = 0; round < NODES_PER_TASK; ++round) {
            info.nodes[round] = _nodeAddress(task, round);
            info.rounds[round] = task.state(round);
        }
    }

    /// @inheritdoc ITaskManager
    function taskResult(uint256 taskId) external view returns (bytes memory) {
        Task storage task = _openTask(taskId);
        if (task.phase != TaskPhase.Success) return "";
        return _loadResult(taskId, task, task.resultSlot());
    }

    /// @inheritdoc ITaskManager
    function nextTaskId() external view returns (uint256) {
        return _nextTaskId;
    }

    /// @inheritdoc ITaskManager
    function feePerNode() external view returns (uint256) {
        return _feePerNode;
    }

    /// @inheritdoc ITaskManager
    function distanceThreshold() external view returns (uint256) {
        return _distanceThreshold;
    }

    /// @inheritdoc ITaskManager
    function taskTimeout() external view returns (uint256) {
        return _taskTimeout;
    }

    /// @inheritdoc ITaskManager
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc ITaskManager
    function registry() external view returns (INodeRegistry) {
        return _registry;
    }

    // ---------------------------------------------------------------- owner

    /// @inheritdoc ITaskManager
    function setFeePerNode(uint256 fee) external onlyOwner {
        _setFeePerNode(fee);
    }

    /// @inheritdoc ITaskManager
    function setDistanceThreshold(uint256 threshold) external onlyOwner {
        _setDistanceThreshold(threshold);
    }

    /// @inheritdoc ITaskManager
    function setTaskTimeout(uint256 timeout) external onlyOwner {
        _setTaskTimeout(timeout);
    }

    function _setFeePerNode(uint256 fee) private {
        if (fee > type(uint96).max / NODES_PER_TASK) revert InvalidFeePerNode(fee);
        emit FeePerNodeUpdated(_feePerNode, fee);
        _feePerNode = uint96(fee);
    }

    function _setDistanceThreshold(uint256 threshold) private {
        if (threshold == 0 || threshold > 64) revert InvalidDistanceThreshold(threshold);
        emit DistanceThresholdUpdated(_distanceThreshold, threshold);
        _distanceThreshold = uint8(threshold);
    }

    function _setTaskTimeout(uint256 timeout) private {
        if (timeout == 0 || timeout > 30 days) revert InvalidTaskTimeout(timeout);
        emit TaskTimeoutUpdated(_taskTimeout, timeout);
        _taskTimeout = uint32(timeout);
    }
}
