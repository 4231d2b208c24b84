// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {ITaskManager} from "../src/interfaces/ITaskManager.sol";

/// @notice A node that is a contract, so the gas benchmark can join thousands of nodes in a
/// few transactions. Only the benchmark uses it; it is not deployed anywhere else.
contract BenchNode {
    address private immutable _owner = msg.sender;

    function join(IERC20 token, INodeRegistry registry, uint256 stake) external {
        require(msg.sender == _owner);
        token.approve(address(registry), stake);
        registry.join();
    }

    function pause(INodeRegistry registry) external {
        require(msg.sender == _owner);
        registry.pause();
    }
}

/// @notice Joins many BenchNodes and creates many tasks in one transaction each.
contract BenchFactory {
    function spawn(IERC20 token, INodeRegistry registry, uint256 stake, uint256 count) external {
        for (uint256 i = 0; i < count; ++i) {
            BenchNode node = new BenchNode();
            token.transfer(address(node), stake);
            node.join(token, registry, stake);
        }
    }

    function pauseNode(INodeRegistry registry, BenchNode node) external {
        node.pause(registry);
    }

    function createTasks(IERC20 token, ITaskManager taskManager, uint256 count) external {
        token.approve(address(taskManager), type(uint256).max);
        for (uint256 i = 0; i < count; ++i) {
            taskManager.createTask(keccak256(abi.encode(block.number, i)), bytes32(0));
        }
    }
}
