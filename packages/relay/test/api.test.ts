import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  buildResult,
  createRelayClient,
  HEADER_SESSION,
  largestTaskArgs,
  phashPng,
  RelayError,
  type RelayErrorBody,
  routePath,
  sessionHeader,
  signRequest,
  signSession,
  TASK_ARGS_MAX_BYTES,
  taskHash,
} from "@hydrogen/protocol";
import type { Chain } from "@hydrogen/testnet";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Relay } from "../src/index.ts";
import { webhookSignature } from "../src/webhooks/dispatcher.ts";
import { backends, type TestDatabase } from "./helpers/backends.ts";
import {
  accountOf,
  type ChainTask,
  createTask,
  patternPng,
  relayClient,
  startChain,
  startTestRelay,
  succeed,
  taskArgs,
} from "./helpers/relay.ts";

async function waitUntil(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function expectError(response: Response, status: number, code: string, retryable?: boolean) {
  const body = (await response.json()) as RelayErrorBody;
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${JSON.stringify(body)}`);
  assert.equal(body.error.code, code);
  if (retryable !== undefined) assert.equal(body.error.retryable, retryable);
  return body.error;
}

for (const backend of await backends()) {
  describe(`relay API (${backend.name})`, () => {
    let chain: Chain;
    let database: TestDatabase;
    let relay: Relay;
    let api: ReturnType<typeof relayClient>;
    let stranger: Address;

    before(async () => {
      chain = await startChain(24);
      database = await backend.create();
      relay = await startTestRelay(chain, database, {
        limits: { imageBytes: 64 * 1024, taskBytes: 256 * 1024 },
        // An early upload is refused at once here; the hold has its own test.
        successHoldSeconds: 0,
      });
      api = relayClient(relay, chain);
      stranger = chain.creator2;
    });
    after(async () => {
      await relay?.close();
      await database?.drop();
      await chain?.stop();
    });

    /** A task created on chain and seen by the relay. */
    async function seenTask(images = [patternPng(1)], seed = 1): Promise<ChainTask> {
      const task = await createTask(chain, images, seed);
      await api.waitForPhase(task.taskId, "created");
      return task;
    }

    it("lets browsers call it: a CORS preflight for a signed request is allowed", async () => {
      const response = await fetch(`${relay.url}/v1/inference_tasks/1`, {
        method: "OPTIONS",
        headers: {
          origin: "http://127.0.0.1:5173",
          "access-control-request-method": "GET",
          "access-control-request-headers": "x-hydrogen-signature,x-hydrogen-timestamp",
        },
      });
      assert.equal(response.status, 204);
      assert.equal(response.headers.get("access-control-allow-origin"), "http://127.0.0.1:5173");
      assert.match(response.headers.get("access-control-allow-headers") ?? "", /x-hydrogen-signature/);
      const status = await fetch(`${relay.url}/v1/inference_tasks/999/status`, {
        headers: { origin: "http://a.test" },
      });
      assert.equal(status.headers.get("access-control-allow-origin"), "http://a.test");
    });

    it("takes a session key's requests for the account that delegated to it (spec §7, Sessions)", async () => {
      const task = await seenTask([patternPng(41)], 41);
      const key = privateKeyToAccount(generatePrivateKey());
      const now = Math.floor(Date.now() / 1000);
      const delegate = (expiresAt: number, sessionKey = key.address) =>
        signSession({
          chainId: 31337,
          taskManager: chain.tm.address,
          signer: accountOf(chain, chain.creator),
          sessionKey,
          expiresAt,
        });
      const path = routePath("uploadTaskArgs");
      const body = JSON.stringify({ task_id: task.taskId.toString(), task_args: task.args });
      const send = async (delegation: string, timestamp = now) => {
        const signed = await signRequest({
          chainId: 31337,
          taskManager: chain.tm.address,
          signer: key,
          method: "POST",
          path,
          body,
          timestamp,
        });
        const headers = { ...signed, [HEADER_SESSION]: delegation, "content-type": "application/json" };
        return { headers, response: await fetch(`${relay.url}${path}`, { method: "POST", headers, body }) };
      };
      const good = sessionHeader(await delegate(now + 3600));
      const { headers, response } = await send(good);
      assert.equal(response.status, 200, await response.text());
      // The same signed request again is a replay, session or not.
      const replayed = await fetch(`${relay.url}${path}`, { method: "POST", headers, body });
      await expectError(replayed, 401, "RELAY_AUTH_REPLAYED", false);
      // Expired, too long, or delegated to another key (then it speaks for a stranger).
      await expectError(
        (await send(sessionHeader(await delegate(now - 1)), now - 1)).response,
        401,
        "RELAY_AUTH_SESSION_EXPIRED",
        false,
      );
      await expectError(
        (await send(sessionHeader(await delegate(now + 2 * 86_400)), now - 2)).response,
        401,
        "RELAY_AUTH_SESSION_TOO_LONG",
        false,
      );
      const other = sessionHeader(await delegate(now + 3600, chain.creator2));
      await expectError((await send(other, now - 3)).response, 403, "RELAY_FORBIDDEN", false);
      await expectError((await send("not-a-delegation", now - 4)).response, 400, "RELAY_AUTH_MALFORMED", false);
    });

    it("streams a task's phases over Server-Sent Events until it ends, and indexes it", async () => {
      const images = [patternPng(51)];
      const task = await seenTask(images, 51);
      const client = createRelayClient({ url: relay.url, chainId: 31337, taskManager: chain.tm.address });
      const phases: string[] = [];
      const streamed = client.streamTaskPhases(task.taskId, (status) => phases.push(status.phase));
      await waitUntil(() => phases.length > 0);
      assert.equal((await api.uploadArgs(chain.creator, task.taskId, task.args)).status, 200);
      await waitUntil(() => phases.includes("args_uploaded"));
      await succeed(chain, task);
      await waitUntil(() => phases.includes("success"));
      assert.equal((await api.uploadResults(task.nodes[0] as Address, task.taskId, images)).status, 200);
      const last = await streamed;
      assert.deepEqual(phases, ["created", "args_uploaded", "success", "results_uploaded"]);
      assert.equal(last?.phase, "results_uploaded", "the stream ends with the task");
      await expectError(
        await fetch(`${relay.url}/v1/inference_tasks/999/events`),
        404,
        "RELAY_TASK_NOT_ON_CHAIN",
        true,
      );

      // The index: this creator's tasks and this node's, newest first, a page at a time.
      const byNode = await client.listTasks({ node: task.nodes[0] as Address });
      assert.ok(byNode.tasks.some((t) => t.task_id === task.taskId.toString() && t.phase === "results_uploaded"));
      assert.ok(byNode.tasks.every((t) => t.nodes.includes((task.nodes[0] as Address).toLowerCase() as Address)));
      const all: string[] = [];
      let before: string | undefined;
      do {
        const page = await client.listTasks({ creator: chain.creator, limit: 2, before });
        assert.ok(page.tasks.length <= 2);
        all.push(...page.tasks.map((t) => t.task_id));
        before = page.next;
      } while (before);
      const numeric = [...all].sort((a, b) => Number(BigInt(b) - BigInt(a)));
      assert.deepEqual(all, numeric, "newest first, numerically");
      assert.ok(all.includes(task.taskId.toString()));
      assert.equal(new Set(all).size, all.length, "no task on two pages");
      const stats = await client.stats();
      assert.equal(stats.tasks, all.length + (await client.listTasks({ creator: chain.creator2 })).tasks.length);
      assert.ok((stats.by_phase.results_uploaded ?? 0) >= 1);
      assert.ok((stats.cursor_block ?? 0) > 0);
      await expectError(await fetch(`${relay.url}/v1/tasks?limit=101`), 400, "RELAY_INVALID_REQUEST", false);
      await expectError(await fetch(`${relay.url}/v1/tasks?owner=0x1`), 400, "RELAY_INVALID_REQUEST", false);
    });

    it("posts each phase of an account's tasks to its webhooks, signed, retrying failures", async () => {
      const received: { phase: string; id: string; valid: boolean }[] = [];
      let failures = 1; // the first delivery fails: it comes again
      let secret = "";
      const receiver = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
          if (failures-- > 0) return response.writeHead(500).end();
          const body = Buffer.concat(chunks).toString();
          const timestamp = Number(request.headers["x-hydrogen-webhook-timestamp"]);
          const valid = request.headers["x-hydrogen-webhook-signature"] === webhookSignature(secret, timestamp, body);
          const { phase } = JSON.parse(body) as { phase: string };
          received.push({ phase, id: String(request.headers["x-hydrogen-webhook-id"]), valid });
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
      try {
        const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
        const body = JSON.stringify({ url });
        const made = await api.request("POST", "/v1/webhooks", {
          signer: chain.creator2,
          body,
          contentType: "application/json",
        });
        assert.equal(made.status, 200);
        const hook = (await made.json()) as { id: string; url: string; secret: string };
        secret = hook.secret;
        assert.match(hook.secret, /^[0-9a-f]{64}$/);
        const listed = await api.request("GET", "/v1/webhooks", { signer: chain.creator2 });
        assert.deepEqual(await listed.json(), { webhooks: [{ id: hook.id, url: hook.url }] });

        const images = [patternPng(61)];
        const task = await createTask(chain, images, 61, chain.creator2);
        await api.waitForPhase(task.taskId, "created");
        await waitUntil(() => received.length >= 1);
        assert.equal((await api.uploadArgs(chain.creator2, task.taskId, task.args)).status, 200);
        await waitUntil(() => received.some((r) => r.phase === "args_uploaded"));
        await succeed(chain, task);
        await api.waitForPhase(task.taskId, "success");
        assert.equal((await api.uploadResults(task.nodes[0] as Address, task.taskId, images)).status, 200);
        await waitUntil(() => received.some((r) => r.phase === "results_uploaded"), 20_000);
        const phases = received.map((r) => r.phase);
        assert.deepEqual(phases, [...new Set(phases)], "each phase once");
        assert.deepEqual(phases.slice(0, 2), ["created", "args_uploaded"], "the failed first delivery came again");
        assert.equal(phases.at(-1), "results_uploaded");
        assert.ok(
          received.every((r) => r.valid),
          "every delivery carries the relay's HMAC",
        );

        // Only its owner deletes it; after that nothing is posted.
        const path = `/v1/webhooks/${hook.id}/delete`;
        await expectError(await api.request("POST", path, { signer: chain.creator }), 404, "RELAY_NOT_FOUND", false);
        assert.equal((await api.request("POST", path, { signer: chain.creator2 })).status, 200);
        const unsigned = await fetch(`${relay.url}/v1/webhooks`);
        await expectError(unsigned, 401, "RELAY_AUTH_MISSING", false);
        const bad = await api.request("POST", "/v1/webhooks", {
          signer: chain.creator2,
          body: JSON.stringify({ url: "ftp://example.com/" }),
          contentType: "application/json",
        });
        await expectError(bad, 422, "RELAY_WEBHOOK_REFUSED", false);
      } finally {
        await new Promise((resolve) => receiver.close(resolve));
      }
    });

    it("answers 404 TASK_NOT_ON_CHAIN (retryable) for a task it has not seen", async () => {
      await expectError(await api.uploadArgs(chain.creator, 999n, taskArgs()), 404, "RELAY_TASK_NOT_ON_CHAIN", true);
      await expectError(await api.status(999n), 404, "RELAY_TASK_NOT_ON_CHAIN", true);
      await expectError(await api.getTask(chain.creator, 999n), 404, "RELAY_TASK_NOT_ON_CHAIN", true);
    });

    it("carries a task from arguments to downloaded images", async () => {
      const images = [patternPng(2), patternPng(3)];
      const task = await seenTask(images, 2);
      await expectError(await api.getTask(task.nodes[0] as Address, task.taskId), 409, "RELAY_ARGS_NOT_UPLOADED", true);
      // Held for the second asked, then the same answer.
      await expectError(
        await api.getTask(task.nodes[0] as Address, task.taskId, { wait: 1 }),
        409,
        "RELAY_ARGS_NOT_UPLOADED",
        true,
      );

      // A node's request held while the creator uploads is answered by the upload (well within its 30 s).
      const heldArgs = api.getTask(task.nodes[1] as Address, task.taskId, { wait: 30 });
      await heldRequests(api, 1);
      const uploaded = await api.uploadArgs(chain.creator, task.taskId, task.args);
      assert.equal(uploaded.status, 200);
      const heldArgsAnswer = await heldArgs;
      assert.equal(heldArgsAnswer.status, 200);
      assert.equal(((await heldArgsAnswer.json()) as { task_args: string }).task_args, task.args);
      await heldRequests(api, 0);
      assert.deepEqual(await uploaded.json(), { task_id: task.taskId.toString(), task_hash: taskHash(task.args) });
      const body = JSON.stringify({ task_id: task.taskId.toString(), task_args: task.args });
      const replayed = await api.signedHeaders(chain.creator, "POST", "/v1/inference_tasks", { body });
      const again = await api.uploadArgs(chain.creator, task.taskId, task.args);
      assert.equal(again.status, 200, "the same args again (a new signature) is a no-op");
      const replay = { body, contentType: "application/json", headers: replayed };
      assert.equal((await api.request("POST", "/v1/inference_tasks", replay)).status, 200);
      await expectError(await api.request("POST", "/v1/inference_tasks", replay), 401, "RELAY_AUTH_REPLAYED", false);
      await api.waitForPhase(task.taskId, "args_uploaded");

      for (const reader of [chain.creator, ...task.nodes]) {
        const response = await api.getTask(reader, task.taskId);
        assert.equal(response.status, 200);
        const body = (await response.json()) as Record<string, unknown>;
        assert.equal(body.task_args, task.args);
        assert.deepEqual(
          body.nodes,
          task.nodes.map((n) => n.toLowerCase()),
        );
        assert.equal(body.creator, chain.creator.toLowerCase());
        assert.equal(body.phase, "args_uploaded");
      }
      await expectError(await api.getTask(stranger, task.taskId), 403, "RELAY_FORBIDDEN", false);
      await expectError(await api.image(chain.creator, task.taskId, 0), 404, "RELAY_RESULTS_NOT_UPLOADED", true);
      // Held for the second asked, then the same answer.
      await expectError(
        await api.image(chain.creator, task.taskId, 0, { wait: 1 }),
        404,
        "RELAY_RESULTS_NOT_UPLOADED",
        true,
      );
      await expectError(
        await api.uploadResults(task.nodes[0] as Address, task.taskId, images),
        409,
        "RELAY_TASK_NOT_SUCCEEDED",
        true,
      );

      await succeed(chain, task);
      await api.waitForPhase(task.taskId, "success");
      const withResultResponse = await api.getTask(chain.creator, task.taskId);
      const withResult = (await withResultResponse.json()) as Record<string, unknown>;
      assert.equal(withResultResponse.status, 200, JSON.stringify(withResult));
      assert.equal(withResult.result, task.result);
      await expectError(await api.uploadResults(task.nodes[1] as Address, task.taskId, images), 403, "RELAY_FORBIDDEN");
      await expectError(await api.uploadResults(chain.creator, task.taskId, images), 403, "RELAY_FORBIDDEN");

      // A download held while the result node uploads is answered by the upload (well within its 30 s).
      const held = api.image(chain.creator, task.taskId, 1, { wait: 30 });
      await heldRequests(api, 1);
      const stored = await api.uploadResults(task.nodes[0] as Address, task.taskId, images);
      assert.equal(stored.status, 200, await stored.clone().text());
      assert.deepEqual(await stored.json(), { task_id: task.taskId.toString(), images: 2 });
      const heldAnswer = await held;
      assert.equal(heldAnswer.status, 200);
      await heldRequests(api, 0);
      assert.deepEqual(new Uint8Array(await heldAnswer.arrayBuffer()), images[1]);
      await api.waitForPhase(task.taskId, "results_uploaded");
      for (const [index, png] of images.entries()) {
        const response = await api.image(chain.creator, task.taskId, index);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("content-type"), "image/png");
        assert.deepEqual(new Uint8Array(await response.arrayBuffer()), png);
      }
      await expectError(await api.image(chain.creator, task.taskId, 2), 404, "RELAY_IMAGE_INDEX_OUT_OF_RANGE");
      await expectError(await api.image(task.nodes[0] as Address, task.taskId, 0), 403, "RELAY_FORBIDDEN");
      await expectError(
        await api.uploadResults(task.nodes[0] as Address, task.taskId, images),
        409,
        "RELAY_RESULTS_ALREADY_UPLOADED",
        false,
      );

      await chain.tm.send(task.nodes[0] as Address, "reportResultsUploaded", task.taskId, 0);
      await api.waitForPhase(task.taskId, "results_uploaded");
      assert.equal((await api.image(chain.creator, task.taskId, 1)).status, 200);
    });

    it("holds a result node's upload sent before the relay saw TaskSuccess, and stores it once it has", async () => {
      // A second instance on the same database: the first one follows the chain, this one hears
      // of the success through the database.
      const second = await startTestRelay(chain, database, { successHoldSeconds: 60 });
      try {
        const images = [patternPng(7)];
        const task = await seenTask(images, 7);
        assert.equal((await api.uploadArgs(chain.creator, task.taskId, task.args)).status, 200);
        const upload = relayClient(second, chain).uploadResults(task.nodes[0] as Address, task.taskId, images);
        await heldRequests(relayClient(second, chain), 1);
        await succeed(chain, task);
        const stored = await upload;
        assert.equal(stored.status, 200, await stored.clone().text());
        await api.waitForPhase(task.taskId, "results_uploaded");
      } finally {
        await second.close();
      }
    });

    it("refuses arguments whose hash is not the task hash, or that fail the schema (every violation listed)", async () => {
      const task = await seenTask([patternPng(4)], 3);
      const error = await expectError(
        await api.uploadArgs(chain.creator, task.taskId, taskArgs(1, 4)),
        422,
        "RELAY_TASK_HASH_MISMATCH",
        false,
      );
      assert.match(error.message, new RegExp(taskHash(task.args)));
      await expectError(await api.uploadArgs(stranger, task.taskId, task.args), 403, "RELAY_FORBIDDEN");
      await expectError(await api.uploadArgs(task.nodes[0] as Address, task.taskId, task.args), 403, "RELAY_FORBIDDEN");

      const invalid = JSON.stringify({ base_model: "", prompt: 5, task_config: { seed: -1, bogus: true } });
      const created = await chain.createTask(chain.creator, taskHash(invalid));
      await api.waitForPhase(created.taskId, "created");
      const schema = await expectError(
        await api.uploadArgs(chain.creator, created.taskId, invalid),
        422,
        "RELAY_INVALID_TASK_ARGS",
      );
      const paths = (schema.details as { path: string }[]).map((v) => v.path).sort();
      assert.ok(paths.length >= 4, `every violation listed: ${JSON.stringify(schema.details)}`);
      await api.waitForPhase(created.taskId, "created");
    });

    it("publishes its limits and takes the largest valid arguments the schema allows", async () => {
      const limits = (await (await api.request("GET", "/v1/limits")).json()) as Record<string, number>;
      assert.deepEqual(limits, {
        task_args_bytes: TASK_ARGS_MAX_BYTES,
        image_bytes: 64 * 1024,
        upload_bytes: 256 * 1024,
      });
      const largest = largestTaskArgs();
      const created = await chain.createTask(chain.creator, taskHash(largest));
      await api.waitForPhase(created.taskId, "created");
      const response = await api.uploadArgs(chain.creator, created.taskId, largest);
      assert.equal(response.status, 200, await response.text());
      await api.waitForPhase(created.taskId, "args_uploaded");
    });

    it("a client whose clock is 5 minutes off signs with the relay's time (measured from /v1/now)", async () => {
      const task = await seenTask([patternPng(9)], 9);
      const client = (syncClock: boolean) =>
        createRelayClient({
          url: relay.url,
          chainId: 31337,
          taskManager: chain.tm.address,
          signer: accountOf(chain, chain.creator),
          now: () => Date.now() + 300_000,
          syncClock,
        });
      await assert.rejects(
        client(false).uploadTaskArgs(task.taskId, task.args),
        (error: unknown) => error instanceof RelayError && error.code === "RELAY_AUTH_CLOCK_SKEW",
      );
      const synced = client(true);
      assert.deepEqual(await synced.uploadTaskArgs(task.taskId, task.args), {
        task_id: task.taskId.toString(),
        task_hash: taskHash(task.args),
      });
      assert.ok(Math.abs(synced.clockOffsetSeconds() + 300) < 2, `offset ${synced.clockOffsetSeconds()}`);
    });

    it("accepts images only when every pHash equals the disclosed chunk and the count is num_images", async () => {
      const images = [patternPng(5), patternPng(6)];
      const task = await seenTask(images, 5);
      await api.uploadArgs(chain.creator, task.taskId, task.args);
      await succeed(chain, task);
      await api.waitForPhase(task.taskId, "success");
      const node = task.nodes[0] as Address;

      const swapped = await expectError(
        await api.uploadResults(node, task.taskId, [images[1] as Uint8Array, images[0] as Uint8Array]),
        422,
        "RELAY_IMAGE_HASH_MISMATCH",
      );
      assert.equal((swapped.details as { index: number }).index, 0);
      await expectError(
        await api.uploadResults(node, task.taskId, [images[0] as Uint8Array]),
        422,
        "RELAY_IMAGE_COUNT_MISMATCH",
      );
      await expectError(
        await api.uploadResults(node, task.taskId, [...images, patternPng(7)]),
        422,
        "RELAY_IMAGE_COUNT_MISMATCH",
      );
      await expectError(
        await api.uploadResults(node, task.taskId, [
          images[0] as Uint8Array,
          new TextEncoder().encode("GIF89a not a png"),
        ]),
        422,
        "RELAY_NOT_PNG",
      );
      const big = new Uint8Array(100 * 1024);
      await expectError(
        await api.uploadResults(node, task.taskId, [images[0] as Uint8Array, big]),
        413,
        "RELAY_PAYLOAD_TOO_LARGE",
      );
      await expectError(await api.image(chain.creator, task.taskId, 0), 404, "RELAY_RESULTS_NOT_UPLOADED");
      await api.waitForPhase(task.taskId, "success");

      assert.equal((await api.uploadResults(node, task.taskId, images)).status, 200);
      await api.waitForPhase(task.taskId, "results_uploaded");
    });

    it("refuses every upload for an aborted task and reports why it ended", async () => {
      const task = await seenTask([patternPng(8)], 8);
      await api.uploadArgs(chain.creator, task.taskId, task.args);
      const results = [patternPng(8), patternPng(9), patternPng(10)].map((png) => buildResult([phashPng(png)]));
      for (let round = 0; round < 3; round++)
        await chain.commit(task.taskId, round, task.nodes[round] as Address, results[round] as `0x${string}`);
      for (let round = 0; round < 3; round++)
        await chain.disclose(task.taskId, round, task.nodes[round] as Address, results[round] as `0x${string}`);
      await api.waitForPhase(task.taskId, "aborted");
      const status = (await (await api.status(task.taskId)).json()) as Record<string, unknown>;
      assert.equal(status.abort_reason, "ResultsDisagree");
      await expectError(await api.uploadArgs(chain.creator, task.taskId, task.args), 410, "RELAY_TASK_ENDED");
      await expectError(await api.image(chain.creator, task.taskId, 0), 410, "RELAY_TASK_ENDED");
      await expectError(
        await api.uploadResults(task.nodes[0] as Address, task.taskId, task.images),
        403,
        "RELAY_FORBIDDEN",
      );
    });

    it("serves its clock, health, readiness, metrics and API description", async () => {
      const now = (await (await api.request("GET", "/v1/now")).json()) as { now: number };
      assert.ok(Math.abs(now.now - Date.now() / 1000) < 5);
      assert.deepEqual(await (await api.request("GET", "/healthz")).json(), { status: "ok" });
      const ready = await api.request("GET", "/readyz");
      const readiness = (await ready.json()) as { status: string; checks: Record<string, string> };
      assert.equal(ready.status, 200, JSON.stringify(readiness));
      assert.equal(readiness.checks.database, "ok");
      const metrics = await (await api.request("GET", "/metrics")).text();
      assert.match(
        metrics,
        /hydrogen_relay_requests_total\{route="\/v1\/inference_tasks\/:id\/results",method="POST",status="200"\} \d/,
      );
      assert.match(metrics, /hydrogen_relay_request_duration_seconds_bucket/);
      assert.match(metrics, /hydrogen_relay_verification_failures_total\{code="RELAY_IMAGE_HASH_MISMATCH"\} [1-9]/);
      assert.match(metrics, /hydrogen_relay_uploaded_images_total [1-9]/);
      assert.match(metrics, /hydrogen_relay_follower_lag_blocks \d/);
      const openapi = (await (await api.request("GET", "/openapi.json")).json()) as { openapi: string; paths: object };
      assert.equal(openapi.openapi, "3.1.0");
      assert.ok("/v1/inference_tasks/{id}/results/{index}" in openapi.paths);
      const docs = await api.request("GET", "/docs/");
      assert.equal(docs.status, 200);
      assert.match(await docs.text(), /swagger/i);
      assert.ok(
        (await api.request("GET", "/healthz", { headers: { "x-request-id": "abc-123" } })).headers.get(
          "x-request-id",
        ) === "abc-123",
      );
    });
  });
}

/** Waits until the relay holds `count` image downloads (its metric), so what follows happens while they wait. */
async function heldRequests(api: { request(method: string, path: string): Promise<Response> }, count: number) {
  for (let i = 0; i < 200; i++) {
    const metrics = await (await api.request("GET", "/metrics")).text();
    if (new RegExp(`^hydrogen_relay_held_requests ${count}$`, "m").test(metrics)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`the relay never held ${count} requests`);
}
