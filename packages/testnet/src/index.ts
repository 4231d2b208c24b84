export { DEV_MNEMONIC, type DevAccount, describeAccount, devAccount, devKey, ROLES } from "./accounts.ts";
export {
  type Anvil,
  type AnvilOptions,
  anvilBinary,
  freePort,
  type LocalNode,
  startAnvil,
  startLocalNode,
} from "./anvil.ts";
export {
  type AnvilPublicClient,
  type AnvilTestClient,
  allAbi,
  type Chain,
  type ChainOptions,
  CNX,
  countingTransport,
  eventNames,
  expectRevert,
  FEE,
  localChain,
  Phase,
  Reason,
  Round,
  result,
  STAKE,
  Status,
  setupChain,
  signPermit,
  TIMEOUT,
} from "./fixture.ts";
export { type HardhatOptions, startHardhat } from "./hardhat.ts";
