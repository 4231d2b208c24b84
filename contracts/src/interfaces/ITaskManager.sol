// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {INodeRegistry} from "./INodeRegistry.sol";

/// @title Hydrogen task manager
/// @notice Escrows task fees, draws 3 nodes per task, runs the commit–disclose vote over the
/// nodes' image hashes, pays honest nodes, slashes cheaters and refunds the creator.
/// Every step emits an event, so a task can be traced from logs alone.
interface ITaskManager {
    /// @notice Where a task is in its life. `None` means it never existed or was deleted.
    enum TaskPhase {
        None,
        Created,
        CommitmentsReady,
        Success,
        Aborted
    }

    /// @notice What one selected node (one round) has done in its task.
    /// `Settled` means the node is released from the task: paid, refunded or slashed.
    enum RoundState {
        Pending,
        Committed,
        ErrorReported,
        Disclosed,
        Settled
    }

    /// @notice Why a task was aborted.
    enum AbortReason {
        Cancelled,
        ErrorReported,
        ResultsDisagree
    }

    /// @notice A task as the views return it.
    struct TaskInfo {
        address creator;
        uint256 feePerNode;
        uint256 deadline;
        TaskPhase phase;
        address[3] nodes;
        RoundState[3] rounds;
        /// The round of the result node; meaningful from `Success` on.
        uint8 resultRound;
    }

    /// @notice Emitted once per selected node when a task is created.
    event TaskCreated(
        uint256 indexed taskId,
        address indexed creator,
        address indexed selectedNode,
        bytes32 taskHash,
        bytes32 dataHash,
        uint8 round
    );

    /// @notice A selected node committed to its (still secret) result.
    event TaskResultCommitmentSubmitted(uint256 indexed taskId, address indexed node, uint8 round, bytes32 commitment);

    /// @notice A selected node reported that the task itself is at fault.
    event TaskErrorReported(uint256 indexed taskId, address indexed node, uint8 round);

    /// @notice All 3 rounds committed or reported (fewer than 2 errors): disclosures may start.
    event TaskResultCommitmentsReady(uint256 indexed taskId);

    /// @notice A node disclosed the result it had committed to.
    event TaskResultDisclosed(uint256 indexed taskId, address indexed node, uint8 round, bytes result);

    /// @notice Two disclosed results matched. `resultNode` must upload the images.
    event TaskSuccess(uint256 indexed taskId, bytes result, address indexed resultNode);

    /// @notice The task was aborted.
    event TaskAborted(uint256 indexed taskId, AbortReason reason);

    /// @notice The result node reported that the images are on the relay: the task is completed.
    event TaskResultUploaded(uint256 indexed taskId, address indexed resultNode);

    /// @notice A node received its fee share.
    event NodePaid(uint256 indexed taskId, address indexed node, uint256 amount);

    /// @notice A node was slashed for a result (or error report) the majority disagreed with.
    event NodeSlashedForTask(uint256 indexed taskId, address indexed node, uint8 round);

    /// @notice Unspent fee went back to the task's creator.
    event CreatorRefunded(uint256 indexed taskId, address indexed creator, uint256 amount);

    /// @notice The fee per node changed (applies to tasks created afterwards).
    event FeePerNodeUpdated(uint256 previous, uint256 current);

    /// @notice The Hamming distance threshold changed.
    event DistanceThresholdUpdated(uint256 previous, uint256 current);

    /// @notice The task timeout changed (applies to tasks created afterwards).
    event TaskTimeoutUpdated(uint256 previous, uint256 current);

    /// @notice `account` holds `balance` CNX, less than the `required` task fee.
    error InsufficientBalance(address account, uint256 balance, uint256 required);

    /// @notice `account` allowed the TaskManager `allowance` CNX, less than the `required` fee.
    error InsufficientAllowance(address account, uint256 allowance, uint256 required);

    /// @notice No task `taskId` exists (never created, or finished and deleted).
    error TaskNotFound(uint256 taskId);

    /// @notice `round` is not 0, 1 or 2.
    error InvalidRound(uint256 taskId, uint256 round);

    /// @notice `caller` is not the node selected for `round` of `taskId`.
    error NotSelectedNode(uint256 taskId, uint256 round, address caller);

    /// @notice The round has already committed or reported an error.
    error RoundAlreadyActed(uint256 taskId, uint256 round, RoundState state);

    /// @notice The call is not allowed in the task's phase `current`. `allowed` has bit
    /// `1 << phase` set for each phase it is allowed in: commitments and error reports need
    /// Created (a late error report also Aborted), disclosures CommitmentsReady or Success,
    /// `reportResultsUploaded` Success.
    error UnexpectedTaskPhase(uint256 taskId, TaskPhase current, bytes32 allowed);

