// The Hardhat node the tests start as a second, independent EVM implementation (see
// src/hardhat.ts): the development mnemonic's accounts, Cancun, mining from the environment.
const env = process.env;
const intervalMs = Number(env.HYDROGEN_HARDHAT_BLOCK_MS ?? 0);
module.exports = {
  paths: { cache: "../../../node_modules/.cache/hydrogen-hardhat" },
  networks: {
    hardhat: {
      chainId: Number(env.HYDROGEN_HARDHAT_CHAIN_ID ?? 1337),
      hardfork: "cancun",
      mining: intervalMs > 0 ? { auto: false, interval: intervalMs } : { auto: true },
      accounts: {
        mnemonic: "test test test test test test test test test test test junk",
        count: Number(env.HYDROGEN_HARDHAT_ACCOUNTS ?? 20),
        accountsBalance: "10000000000000000000000",
      },
    },
  },
};
