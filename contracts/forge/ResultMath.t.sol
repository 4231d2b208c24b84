// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ResultMath} from "../src/libraries/ResultMath.sol";

/// @notice ResultMath against a plain bit-by-bit reference, for random words and every result
/// length the TaskManager accepts (8 to 800 bytes).
contract ResultMathTest is Test {
    function _popcount(uint64 x) internal pure returns (uint256 count) {
        for (; x != 0; x >>= 1) count += x & 1;
    }

    function testFuzz_lanePopcountsMatchReference(uint256 x) public pure {
        uint256 counts = ResultMath.lanePopcounts(x);
        for (uint256 lane = 0; lane < 4; ++lane) {
            assertEq((counts >> (64 * lane)) & 0xff, _popcount(uint64(x >> (64 * lane))), "lane popcount");
        }
        assertEq(counts & ~uint256(0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff), 0);
    }

    function testFuzz_distance64(uint64 a, uint64 b) public pure {
        assertEq(ResultMath.distance64(a, b), _popcount(a ^ b));
    }

    /// @dev `a` random, `b` = `a` with some bits of some chunks flipped; the reference compares
    /// chunk by chunk.
    function testFuzz_resultsMatchReference(uint256 seed, uint256 chunks, uint256 threshold, uint256 flipSeed)
        public
        pure
    {
        chunks = bound(chunks, 1, 100);
        threshold = bound(threshold, 1, 64);
        bytes memory a = new bytes(chunks * 8);
        bytes memory b = new bytes(chunks * 8);
        bool expected = true;
        for (uint256 c = 0; c < chunks; ++c) {
            uint64 va = uint64(uint256(keccak256(abi.encode(seed, c))));
            uint256 flips = uint256(keccak256(abi.encode(flipSeed, c)));
            // Few flips in most chunks, many in some: both sides of the threshold.
            uint64 mask = flips % 4 == 0 ? uint64(flips >> 8) : uint64(flips >> 8) & uint64(flips >> 72) & uint64(flips >> 136);
            uint64 vb = va ^ mask;
            if (_popcount(mask) >= threshold) expected = false;
            for (uint256 i = 0; i < 8; ++i) {
                a[c * 8 + i] = bytes1(uint8(va >> (56 - 8 * i)));
                b[c * 8 + i] = bytes1(uint8(vb >> (56 - 8 * i)));
            }
        }
        assertEq(ResultMath.resultsMatch(a, b, threshold), expected, "resultsMatch");
        assertTrue(ResultMath.resultsMatch(a, a, 1), "a result matches itself");
    }

    function testFuzz_resultsOfBadLengthsNeverMatch(uint256 length, uint256 other) public pure {
        length = bound(length, 0, 820);
        bytes memory a = new bytes(length);
        if (length == 0 || length % 8 != 0) assertFalse(ResultMath.resultsMatch(a, a, 64), "bad length matched");
        other = bound(other, 0, 820);
        if (other != length) assertFalse(ResultMath.resultsMatch(a, new bytes(other), 64), "lengths differ");
    }
}
