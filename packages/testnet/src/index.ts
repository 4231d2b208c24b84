export { DEV_MNEMONIC, type DevAccount, describeAccount, devAccount, devKey, ROLES } from "./accounts.ts";
export { type Anvil, type AnvilOptions, anvilBinary, freePort, startAnvil } from "./anvil.ts";
export {
  allAbi,
  type Chain,
  type ChainOptions,
  CNX,
  countingTransport,
  eventNames,
  expectRevert,
  FEE,
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
