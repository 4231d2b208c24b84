// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ResultMath
/// @notice Hamming distances between results: a result is one 8-byte pHash per image, so a
/// 32-byte word holds four 64-bit lanes and is compared lane by lane.
library ResultMath {
    uint256 private constant M1 = 0x5555555555555555555555555555555555555555555555555555555555555555;
    uint256 private constant M2 = 0x3333333333333333333333333333333333333333333333333333333333333333;
    uint256 private constant M4 = 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
    uint256 private constant LANE_LOW_BYTES = 0x00000000000000ff00000000000000ff00000000000000ff00000000000000ff;

    /// @notice The popcount of each 64-bit lane of `x`, in the low byte of that lane.
    /// @dev Branch-free SWAR popcount: a fixed number of operations whatever the input.
    /// After the byte sums, a lane's low byte has added exactly its own 8 bytes (shifts of
    /// 8 + 16 + 32 bits stay inside the lane), and no byte exceeds 64, so nothing carries.
    function lanePopcounts(uint256 x) internal pure returns (uint256) {
        unchecked {
            x = x - ((x >> 1) & M1);
            x = (x & M2) + ((x >> 2) & M2);
            x = (x + (x >> 4)) & M4;
            x = x + (x >> 8);
            x = x + (x >> 16);
            x = x + (x >> 32);
            return x & LANE_LOW_BYTES;
        }
    }

    /// @notice True when every 64-bit lane of `a` and `b` differs in fewer than `threshold` bits.
    function wordsClose(uint256 a, uint256 b, uint256 threshold) internal pure returns (bool) {
        uint256 counts = lanePopcounts(a ^ b);
        bool close;
        // Branch-free: every lane's count must be below the threshold.
        assembly ("memory-safe") {
            close := and(
                and(lt(and(counts, 0xff), threshold), lt(and(shr(64, counts), 0xff), threshold)),
                and(lt(and(shr(128, counts), 0xff), threshold), lt(shr(192, counts), threshold))
            )
        }
        return close;
    }

    /// @notice The Hamming distance between two 64-bit values.
    function distance64(uint64 a, uint64 b) internal pure returns (uint256) {
        return lanePopcounts(uint256(a ^ b));
    }

    /// @notice True when `a` and `b` have the same positive length, a multiple of 8, and every
    /// 8-byte chunk differs in fewer than `threshold` bits.
    function resultsMatch(bytes memory a, bytes memory b, uint256 threshold) internal pure returns (bool) {
        uint256 length = a.length;
        if (length == 0 || length % 8 != 0 || length != b.length) return false;
        for (uint256 offset = 0; offset < length; offset += 32) {
            uint256 wordA;
            uint256 wordB;
            assembly ("memory-safe") {
                wordA := mload(add(add(a, 32), offset))
                wordB := mload(add(add(b, 32), offset))
            }
            uint256 tail = length - offset;
            if (tail < 32) {
                // Only the first `tail` bytes are the results'; the rest is whatever follows in memory.
                uint256 mask = ~(type(uint256).max >> (tail * 8));
                wordA &= mask;
                wordB &= mask;
            }
            if (!wordsClose(wordA, wordB, threshold)) return false;
        }
        return true;
    }
}
