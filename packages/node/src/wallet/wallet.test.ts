import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { createKeystore, loadWallet, WalletError } from "./wallet.ts";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ADDRESS = privateKeyToAccount(KEY).address;

describe("node wallet", () => {
  const dir = mkdtempSync(join(tmpdir(), "node-wallet-"));
  const keystore = join(dir, "key.json");
  const passwordFile = join(dir, "password");

  it("unlocks a v3 keystore with a password from a file or the environment", async () => {
    writeFileSync(keystore, JSON.stringify(await createKeystore(KEY, "correct horse", { n: 1024 })));
    writeFileSync(passwordFile, "correct horse\n");
    assert.equal((await loadWallet({ keystore, passwordFile, env: {} })).account.address, ADDRESS);
    const fromEnv = await loadWallet({ keystore, env: { HYDROGEN_NODE_KEYSTORE_PASSWORD: "correct horse" } });
    assert.equal(fromEnv.account.address, ADDRESS);
    assert.equal(fromEnv.kind, "keystore");
  });

  it("says what is wrong without showing the key or the password", async () => {
    const attempts = [
      loadWallet({ keystore, env: { HYDROGEN_NODE_KEYSTORE_PASSWORD: "wrong" } }),
      loadWallet({ keystore, env: {} }),
      loadWallet({ keystore: join(dir, "missing.json"), env: { HYDROGEN_NODE_KEYSTORE_PASSWORD: "x" } }),
      loadWallet({ env: {} }),
      loadWallet({ env: { HYDROGEN_NODE_PRIVATE_KEY: "0x1234" } }),
    ];
    const messages: string[] = [];
    for (const attempt of attempts) {
      await assert.rejects(attempt, (error: unknown) => {
        assert.ok(error instanceof WalletError);
        messages.push(error.message);
        return true;
      });
    }
    assert.match(messages[0] ?? "", /wrong password/);
    assert.match(messages[1] ?? "", /needs a password/);
    assert.match(messages[3] ?? "", /no key/);
    for (const message of messages) {
      assert.ok(!message.includes(KEY.slice(2)) && !message.includes("correct horse"));
    }
  });

  it("takes a raw key from the environment (devnets)", async () => {
    const { account, kind } = await loadWallet({ env: { HYDROGEN_NODE_PRIVATE_KEY: KEY } });
    assert.equal(account.address, ADDRESS);
    assert.equal(kind, "environment");
  });
});
