import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Address, hashTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { sessionDigest } from "./digest.ts";
import { relayDomain } from "./request.ts";
import { SESSION_MAX_SECONDS, sessionHeader, sessionTypes, signSession, verifySession } from "./session.ts";

const account = privateKeyToAccount(`0x${"1".repeat(64)}`);
const sessionKey = privateKeyToAccount(`0x${"3".repeat(64)}`);
const domain = { chainId: 31337, taskManager: "0x00000000000000000000000000000000000000aa" as Address };
const NOW = 1_800_000_000;

const delegate = (expiresAt: number, key: Address = sessionKey.address) =>
  signSession({ ...domain, signer: account, sessionKey: key, expiresAt });

const verify = async (header: string, overrides: { now?: number; sessionKey?: Address } = {}) =>
  verifySession({ ...domain, header, sessionKey: sessionKey.address, now: NOW, ...overrides });

const code = (expected: string) => (error: unknown) => (error as { code?: string }).code === expected;

describe("relay sessions", () => {
  it("hashes a delegation exactly as viem's EIP-712 encoder does", () => {
    const message = { sessionKey: sessionKey.address, expiresAt: BigInt(NOW + 3600) };
    assert.equal(
      sessionDigest(domain, message),
      hashTypedData({ domain: relayDomain(domain), types: sessionTypes, primaryType: "Session", message }),
    );
  });

  it("a delegation recovers to the account that signed it, for the key it names", async () => {
    const delegation = await delegate(NOW + 3600);
    const verified = await verify(sessionHeader(delegation));
    assert.equal(verified.account, account.address);
    assert.equal(verified.expiresAt, NOW + 3600);
    // Presented by another key, it names nobody the relay knows (another address is recovered).
    const stolen = await verify(sessionHeader(delegation), { sessionKey: account.address });
    assert.notEqual(stolen.account, account.address);
  });

  it("refuses an expired delegation, one longer than a day, and a malformed header", async () => {
    await assert.rejects(verify(sessionHeader(await delegate(NOW))), code("RELAY_AUTH_SESSION_EXPIRED"));
    await assert.rejects(verify(sessionHeader(await delegate(NOW - 1))), code("RELAY_AUTH_SESSION_EXPIRED"));
    const tooLong = await delegate(NOW + SESSION_MAX_SECONDS + 1);
    await assert.rejects(verify(sessionHeader(tooLong)), code("RELAY_AUTH_SESSION_TOO_LONG"));
    assert.equal((await verify(sessionHeader(await delegate(NOW + SESSION_MAX_SECONDS)))).account, account.address);
    for (const header of [
      "",
      "1.2",
      `${NOW + 60}`,
      `${NOW + 60}.0x1234`,
      `x.${(await delegate(NOW + 60)).signature}`,
    ]) {
      await assert.rejects(verify(header), code("RELAY_AUTH_MALFORMED"), header);
    }
  });
});
