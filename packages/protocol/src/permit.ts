/**
 * The EIP-2612 `Permit` typed-data types (CNX supports permits): an application approves and
 * creates a task, or a node approves and joins, in one transaction.
 *
 * @example
 * await account.signTypedData({ domain, types: permitTypes, primaryType: "Permit", message: { owner, spender, value, nonce, deadline } });
 */
export const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;
