/**
 * Relay throughput on loopback, SQLite backend, relay in its own process:
 * - downloadRps: authenticated GET …/results/0 of a 256 KiB PNG, 50 connections (autocannon)
 * - uploadImagesPerSecond: authenticated multipart uploads of 512×512 PNGs, each pHash-verified
 *
 * `npm run bench:relay` prints a table; `-- --json` prints {"downloadRps", "uploadImagesPerSecond"}.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EMPTY_BODY_SHA256, HEADER_SIGNATURE, HEADER_TIMESTAMP, requestDigest, routePath } from "@hydrogen/protocol";
import { samplePng } from "@hydrogen/protocol/testing";
import { type Chain, setupChain } from "@hydrogen/testnet";
import autocannon from "autocannon";
import secp256k1 from "secp256k1";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import type { Relay } from "../src/index.ts";
import { spawnRelay } from "../test/helpers/process.ts";
import { accountOf, createTask, multipart, relayClient, succeed } from "../test/helpers/relay.ts";

const json = process.argv.includes("--json");
/** `-- --smoke`: a second of downloads and a few uploads, to prove the script still works (npm test does). */
const smoke = process.argv.includes("--smoke");
/** Relay processes (`HYDROGEN_RELAY_WORKERS`); `-- --workers N` to compare. */
const workersFlag = process.argv.indexOf("--workers");
const workers = workersFlag >= 0 ? Number(process.argv[workersFlag + 1]) : 2;
const log = (line: string) => {
  if (!json) process.stderr.write(`${line}\n`);
};

const MNEMONIC_KEYS = new Map<string, Uint8Array>();
function privateKey(chain: Chain, address: Hex): Uint8Array {
  let key = MNEMONIC_KEYS.get(address);
  if (!key) {
    const account = accountOf(chain, address);
    key = account.getHdKey().privateKey as Uint8Array;
    MNEMONIC_KEYS.set(address, key);
  }
  return key;
}

/**
 * Signs relay requests with native secp256k1, so the bench's own signing is not the bottleneck.
 * Each signature draws extra nonce entropy: the same request signed twice gets two distinct,
 * equally valid signatures, so one path serves every download (the relay refuses unknown
 * query parameters, which once made each request unique).
 */
function signer(chain: Chain, address: Hex) {
  const key = privateKey(chain, address);
  const domain = { chainId: 31337, taskManager: chain.tm.address };
  return (method: string, path: string, body?: Uint8Array) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const bodyHash: Hex = body ? `0x${createHash("sha256").update(body).digest("hex")}` : EMPTY_BODY_SHA256;
    const digest = requestDigest(domain, { method, path, bodyHash, timestamp: BigInt(timestamp) });
    const { signature, recid } = secp256k1.ecdsaSign(hexToBytes(digest), key, { data: randomBytes(32) });
    const headers: Record<string, string> = {
      [HEADER_TIMESTAMP]: String(timestamp),
      [HEADER_SIGNATURE]: `${bytesToHex(signature)}${(27 + recid).toString(16)}`,
    };
    if (body) headers["x-hydrogen-content-sha256"] = bodyHash.slice(2);
    return headers;
  };
}

/** About 256 KiB: a noisy 312×312 PNG (the relay takes no padding after IEND). */
function png256k(): Uint8Array {
  return samplePng(312, 312);
}

async function benchDownload(chain: Chain, relay: Relay, seconds: number): Promise<number> {
  const api = relayClient(relay, chain);
  const image = png256k();
  const task = await createTask(chain, [image]);
  await api.waitForPhase(task.taskId, "created");
  await api.uploadArgs(chain.creator, task.taskId, task.args);
  await succeed(chain, task);
  await api.waitForPhase(task.taskId, "success");
  const stored = await api.uploadResults(task.nodes[0] as Hex, task.taskId, [image]);
  if (stored.status !== 200) throw new Error(`upload failed: ${await stored.text()}`);

  // Every request needs a fresh signature (each is accepted once).
  const sign = signer(chain, chain.creator);
  const path = routePath("getResultImage", { id: task.taskId, index: 0 });
  const total = seconds * 5000;
  const prepared: { path: string; headers: Record<string, string> }[] = [];
  for (let i = 0; i < total; i++) prepared.push({ path, headers: sign("GET", path) });
  return hasWrk() ? loadWithWrk(relay, prepared, seconds) : loadWithAutocannon(relay, prepared, seconds);
}

