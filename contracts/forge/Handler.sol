// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Vm} from "forge-std/Vm.sol";
import {CNX} from "../src/CNX.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {ITaskManager} from "../src/interfaces/ITaskManager.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {TaskManager} from "../src/TaskManager.sol";

/// @notice Every actor of the network, for forge's invariant campaigns: applications creating
/// tasks; per task and round an honest node, a lying node, a node reporting an error or a
/// silent one; anyone cancelling after a deadline; nodes joining, pausing, resuming and
/// quitting at any moment; the owner changing parameters; time passing. Ghost variables record
/// what the chain's events say each task paid and refunded, and any slash of a node whose
/// disclosure matched the task's result.
contract Handler is Test {
    enum Mode {
        Honest,
        Liar,
        ErrorReporter,
        Silent
    }

    CNX public immutable cnx;
    NodeRegistry public immutable registry;
    TaskManager public immutable tm;
    address public immutable owner;

    address[] internal _nodes;
    address[] internal _apps;
    uint256[] internal _taskIds;

    mapping(uint256 => Mode[3]) internal _modes;
    mapping(uint256 => bytes[3]) internal _disclosed;
    mapping(uint256 => bytes) internal _result;
    mapping(uint256 => address[3]) internal _taskNodes;
    mapping(uint256 => bool[3]) internal _reportedError;

    /// @notice CNX escrowed at creation, paid to nodes and refunded to the creator, per task.
    mapping(uint256 => uint256) public escrowed;
    mapping(uint256 => uint256) public paidOut;
    mapping(uint256 => uint256) public refunded;
    /// @notice 1 + the abort reason, 0 while not aborted.
    mapping(uint256 => uint256) public aborted;
    /// @notice Slashes of a node whose disclosed result matched the task's result.
    uint256 public honestSlashed;
    /// @notice Payments to a node that neither disclosed the result nor reported an error in a
    /// task aborted for errors (spec §4–§5: only those are paid).
    uint256 public unearnedPayments;
    /// @notice How often the main outcomes were reached (the campaign must reach them).
    mapping(bytes32 => uint256) public reached;

    constructor(CNX cnx_, NodeRegistry registry_, TaskManager tm_, address owner_, address[] memory nodes_, address[] memory apps_) {
        cnx = cnx_;
        registry = registry_;
        tm = tm_;
        owner = owner_;
        _nodes = nodes_;
        _apps = apps_;
    }

    // ---------------------------------------------------------------- views for the invariants

    function nodes() external view returns (address[] memory) {
        return _nodes;
    }

    function apps() external view returns (address[] memory) {
        return _apps;
    }

    function taskIds() external view returns (uint256[] memory) {
        return _taskIds;
    }

    // ---------------------------------------------------------------- applications

    function createTask(uint256 appSeed, uint256 modeSeed) external {
        if (registry.availableNodeCount() < 3) return;
        address app = _apps[appSeed % _apps.length];
        uint256 fee = tm.feePerNode();
        _fund(app, 3 * fee);
        vm.prank(app);
        cnx.approve(address(tm), 3 * fee);
        vm.recordLogs();
        vm.prank(app);
        uint256 id = tm.createTask(keccak256(abi.encode(modeSeed, _taskIds.length)), bytes32(0));
        _collect();
        _taskIds.push(id);
        escrowed[id] = 3 * fee;
        _taskNodes[id] = tm.getTask(id).nodes;
        // Mostly honest nodes (5 in 8), so that tasks succeed as often as they fail.
        for (uint8 round = 0; round < 3; ++round) {
            uint8 draw = uint8(modeSeed >> (8 * round)) % 8;
            _modes[id][round] = draw < 5 ? Mode.Honest : Mode(draw - 4);
        }
    }

    // ---------------------------------------------------------------- nodes in a task

    /// @notice The task's nodes commit (or report an error), each as its mode says, from `roundSeed`'s round on.
    function commit(uint256 taskSeed, uint256 roundSeed) external {
        (bool open, uint256 id, ITaskManager.TaskInfo memory info) = _pick(taskSeed);
        if (!open) return;
        for (uint256 i = 0; i < 3; ++i) {
            uint8 round = uint8((roundSeed % 3 + i) % 3);
            Mode mode = _modes[id][round];
            if (mode == Mode.Silent || info.rounds[round] != ITaskManager.RoundState.Pending) continue;
            address node = info.nodes[round];
            vm.recordLogs();
            if (mode == Mode.ErrorReporter) {
                vm.prank(node);
                try tm.reportTaskError(id, round) {
                    _reportedError[id][round] = true;
                } catch {}
            } else {
                bytes32 commitment = tm.makeCommitment(id, node, _resultOf(id, round), _salt(id, round));
                vm.prank(node);
                try tm.submitTaskResultCommitment(id, round, commitment) {} catch {}
            }
            _collect();
            if (roundSeed & 4 == 0) return; // one node this time
        }
    }

    /// @notice The task's honest and lying nodes disclose, from `roundSeed`'s round on.
    function disclose(uint256 taskSeed, uint256 roundSeed) external {
        (bool open, uint256 id, ITaskManager.TaskInfo memory info) = _pick(taskSeed);
        if (!open) return;
        for (uint256 i = 0; i < 3; ++i) {
            uint8 round = uint8((roundSeed % 3 + i) % 3);
            Mode mode = _modes[id][round];
            if (mode != Mode.Honest && mode != Mode.Liar) continue;
            bytes memory result = _resultOf(id, round);
            vm.recordLogs();
            vm.prank(info.nodes[round]);
            try tm.discloseTaskResult(id, round, result, _salt(id, round)) {
                _disclosed[id][round] = result;
            } catch {}
            _collect();
            if (roundSeed & 4 == 0) return;
        }
    }

    function reportUpload(uint256 taskSeed) external {
        (bool open, uint256 id, ITaskManager.TaskInfo memory info) = _pick(taskSeed);
        if (!open || info.phase != ITaskManager.TaskPhase.Success) return;
        vm.recordLogs();
        vm.prank(info.nodes[info.resultRound]);
        try tm.reportResultsUploaded(id, info.resultRound) {} catch {}
        _collect();
    }

    /// @notice The creator or a node of the task cancels it (refused before the deadline; one
    /// call in eight first waits for the deadline).
    function cancel(uint256 taskSeed, uint256 callerSeed) external {
        (bool open, uint256 id, ITaskManager.TaskInfo memory info) = _pick(taskSeed);
        if (!open) return;
        if (callerSeed % 8 == 0 && block.timestamp <= info.deadline) vm.warp(info.deadline + 1);
        uint256 who = (callerSeed >> 3) % 4;
        vm.recordLogs();
        vm.prank(who == 3 ? info.creator : info.nodes[who]);
        try tm.cancelTask(id) {} catch {}
        _collect();
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 2 * tm.taskTimeout()));
    }

    // ---------------------------------------------------------------- staking at any moment

    function join(uint256 nodeSeed) external {
        address node = _nodes[nodeSeed % _nodes.length];
        uint256 stake = registry.stakeAmount();
        _fund(node, stake);
        vm.prank(node);
        cnx.approve(address(registry), stake);
        vm.prank(node);
        try registry.join() {} catch {}
    }

    function pause(uint256 nodeSeed) external {
        vm.prank(_nodes[nodeSeed % _nodes.length]);
        try registry.pause() {} catch {}
    }

    function resume(uint256 nodeSeed) external {
        vm.prank(_nodes[nodeSeed % _nodes.length]);
        try registry.resume() {} catch {}
    }

    function quit(uint256 nodeSeed) external {
        vm.prank(_nodes[nodeSeed % _nodes.length]);
        try registry.quit() {} catch {}
    }

    // ---------------------------------------------------------------- the owner

    function setFeePerNode(uint256 fee) external {
        vm.prank(owner);
        tm.setFeePerNode(bound(fee, 0, 100 ether));
    }

    /// @dev Below 32: the liars' results stay at least 32 bits from the honest one and each other.
    function setDistanceThreshold(uint256 threshold) external {
        vm.prank(owner);
        tm.setDistanceThreshold(bound(threshold, 1, 24));
    }

    function setTaskTimeout(uint256 timeout) external {
        vm.prank(owner);
        tm.setTaskTimeout(bound(timeout, 1, 30 days));
    }

    function setStakeAmount(uint256 amount) external {
        vm.prank(owner);
        registry.setStakeAmount(bound(amount, 1, 1000 ether));
    }

    // ---------------------------------------------------------------- helpers

    /// @dev One 8-byte pHash: the task's own for honest nodes; for a liar, 32 bits flipped at a
    /// place of its round (no two liars agree, none is near the honest result).
    function _resultOf(uint256 id, uint8 round) internal view returns (bytes memory) {
        uint64 honest = uint64(uint256(keccak256(abi.encode("result", id))));
        if (_modes[id][round] != Mode.Liar) return abi.encodePacked(honest);
        return abi.encodePacked(honest ^ (uint64(type(uint32).max) << (16 * round)));
    }

    function _salt(uint256 id, uint8 round) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", id, round));
    }

    /// @dev An open task: the seed's, else the next open one after it (most are deleted soon).
    function _pick(uint256 seed) internal view returns (bool open, uint256 id, ITaskManager.TaskInfo memory info) {
        uint256 count = _taskIds.length;
        for (uint256 i = 0; i < count; ++i) {
            id = _taskIds[(seed % count + i) % count];
            try tm.getTask(id) returns (ITaskManager.TaskInfo memory found) {
                return (true, id, found);
            } catch {}
        }
        return (false, 0, info);
    }

    /// @dev The handler holds the CNX supply; actors get what an action needs from it.
    function _fund(address account, uint256 amount) internal {
        uint256 balance = cnx.balanceOf(account);
        if (balance < amount) cnx.transfer(account, amount - balance);
    }

    /// @dev Whether `node` earned its fee in task `id`: its disclosure is within the threshold of
    /// the result, or it reported an error and the task was aborted for errors.
    function _earned(uint256 id, address node) internal view returns (bool) {
        for (uint8 round = 0; round < 3; ++round) {
            if (_taskNodes[id][round] != node) continue;
            if (_reportedError[id][round] && aborted[id] == uint256(ITaskManager.AbortReason.ErrorReported) + 1) {
                return true;
            }
            bytes memory disclosed = _disclosed[id][round];
            if (
                disclosed.length > 0 && _result[id].length > 0
                    && tm.resultsMatch(disclosed, _result[id], tm.distanceThreshold())
            ) return true;
        }
        return false;
    }

    /// @dev Reads the TaskManager's events of the last action into the ghost variables.
    function _collect() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(tm)) continue;
            bytes32 topic = log.topics[0];
            uint256 id = log.topics.length > 1 ? uint256(log.topics[1]) : 0;
            if (topic == ITaskManager.NodePaid.selector) {
                paidOut[id] += abi.decode(log.data, (uint256));
                if (!_earned(id, address(uint160(uint256(log.topics[2]))))) unearnedPayments++;
                reached["NodePaid"]++;
            } else if (topic == ITaskManager.CreatorRefunded.selector) {
                refunded[id] += abi.decode(log.data, (uint256));
                reached["CreatorRefunded"]++;
            } else if (topic == ITaskManager.TaskSuccess.selector) {
                _result[id] = abi.decode(log.data, (bytes));
                reached["TaskSuccess"]++;
            } else if (topic == ITaskManager.TaskAborted.selector) {
                uint256 reason = abi.decode(log.data, (uint256));
                aborted[id] = reason + 1;
                reached[reason == 0 ? bytes32("Cancelled") : reason == 1 ? bytes32("ErrorReported") : bytes32("ResultsDisagree")]++;
            } else if (topic == ITaskManager.NodeSlashedForTask.selector) {
                uint8 round = abi.decode(log.data, (uint8));
                bytes memory disclosed = _disclosed[id][round];
                // A disclosure within the threshold of the result is the majority's: never slashed.
                if (disclosed.length > 0 && tm.resultsMatch(disclosed, _result[id], tm.distanceThreshold())) {
                    honestSlashed++;
                }
                reached["NodeSlashedForTask"]++;
            } else if (topic == ITaskManager.TaskResultUploaded.selector) {
                reached["TaskResultUploaded"]++;
            }
        }
    }
}
