import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Address, type Hex, hashTypedData } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { requestDigest } from "./digest.ts";
import { RequestAuthError } from "./errors.ts";
import {
  assertBodyHash,
  bodyHasher,
  bodySha256,
  EMPTY_BODY_SHA256,
  HEADER_CONTENT_SHA256,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  MemoryReplayDetector,
  relayDomain,
  requestTypes,
  signRequest,
  verifyRequest,
} from "./request.ts";

const creator = privateKeyToAccount(`0x${"1".repeat(64)}`);
const other = privateKeyToAccount(`0x${"2".repeat(64)}`);
const domain = { chainId: 31337, taskManager: "0x00000000000000000000000000000000000000aa" as Address };
const NOW = 1_800_000_000;
const body = '{"task_id":"7","task_args":"{}"}';

async function signed(overrides: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return signRequest({
    ...domain,
    signer: creator,
    method: "POST",
    path: "/v1/inference_tasks",
    body,
    timestamp: NOW,
    ...overrides,
  });
}

function verify(headers: Record<string, string>, overrides: Partial<Parameters<typeof verifyRequest>[0]> = {}) {
  return verifyRequest({
    ...domain,
    method: "POST",
    path: "/v1/inference_tasks",
    headers,
    replay: new MemoryReplayDetector(),
    now: NOW,
    ...overrides,
  });
}

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await assert.rejects(
    promise,
    (e: unknown) => e instanceof RequestAuthError && e.code === code && e.retryable === false,
  );
}

describe("request signing", () => {
  it("a good signature recovers the signer and the signed body hash", async () => {
    const headers = await signed();
    assert.equal(headers[HEADER_TIMESTAMP], String(NOW));
    assert.equal(headers[HEADER_CONTENT_SHA256], bodySha256(body).slice(2));
    const verified = await verify(headers);
    assert.equal(verified.signer, creator.address);
    assert.equal(verified.bodyHash, bodySha256(body));
    assertBodyHash(verified.bodyHash, bodySha256(body));
  });

  it("a request without a body signs the SHA-256 of the empty string and sends no content header", async () => {
    const headers = await signed({ method: "get", path: "/v1/inference_tasks/7", body: undefined });
    assert.equal(headers[HEADER_CONTENT_SHA256], undefined);
    const verified = await verify(headers, { method: "GET", path: "/v1/inference_tasks/7" });
    assert.equal(verified.bodyHash, EMPTY_BODY_SHA256);
    assert.equal(EMPTY_BODY_SHA256, "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("another signer recovers to another address (the relay compares it with the chain's)", async () => {
    const verified = await verify(await signed({ signer: other }));
    assert.equal(verified.signer, other.address);
    assert.notEqual(verified.signer, creator.address);
  });

  it("a signature for another chain or TaskManager does not recover the signer", async () => {
    const headers = await signed({ chainId: 1 });
    assert.notEqual((await verify(headers)).signer, creator.address);
    const elsewhere = await signed({ taskManager: "0x00000000000000000000000000000000000000bb" });
    assert.notEqual((await verify(elsewhere)).signer, creator.address);
  });

  it("a changed path or method does not recover the signer", async () => {
    const headers = await signed();
    assert.notEqual((await verify(headers, { path: "/v1/inference_tasks?x=1" })).signer, creator.address);
    assert.notEqual((await verify(headers, { method: "PUT" })).signer, creator.address);
  });

  it("a changed body fails the body check", async () => {
    const verified = await verify(await signed());
    assert.throws(
      () => assertBodyHash(verified.bodyHash, bodySha256(`${body} `)),
      (e: unknown) => e instanceof RequestAuthError && e.code === "RELAY_AUTH_BODY_MISMATCH" && e.status === 400,
    );
  });

  it("a changed content header does not recover the signer", async () => {
    const headers = { ...(await signed()), [HEADER_CONTENT_SHA256]: bodySha256("other").slice(2) };
    assert.notEqual((await verify(headers)).signer, creator.address);
  });

  it("rejects a timestamp more than 60 s away, in the past or the future", async () => {
    await verify(await signed({ timestamp: NOW - 60 }));
    await verify(await signed({ timestamp: NOW + 60 }));
    await rejectsWith(verify(await signed({ timestamp: NOW - 61 })), "RELAY_AUTH_CLOCK_SKEW");
    await rejectsWith(verify(await signed({ timestamp: NOW + 61 })), "RELAY_AUTH_CLOCK_SKEW");
  });

  it("rejects a replayed signature", async () => {
    const replay = new MemoryReplayDetector();
    const headers = await signed();
    await verify(headers, { replay });
    await rejectsWith(verify(headers, { replay }), "RELAY_AUTH_REPLAYED");
    const upper = { ...headers, [HEADER_SIGNATURE]: `0x${(headers[HEADER_SIGNATURE] ?? "").slice(2).toUpperCase()}` };
    await rejectsWith(verify(upper, { replay }), "RELAY_AUTH_REPLAYED");
  });

  it("rejects missing and malformed headers", async () => {
    const headers = await signed();
    await rejectsWith(verify({}), "RELAY_AUTH_MISSING");
    await rejectsWith(verify({ ...headers, [HEADER_TIMESTAMP]: "soon" }), "RELAY_AUTH_MALFORMED");
    await rejectsWith(verify({ ...headers, [HEADER_SIGNATURE]: "0x1234" }), "RELAY_AUTH_MALFORMED");
    await rejectsWith(verify({ ...headers, [HEADER_CONTENT_SHA256]: "abc" }), "RELAY_AUTH_MALFORMED");
    const garbage = `0x${"00".repeat(64)}1b`;
    await rejectsWith(verify({ ...headers, [HEADER_SIGNATURE]: garbage }), "RELAY_AUTH_BAD_SIGNATURE");
  });

  it("the streaming hasher matches the one-shot hash", () => {
    const hasher = bodyHasher();
    const bytes = new TextEncoder().encode(body);
    hasher.update(bytes.subarray(0, 5));
    hasher.update(bytes.subarray(5));
    assert.equal(hasher.digest(), bodySha256(body));
  });

  it("the fast digest equals viem's EIP-712 typed-data hash", () => {
    for (const message of [
      { method: "GET", path: "/v1/inference_tasks/7?x=1", bodyHash: EMPTY_BODY_SHA256, timestamp: 0n },
      { method: "POST", path: "/v1/inference_tasks", bodyHash: bodySha256(body), timestamp: 2n ** 64n - 1n },
      { method: "GET", path: "/v1/ünïcode/✓", bodyHash: bodySha256("x"), timestamp: BigInt(NOW) },
    ]) {
      const expected = hashTypedData({
        domain: relayDomain(domain),
        types: requestTypes,
        primaryType: "Request",
        message,
      });
      assert.equal(requestDigest(domain, message), expected);
    }
  });

  it("the malleable twin (r, n − s) of a good signature is rejected, so it cannot replay the request", async () => {
    const headers = await signed();
    const signature = headers[HEADER_SIGNATURE] as Hex;
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${signature.slice(66, 130)}`);
    const v = Number.parseInt(signature.slice(130), 16);
    const twin = `${signature.slice(0, 66)}${(n - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
    await rejectsWith(verify({ ...headers, [HEADER_SIGNATURE]: twin }), "RELAY_AUTH_MALFORMED");
  });

  it("a custom recoverer is used when given", async () => {
    const headers = await signed();
    const result = await verify(headers, { recover: () => other.address });
    assert.equal(result.signer, other.address);
  });
});
