import type { Address } from "viem";
import { encodeAbiParameters, type Hex, keccak256, toHex } from "viem";

/**
 * The commitment a node submits (spec §4), identical to `TaskManager.makeCommitment`:
 * `keccak256(abi.encode(taskId, node, keccak256(result), salt))`. Binding the task and the
 * node makes a copied commitment useless; the salt keeps the result secret until disclosure.
 *
 * @example
 * const salt = generateSalt();
 * const commitment = makeCommitment(1n, nodeAddress, result, salt);
 */
export function makeCommitment(taskId: bigint, node: Address, result: Hex, salt: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "bytes32" }],
      [taskId, node, keccak256(result), salt],
    ),
  );
}

/**
 * 32 random bytes from the platform's CSPRNG (Node and browsers), to keep secret until disclosure.
 *
 * @example
 * generateSalt() // "0x5f…" (66 characters)
 */
export function generateSalt(): Hex {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}
