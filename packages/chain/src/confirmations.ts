/**
 * Confirmations by chain id where the chain's reorganisations are known: Ethereum's proof of
 * stake rarely replaces more than a block or two; sequencer-ordered rollups (OP Stack,
 * Arbitrum) only if their sequencer misbehaves; Polygon PoS has reorganised dozens of blocks
 * deep, and finalises by milestones about 16 blocks behind.
 */
const KNOWN: Record<number, number> = {
  1: 3, // Ethereum
  11155111: 3, // Sepolia
  17000: 3, // Holesky
  560048: 3, // Hoodi
  10: 1, // OP Mainnet
  8453: 1, // Base
  42161: 1, // Arbitrum One
  11155420: 1, // OP Sepolia
  84532: 1, // Base Sepolia
  421614: 1, // Arbitrum Sepolia
  137: 16, // Polygon PoS
  80002: 16, // Polygon Amoy
  56: 3, // BNB Smart Chain (fast finality)
};

/** For any other chain: deep enough for most proof-of-stake chains, a minute or less of delay at their block times. */
export const UNKNOWN_CHAIN_CONFIRMATIONS = 12;

/**
 * The confirmations a log must have before the relay or a node acts on it, when the operator
 * set none: a safe depth for the chain (spec §7, "Real chains"). Only the devnet sets 0.
 *
 * @example
 * defaultConfirmations(8453) // 1
 */
export function defaultConfirmations(chainId: number): number {
  return KNOWN[chainId] ?? UNKNOWN_CHAIN_CONFIRMATIONS;
}