/** CPU seconds the relay's processes (the primary and its workers) have used so far. */
function relayCpuSeconds(relay: Relay): number {
  const pid = (relay as unknown as { pid?: number }).pid;
  if (!pid) return 0;
  const stat = (p: string | number) => {
    const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  return [String(pid), ...children].reduce((sum, p) => sum + stat(p), 0);
}

function hasWrk(): boolean {
  return spawnSync("wrk", ["--version"]).error === undefined;
}

/** wrk (C, one thread) leaves the second core to the relay; the bench's own signatures are replayed once each. */
function loadWithWrk(relay: Relay, prepared: { path: string; headers: Record<string, string> }[], seconds: number) {
  const file = join(tmpdir(), `relay-bench-requests-${process.pid}.tsv`);
  writeFileSync(
    file,
    prepared.map((r) => `${r.path}\t${r.headers[HEADER_TIMESTAMP]}\t${r.headers[HEADER_SIGNATURE]}`).join("\n"),
  );
  const script = fileURLToPath(new URL("./wrk-signed.lua", import.meta.url));
  const run = spawnSync("wrk", ["-t1", "-c50", `-d${seconds}s`, "-s", script, relay.url], {
    env: { ...process.env, WRK_REQUESTS: file },
    encoding: "utf8",
  });
  rmSync(file, { force: true });
  const match = /^WRK (\d+) (\d+) (\d+) (\d+)$/m.exec(run.stdout);
  if (!match) throw new Error(`wrk failed: ${run.stdout}${run.stderr}`);
  const [requests, durationUs, errors, p99Us] = match.slice(1).map(Number) as [number, number, number, number];
  log(
    `download (wrk -t1 -c50): ${requests} requests in ${(durationUs / 1e6).toFixed(1)} s, ${errors} errors, p99 ${(p99Us / 1000).toFixed(1)} ms`,
  );
  if (errors) throw new Error("download bench saw failures");
  if (requests > prepared.length) throw new Error("ran out of signed requests; raise the count");
  return Math.round(requests / (durationUs / 1e6));
}

async function loadWithAutocannon(
  relay: Relay,
  prepared: { path: string; headers: Record<string, string> }[],
  seconds: number,
): Promise<number> {
  log("(wrk not found: using autocannon, whose JavaScript client takes much of the CPU the relay would use)");
  let next = 0;
  const result = await autocannon({
    url: relay.url,
    connections: 50,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const item = prepared[next++ % prepared.length] as (typeof prepared)[number];
          return { ...request, method: "GET", path: item.path, headers: item.headers };
        },
      },
    ],
  });
  log(
    `download (autocannon -c50): ${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} errors`,
  );
  if (result.non2xx || result.errors) throw new Error("download bench saw failures");
  return Math.round(result.requests.total / seconds);
}

async function benchUpload(
  chain: Chain,
  relay: Relay,
  tasks: number,
  imagesPerTask: number,
  warmup: number,
): Promise<number> {
  const api = relayClient(relay, chain);
  const prepared: { taskId: bigint; node: Hex; body: Buffer; contentType: string }[] = [];
  for (let t = 0; t < tasks; t++) {
    const images = Array.from({ length: imagesPerTask }, (_, i) => samplePng(512, 512, 1 + t * imagesPerTask + i));
    const task = await createTask(chain, images, 100 + t);
    await api.waitForPhase(task.taskId, "created");
    await api.uploadArgs(chain.creator, task.taskId, task.args);
    await succeed(chain, task);
    prepared.push({ taskId: task.taskId, node: task.nodes[0] as Hex, ...multipart(images) });
  }
  const last = prepared[prepared.length - 1];
  if (last) await api.waitForPhase(last.taskId, "success");
  // Signed ahead, so the timed loop measures the relay, not this process's hashing of the bodies.
  const signed = prepared.map((item) => {
    const path = routePath("uploadResults", { id: item.taskId });
    const headers = { ...signer(chain, item.node)("POST", path, item.body), "content-type": item.contentType };
    return { ...item, path, headers };
  });
  const concurrency = 4;
  // The first uploads warm the relay's workers up (their pHash code is compiled then): not timed.
  let next = 0;
  const send = async (item: (typeof signed)[number]) => {
    const response = await fetch(`${relay.url}${item.path}`, {
      method: "POST",
      headers: item.headers,
      body: item.body as unknown as BodyInit,
    });
    if (response.status !== 200) throw new Error(`upload ${item.taskId}: ${await response.text()}`);
  };
  for (; next < warmup; next++) await send(signed[next] as (typeof signed)[number]);
  const cpuBefore = relayCpuSeconds(relay);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = signed[next++]; item; item = signed[next++]) await send(item);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const images = (tasks - warmup) * imagesPerTask;
  log(`upload: relay CPU ${(((relayCpuSeconds(relay) - cpuBefore) * 1000) / images).toFixed(1)} ms per image`);
  log(
    `upload: ${images} images (${tasks - warmup} tasks × ${imagesPerTask}, after ${warmup} not timed, 512×512, ~${(Math.round(prepared[0]?.body.length ?? 0) / imagesPerTask / 1024) | 0} KiB each) in ${seconds.toFixed(2)} s`,
  );
  return Math.round((images / seconds) * 10) / 10;
}

const dir = mkdtempSync(join(tmpdir(), "relay-bench-"));
const chain = await setupChain({ accounts: smoke ? 16 : 80 });
let relayProcess: ChildProcess | undefined;
try {
  await chain.joinNodes(smoke ? 12 : 72);
  const started = await spawnRelay(chain, {
    databaseUrl: `sqlite:${join(dir, "relay.db")}`,
    logLevel: "warn",
    workers,
    // One address and one signer make every request here: budgets counted (the limiter's cost is
    // part of the figure) but far above what this bench sends.
    env: { HYDROGEN_RELAY_RATE_LIMIT_PER_ADDRESS: "100000000", HYDROGEN_RELAY_RATE_LIMIT_PER_SIGNER: "100000000" },
  });
  relayProcess = started.process;
  const relay = { url: started.url, pid: started.process.pid } as unknown as Relay;
  const downloadRps = await benchDownload(chain, relay, smoke ? 1 : 10);
  const uploadImagesPerSecond = smoke
    ? await benchUpload(chain, relay, 3, 1, 1)
    : await benchUpload(chain, relay, 64, 4, 8);
  if (json) process.stdout.write(`${JSON.stringify({ downloadRps, uploadImagesPerSecond })}\n`);
  else {
    process.stdout.write(
      `authenticated download of a 256 KiB PNG, 50 connections: ${downloadRps} requests/s (target ≥ 1,500)\n`,
    );
    process.stdout.write(`authenticated upload with pHash verification: ${uploadImagesPerSecond} images/s\n`);
  }
} finally {
  // The relay first, while the chain it follows is still up (reverse of start).
  if (relayProcess && relayProcess.exitCode === null) {
    const exited = new Promise((resolve) => relayProcess?.once("exit", resolve));
    relayProcess.kill("SIGTERM");
    await exited;
  }
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
}