    /// @notice Only a round that committed, and has not disclosed yet, may disclose.
    error NothingToDisclose(uint256 taskId, uint256 round, RoundState state);

    /// @notice The disclosed result and salt do not hash to the round's commitment.
    error CommitmentMismatch(uint256 taskId, uint256 round, bytes32 committed, bytes32 disclosed);

    /// @notice A result must be a positive multiple of 8 bytes (one pHash per image).
    error InvalidResultLength(uint256 taskId, uint256 length);

    /// @notice Only the result node reports the upload; `round` is not its round.
    error NotResultNode(uint256 taskId, uint256 round, uint256 resultRound);

    /// @notice The upload was already reported.
    error ResultsAlreadyReported(uint256 taskId);

    /// @notice Only the creator or a selected node may cancel a task.
    error NotTaskParticipant(uint256 taskId, address caller);

    /// @notice A task can be cancelled only after its deadline.
    error DeadlineNotReached(uint256 taskId, uint256 deadline, uint256 timestamp);

    /// @notice A zero address was given where an address is required.
    error ZeroAddress();

    /// @notice The distance threshold must be within 1…64 bits.
    error InvalidDistanceThreshold(uint256 threshold);

    /// @notice The timeout must be within 1 second…30 days.
    error InvalidTaskTimeout(uint256 timeout);

    /// @notice The fee per node does not fit the contract's accounting (at most 2^96 − 1).
    error InvalidFeePerNode(uint256 fee);

    /// @notice Pays `3 × feePerNode` CNX (approved beforehand) and starts a task on 3 random
    /// available nodes. `taskHash` = keccak256 of the exact task-arguments JSON string the
    /// creator will upload to the relay; `dataHash` is reserved (emitted, not checked).
    function createTask(bytes32 taskHash, bytes32 dataHash) external returns (uint256 taskId);

    /// @notice `createTask` with an EIP-2612 permit for the fee instead of a prior approval.
    function createTaskWithPermit(bytes32 taskHash, bytes32 dataHash, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        returns (uint256 taskId);

    /// @notice A selected node commits to its result; see `makeCommitment`.
    function submitTaskResultCommitment(uint256 taskId, uint8 round, bytes32 commitment) external;

    /// @notice A selected node reports that the task itself is broken (counts as its result).
    function reportTaskError(uint256 taskId, uint8 round) external;

    /// @notice A node that committed reveals its result and salt once commitments are ready.
    function discloseTaskResult(uint256 taskId, uint8 round, bytes calldata result, bytes32 salt) external;

    /// @notice The result node reports that the images are on the relay; it is paid.
    function reportResultsUploaded(uint256 taskId, uint8 round) external;

    /// @notice After the deadline the creator or a selected node ends the task: unfinished
    /// nodes are freed (not slashed) and the unspent fee goes back to the creator.
    function cancelTask(uint256 taskId) external;

    /// @notice The commitment a node submits:
    /// `keccak256(abi.encode(taskId, node, keccak256(result), salt))`. The salt stays secret
    /// until disclosure; binding the task and node makes a copied commitment useless.
    function makeCommitment(uint256 taskId, address node, bytes memory result, bytes32 salt)
        external
        pure
        returns (bytes32);

    /// @notice True when `a` and `b` have the same length (a positive multiple of 8) and
    /// every 8-byte chunk differs in fewer than `threshold` bits.
    function resultsMatch(bytes memory a, bytes memory b, uint256 threshold) external pure returns (bool);

    /// @notice A task's state; reverts with `TaskNotFound` when it does not exist.
    function getTask(uint256 taskId) external view returns (TaskInfo memory);

    /// @notice The result of the task's result node (what its images must hash to); empty before `TaskSuccess`.
    function taskResult(uint256 taskId) external view returns (bytes memory);

    /// @notice The CNX token tasks are paid in.
    function token() external view returns (IERC20);

    /// @notice The registry the nodes are drawn from.
    function registry() external view returns (INodeRegistry);

    /// @notice The id the next task will get (ids start at 1).
    function nextTaskId() external view returns (uint256);

    /// @notice CNX paid to each of the 3 nodes of a task created now.
    function feePerNode() external view returns (uint256);

    /// @notice Two 8-byte image hashes match when they differ in fewer bits than this.
    function distanceThreshold() external view returns (uint256);

    /// @notice Seconds from creation until a task may be cancelled.
    function taskTimeout() external view returns (uint256);

    function setFeePerNode(uint256 fee) external;

    function setDistanceThreshold(uint256 threshold) external;

    function setTaskTimeout(uint256 timeout) external;
}
