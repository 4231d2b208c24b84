// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {CNX} from "../src/CNX.sol";
import {INodeRegistry} from "../src/interfaces/INodeRegistry.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";

/// @notice The selection draw: three distinct Available nodes, each then Busy, and every node
/// drawn about as often as the others over many draws. This contract stands in for the TaskManager.
contract DrawTest is Test {
    uint256 internal constant STAKE = 400 ether;
    CNX internal cnx;
    NodeRegistry internal registry;
    address[] internal nodes;

    function setUp() public {
        cnx = new CNX(1_000_000 ether);
        registry = new NodeRegistry(cnx, address(this), makeAddr("pool"), STAKE, 100);
        registry.setTaskManager(address(this));
    }

    function _join(uint256 count) internal {
        for (uint256 i = 0; i < count; ++i) {
            address node = makeAddr(string.concat("node ", vm.toString(i)));
            nodes.push(node);
            cnx.transfer(node, STAKE);
            vm.startPrank(node);
            cnx.approve(address(registry), STAKE);
            registry.join();
            vm.stopPrank();
        }
    }

    function testFuzz_drawsThreeDistinctAvailableNodes(uint256 random, uint256 count) public {
        _join(bound(count, 3, 40));
        (address[3] memory chosen,) = registry.startTask(random);
        assertTrue(chosen[0] != chosen[1] && chosen[1] != chosen[2] && chosen[0] != chosen[2], "distinct");
        for (uint256 i = 0; i < 3; ++i) {
            assertEq(uint8(registry.statusOf(chosen[i])), uint8(INodeRegistry.NodeStatus.Busy), "drawn node busy");
        }
        assertEq(registry.availableNodeCount(), nodes.length - 3);
    }

    /// @dev 3,000 draws of 3 among 10 nodes: 900 expected each; 15% is over four standard deviations.
    function test_drawIsUniformWithinTolerance() public {
        _join(10);
        uint256[] memory picks = new uint256[](10);
        for (uint256 draw = 0; draw < 3000; ++draw) {
            (address[3] memory chosen,) = registry.startTask(uint256(keccak256(abi.encode("draw", draw))));
            for (uint256 i = 0; i < 3; ++i) {
                for (uint256 n = 0; n < 10; ++n) {
                    if (nodes[n] == chosen[i]) picks[n]++;
                }
                registry.finishTask(chosen[i]);
            }
        }
        for (uint256 n = 0; n < 10; ++n) {
            assertApproxEqRel(picks[n], 900, 0.15e18, "a node drawn far from its share");
        }
    }
}
