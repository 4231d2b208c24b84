import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { deflateSync } from "node:zlib";
import { HEADER_SIGNATURE, HEADER_TIMESTAMP, type RelayErrorBody, routePath } from "@hydrogen/protocol";
import { concatBytes, ihdr, PNG_SIGNATURE, pngChunk } from "@hydrogen/protocol/testing";
import type { Chain } from "@hydrogen/testnet";
import type { Address } from "viem";
import type { Relay } from "../src/index.ts";
import { backends, type TestDatabase } from "./helpers/backends.ts";
import {
  type ChainTask,
  caughtUp,
  createTask,
  multipart,
  patternPng,
  relayClient,
  startChain,
  startTestRelay,
  succeed,
  TEST_IMAGE_SIDE,
} from "./helpers/relay.ts";
import { relayState } from "./helpers/state.ts";

/** A request sent byte for byte as given (no URL normalisation), answered with status and parsed body. */
function raw(
  relay: Relay,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Uint8Array | string,
): Promise<{ status: number; body: RelayErrorBody }> {
  const url = new URL(relay.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as RelayErrorBody });
        } catch {
          reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Bytes written to a fresh TCP connection as they are; the whole answer as text. */
function rawHttp(relay: Relay, bytes: string): Promise<string> {
  const url = new URL(relay.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
  });
}

/** A PNG from parts: the IHDR of a `width`×`height` 8-bit grayscale image, `chunks`, IEND. */
function grayPng(width: number, height: number, chunks: Uint8Array[]): Uint8Array {
  return concatBytes([PNG_SIGNATURE, ihdr(width, height, 8, 0), ...chunks, pngChunk("IEND", new Uint8Array())]);
}

const statuses: number[] = [];

function expectCode(answer: { status: number; body: RelayErrorBody }, status: number, code: string) {
  statuses.push(answer.status);
  assert.equal(
    answer.status,
    status,
    `expected ${status} ${code}, got ${answer.status} ${JSON.stringify(answer.body)}`,
  );
  assert.equal(answer.body.error.code, code);
  assert.equal(typeof answer.body.error.message, "string");
  assert.equal(typeof answer.body.error.retryable, "boolean");
}

for (const backend of await backends()) {
  describe(`relay under bad input (${backend.name})`, () => {
    let chain: Chain;
    let database: TestDatabase;
    let relay: Relay;
    let api: ReturnType<typeof relayClient>;
    let task: ChainTask;
    let resultNode: Address;
    let before_: Awaited<ReturnType<typeof relayState>>;

    /** A request signed by `signer` (fresh signature each time), sent raw. */
    async function signed(
      signer: Address,
      method: string,
      path: string,
      options: {
        body?: string | Uint8Array;
        contentType?: string;
        signedBody?: string | Uint8Array;
        timestamp?: number;
      } = {},
    ) {
      const headers = await api.signedHeaders(signer, method, path, options);
      if (options.contentType) headers["content-type"] = options.contentType;
      return raw(relay, method, path, headers, options.body);
    }

    before(async () => {
      chain = await startChain(6);
      database = await backend.create();
      relay = await startTestRelay(chain, database, {
        limits: { imageBytes: 32 * 1024, taskBytes: 48 * 1024, taskArgsBytes: 64 * 1024 },
      });
      api = relayClient(relay, chain);
      task = await createTask(chain, [patternPng(1), patternPng(2)]);
      await api.waitForPhase(task.taskId, "created");
      assert.equal((await api.uploadArgs(chain.creator, task.taskId, task.args)).status, 200);
      await succeed(chain, task);
      await api.waitForPhase(task.taskId, "success");
      resultNode = task.nodes[0] as Address;
      await caughtUp(relay, chain);
      before_ = await relayState(relay, database.imageDir);
    });
    after(async () => {
      await relay?.close();
      await database?.drop();
      await chain?.stop();
    });

    const argsPath = "/v1/inference_tasks";
    const json = "application/json";

    it("malformed JSON, wrong types, unknown or missing fields: 400 RELAY_INVALID_REQUEST", async () => {
      const id = task.taskId.toString();
      for (const body of [
        '{"task_id": "1", "task_args": ',
        "[]",
        "null",
        JSON.stringify({ task_id: Number(id), task_args: task.args }),
        JSON.stringify({ task_id: id, task_args: { prompt: "x" } }),
        JSON.stringify({ task_id: id, task_args: task.args, extra: 1 }),
        JSON.stringify({ task_id: id }),
        JSON.stringify({ task_id: "0", task_args: task.args }),
        JSON.stringify({ task_id: "-1", task_args: task.args }),
        '{"__proto__": {"admin": true}, "task_id": "1", "task_args": "{}"}',
      ]) {
        expectCode(
          await signed(chain.creator, "POST", argsPath, { body, contentType: json }),
          400,
          "RELAY_INVALID_REQUEST",
        );
      }
      expectCode(
        await signed(chain.creator, "POST", argsPath, { body: "", contentType: json }),
        400,
        "RELAY_INVALID_REQUEST",
      );
    });

    it("duplicate keys and deep nesting, in the envelope or inside task_args: a 4xx, never a 500", async () => {
      const id = task.taskId.toString();
      for (const body of [
        `{"task_id":"${id}","task_id":"${id}","task_args":${JSON.stringify(task.args)}}`,
        `{"task_id":"${id}","task_args":${JSON.stringify(task.args)},"\u0074ask_id":"${id}"}`,
        `{"task_id":"${id}","task_args":${JSON.stringify(task.args)},"x":${"[".repeat(2000)}${"]".repeat(2000)}}`,
      ]) {
        expectCode(
          await signed(chain.creator, "POST", argsPath, { body, contentType: json }),
          400,
          "RELAY_INVALID_REQUEST",
        );
      }
      // Inside the arguments: a second "seed" would mean other arguments to a node that keeps the first.
      const dup = task.args.replace('"seed":', '"seed":99,"seed":');
      assert.notEqual(dup, task.args);
      const inner = await signed(chain.creator, "POST", argsPath, {
        body: JSON.stringify({ task_id: id, task_args: dup }),
        contentType: json,
      });
      assert.ok([409, 422].includes(inner.status), `got ${inner.status} ${JSON.stringify(inner.body)}`);
      const deepArgs = `{"base_model":"a/b","prompt":"x","task_config":{"seed":1},"lora":${'{"a":'.repeat(2000)}1${"}".repeat(2000)}}`;
      const deep = await signed(chain.creator, "POST", argsPath, {
        body: JSON.stringify({ task_id: id, task_args: deepArgs }),
        contentType: json,
      });
      assert.ok(deep.status >= 400 && deep.status < 500, `got ${deep.status} ${JSON.stringify(deep.body)}`);
    });

    it("a huge JSON body is 413 and a foreign content type 415, before any parsing", async () => {
      const huge = JSON.stringify({ task_id: "1", task_args: "x".repeat(2 * 1024 * 1024) });
      expectCode(
        await signed(chain.creator, "POST", argsPath, { body: huge, contentType: json }),
        413,
        "RELAY_PAYLOAD_TOO_LARGE",
      );
      // Within the body limit, but more arguments than this relay publishes it takes.
      const over = JSON.stringify({ task_id: task.taskId.toString(), task_args: "x".repeat(64 * 1024 + 1) });
      const refused = await signed(chain.creator, "POST", argsPath, { body: over, contentType: json });
      expectCode(refused, 413, "RELAY_PAYLOAD_TOO_LARGE");
      assert.match(refused.body.error.message, /at most 65536 \(GET \/v1\/limits\)/);
      const body = JSON.stringify({ task_id: task.taskId.toString(), task_args: task.args });
      expectCode(
        await signed(chain.creator, "POST", argsPath, { body, contentType: "text/plain" }),
        415,
        "RELAY_UNSUPPORTED_MEDIA_TYPE",
      );
    });

    it("missing, malformed, forged, expired, future, replayed and body-mismatched signatures", async () => {
      const path = routePath("getTask", { id: task.taskId });
      expectCode(await raw(relay, "GET", path), 401, "RELAY_AUTH_MISSING");
      const good = await api.signedHeaders(chain.creator, "GET", path);
      expectCode(await raw(relay, "GET", path, { ...good, [HEADER_SIGNATURE]: "0xzz" }), 400, "RELAY_AUTH_MALFORMED");
      expectCode(await raw(relay, "GET", path, { ...good, [HEADER_TIMESTAMP]: "12abc" }), 400, "RELAY_AUTH_MALFORMED");
      const forged = `0x${"ab".repeat(32)}${"01".repeat(32)}1c`;
      const answer = await raw(relay, "GET", path, { ...good, [HEADER_SIGNATURE]: forged });
      statuses.push(answer.status);
      assert.ok(
        ["RELAY_AUTH_BAD_SIGNATURE", "RELAY_FORBIDDEN"].includes(answer.body.error.code) && answer.status < 500,
        JSON.stringify(answer.body),
      );
      const now = Math.floor(Date.now() / 1000);
      expectCode(await signed(chain.creator, "GET", path, { timestamp: now - 120 }), 401, "RELAY_AUTH_CLOCK_SKEW");
      expectCode(await signed(chain.creator, "GET", path, { timestamp: now + 120 }), 401, "RELAY_AUTH_CLOCK_SKEW");
      const once = await api.signedHeaders(chain.creator, "GET", path);
      assert.equal((await raw(relay, "GET", path, once)).status, 200);
      expectCode(await raw(relay, "GET", path, once), 401, "RELAY_AUTH_REPLAYED");
      // Signed for another path: recovers another address, which is not the creator.
      const other = await api.signedHeaders(chain.creator, "GET", routePath("getTask", { id: 999 }));
      expectCode(await raw(relay, "GET", path, other), 403, "RELAY_FORBIDDEN");
      const body = JSON.stringify({ task_id: task.taskId.toString(), task_args: task.args });
      expectCode(
        await signed(chain.creator, "POST", argsPath, {
          body,
          signedBody: body.replace("task_id", "task_Id"),
          contentType: json,
        }),
        400,
        "RELAY_AUTH_BODY_MISMATCH",
      );
      const { body: upload, contentType } = multipart(task.images);
      const resultsPath = routePath("uploadResults", { id: task.taskId });
      const tampered = new Uint8Array(upload);
      expectCode(
        await signed(resultNode, "POST", resultsPath, {
          body: upload,
          signedBody: tampered.map((b, i) => (i === 0 ? b : b)).reverse(),
          contentType,
        }),
        400,
        "RELAY_AUTH_BODY_MISMATCH",
      );
    });

    it("every signed route refuses the wrong signer", async () => {
      const id = task.taskId;
      const stranger = chain.creator2;
      expectCode(await signed(stranger, "GET", routePath("getTask", { id })), 403, "RELAY_FORBIDDEN");
      const body = JSON.stringify({ task_id: id.toString(), task_args: task.args });
      for (const signer of [stranger, resultNode]) {
        expectCode(await signed(signer, "POST", argsPath, { body, contentType: json }), 403, "RELAY_FORBIDDEN");
      }
      const { body: upload, contentType } = multipart(task.images);
      for (const signer of [stranger, chain.creator, task.nodes[1] as Address, task.nodes[2] as Address]) {
        expectCode(
          await signed(signer, "POST", routePath("uploadResults", { id }), { body: upload, contentType }),
          403,
          "RELAY_FORBIDDEN",
        );
      }
      for (const signer of [stranger, resultNode]) {
        expectCode(await signed(signer, "GET", routePath("getResultImage", { id, index: 0 })), 403, "RELAY_FORBIDDEN");
      }
    });

    it("broken uploads: truncated, foreign parts, non-PNG, oversize, too many, wrong content type", async () => {
      const path = routePath("uploadResults", { id: task.taskId });
      const { body, contentType } = multipart(task.images);
      expectCode(
        await signed(resultNode, "POST", path, { body: body.subarray(0, body.length - 40), contentType }),
        400,
        "RELAY_INVALID_REQUEST",
      );
      expectCode(
        await signed(resultNode, "POST", path, { body: body.subarray(0, 100), contentType }),
        400,
        "RELAY_INVALID_REQUEST",
      );
      expectCode(
        await signed(resultNode, "POST", path, { body, contentType: "application/octet-stream" }),
        415,
        "RELAY_UNSUPPORTED_MEDIA_TYPE",
      );
      expectCode(
        await signed(resultNode, "POST", path, { body, contentType: "multipart/form-data" }),
        415,
        "RELAY_UNSUPPORTED_MEDIA_TYPE",
      );
      const renamed = Buffer.from(body.toString("latin1").replace('name="images"', 'name="pictures"'), "latin1");
      expectCode(await signed(resultNode, "POST", path, { body: renamed, contentType }), 400, "RELAY_INVALID_REQUEST");
      const field = Buffer.from(body.toString("latin1").replace(/; filename="0.png"/, ""), "latin1");
      expectCode(await signed(resultNode, "POST", path, { body: field, contentType }), 400, "RELAY_INVALID_REQUEST");
      const notPng = multipart([task.images[0] as Uint8Array, new TextEncoder().encode("\x89PNG\r\n\x1a\nnot really")]);
      expectCode(await signed(resultNode, "POST", path, notPng), 422, "RELAY_NOT_PNG");
      const oversize = multipart([task.images[0] as Uint8Array, new Uint8Array(40 * 1024)]);
      expectCode(await signed(resultNode, "POST", path, oversize), 413, "RELAY_PAYLOAD_TOO_LARGE");
      const tooMany = multipart([...task.images, patternPng(3)]);
      expectCode(await signed(resultNode, "POST", path, tooMany), 422, "RELAY_IMAGE_COUNT_MISMATCH");
      // Over the task limit before the first part: a 50 KiB preamble (which multipart parsers skip).
      const preamble = Buffer.concat([Buffer.alloc(50 * 1024, 0x20), Buffer.from("\r\n"), body]);
      expectCode(
        await signed(resultNode, "POST", path, { body: preamble, contentType }),
        413,
        "RELAY_PAYLOAD_TOO_LARGE",
      );
    });

    it("unknown tasks, bad ids and path tricks", async () => {
      expectCode(
        await signed(chain.creator, "GET", routePath("getTask", { id: 4242 })),
        404,
        "RELAY_TASK_NOT_ON_CHAIN",
      );
      expectCode(
        await signed(chain.creator, "GET", routePath("getResultImage", { id: 4242, index: 0 })),
        404,
        "RELAY_TASK_NOT_ON_CHAIN",
      );
      for (const id of ["0", "abc", "1e3", "9".repeat(90), "%00", "1%2F..%2F2", "..", "%2e%2e"]) {
        const answer = await signed(chain.creator, "GET", `/v1/inference_tasks/${id}`);
        statuses.push(answer.status);
        assert.ok([400, 404].includes(answer.status), `${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
        assert.ok(["RELAY_INVALID_REQUEST", "RELAY_NOT_FOUND"].includes(answer.body.error.code));
      }
      // The hold (`?wait=`) takes whole seconds up to 30, and the route takes no other parameter.
      for (const query of ["wait=31", "wait=abc", "wait=-1", "wait=1.5", "wait=", "foo=1"]) {
        for (const route of [`${task.taskId}/results/0`, `${task.taskId}`]) {
          const path = `/v1/inference_tasks/${route}?${query}`;
          expectCode(await signed(chain.creator, "GET", path), 400, "RELAY_INVALID_REQUEST");
        }
      }
      for (const index of ["-1", "1000", "x", "0x1"]) {
        const path = `/v1/inference_tasks/${task.taskId}/results/${index}`;
        const answer = await signed(chain.creator, "GET", path);
        statuses.push(answer.status);
        assert.ok([400, 404].includes(answer.status), `${index}: ${answer.status}`);
      }
      for (const path of [
        "/v1/inference_tasks/../../etc/passwd",
        "/v1/../openapi.json/..%2f..%2f",
        "//etc/passwd",
        "/v2/x",
      ]) {
        const answer = await raw(relay, "GET", path);
        statuses.push(answer.status);
        assert.ok(answer.status >= 400 && answer.status < 500, `${path}: ${answer.status}`);
      }
      expectCode(await raw(relay, "DELETE", routePath("getTask", { id: task.taskId })), 404, "RELAY_NOT_FOUND");
    });

    it("result images carry the task's pixels and nothing else (spec §7)", async () => {
      const path = routePath("uploadResults", { id: task.taskId });
      const [first, second] = task.images as [Uint8Array, Uint8Array];
      const upload = async (images: Uint8Array[], status: number, code: string, pngCode?: string) => {
        const answer = await signed(resultNode, "POST", path, multipart(images));
        expectCode(answer, status, code);
        if (pngCode) assert.equal((answer.body.error.details as { code: string }).code, pngCode);
      };
      // ComfyUI writes the workflow, with local paths, into tEXt: the node must strip it.
      const text = pngChunk("tEXt", new TextEncoder().encode('prompt\0{"ckpt":"/home/op/models/x.safetensors"}'));
      const withText = concatBytes([first.subarray(0, 33), text, first.subarray(33)]);
      await upload([withText, second], 422, "RELAY_NOT_PNG", "PNG_CHUNK_NOT_ALLOWED");
      // A private chunk smuggling 20 KiB to the application, and bytes after IEND.
      const smuggled = concatBytes([
        first.subarray(0, 33),
        pngChunk("hdRn", new Uint8Array(20 * 1024)),
        first.subarray(33),
      ]);
      await upload([first, smuggled], 422, "RELAY_NOT_PNG", "PNG_CHUNK_NOT_ALLOWED");
      await upload([first, concatBytes([second, new Uint8Array([0])])], 422, "RELAY_NOT_PNG", "PNG_TRAILING_DATA");
      // The same pHash at another size: refused from the header.
      await upload([patternPng(1, TEST_IMAGE_SIDE + 8), second], 422, "RELAY_IMAGE_SIZE_MISMATCH", "PNG_WRONG_SIZE");
      // 8192×8192 RGBA-16 (512 MiB of pixels) in a few bytes: refused from its IHDR, nothing allocated.
      const huge = concatBytes([
        PNG_SIGNATURE,
        ihdr(8192, 8192, 16, 6),
        pngChunk("IDAT", deflateSync(new Uint8Array(64))),
        pngChunk("IEND", new Uint8Array()),
      ]);
      await upload([huge, second], 422, "RELAY_IMAGE_SIZE_MISMATCH", "PNG_WRONG_SIZE");
      // The right size, but image data inflating to 30 MiB (a 30 KiB part): stopped at the header's size.
      const bomb = grayPng(TEST_IMAGE_SIDE, TEST_IMAGE_SIDE, [
        pngChunk("IDAT", deflateSync(new Uint8Array(30 * 1024 * 1024))),
      ]);
      assert.ok(bomb.length < 32 * 1024, `${bomb.length}`);
      await upload([bomb, second], 422, "RELAY_NOT_PNG", "PNG_MALFORMED");
      assert.equal((await raw(relay, "GET", "/healthz")).status, 200);
    });

    it("one upload per task at a time: a second while one streams is 409, retryable", async () => {
      const path = routePath("uploadResults", { id: task.taskId });
      const { body, contentType } = multipart(task.images);
      const headers = await api.signedHeaders(resultNode, "POST", path, { body });
      const url = new URL(relay.url);
      // The first upload sends half its body and stalls.
      const first = httpRequest({
        host: url.hostname,
        port: url.port,
        method: "POST",
        path,
        headers: { ...headers, "content-type": contentType, "content-length": String(body.length) },
      });
      const firstDone = new Promise<number>((resolve) => {
        first.on("response", (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        first.on("error", () => resolve(0));
      });
      first.write(body.subarray(0, body.length >> 1));
      const receiving = relay.context.metrics.receiving;
      for (let i = 0; i < 200 && (await receiving.get()).values[0]?.value !== 1; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.equal((await receiving.get()).values[0]?.value, 1);
      const second = await signed(resultNode, "POST", path, { body, contentType });
      expectCode(second, 409, "RELAY_UPLOAD_IN_PROGRESS");
      assert.equal(second.body.error.retryable, true);
      first.destroy();
      await firstDone;
      for (let i = 0; i < 200 && (await receiving.get()).values[0]?.value !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.equal((await receiving.get()).values[0]?.value, 0);
    });

    it("every route refuses query parameters it does not declare", async () => {
      const id = task.taskId;
      for (const path of [
        "/v1/now?foo=1",
        "/v1/limits?x=",
        "/healthz?probe=1",
        "/readyz?a=1",
        "/metrics?format=json",
        "/openapi.json?v=2",
        `/v1/inference_tasks/${id}/status?foo=1`,
      ]) {
        expectCode(await raw(relay, "GET", path), 400, "RELAY_INVALID_REQUEST");
      }
      const body = JSON.stringify({ task_id: id.toString(), task_args: task.args });
      expectCode(
        await signed(chain.creator, "POST", `${argsPath}?foo=1`, { body, contentType: json }),
        400,
        "RELAY_INVALID_REQUEST",
      );
      const upload = multipart(task.images);
      expectCode(
        await signed(resultNode, "POST", `${routePath("uploadResults", { id })}?overwrite=1`, upload),
        400,
        "RELAY_INVALID_REQUEST",
      );
      for (const query of ["wait=1&wait=2", "a=1&a=2"]) {
        expectCode(
          await signed(chain.creator, "GET", `/v1/inference_tasks/${id}?${query}`),
          400,
          "RELAY_INVALID_REQUEST",
        );
      }
      // Signed without the query, sent with it: another digest, another (unknown) signer.
      const headers = await api.signedHeaders(chain.creator, "GET", routePath("getTask", { id }));
      expectCode(await raw(relay, "GET", `${routePath("getTask", { id })}?wait=1`, headers), 403, "RELAY_FORBIDDEN");
    });

    it("a stranger's signature costs no write; the authorised one is spent even when refused", async () => {
      const count = async () =>
        Number(
          (
            await relay.context.db
              .selectFrom("used_signatures")
              .select((eb) => eb.fn.countAll().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await count();
      const path = routePath("getTask", { id: task.taskId });
      for (let i = 0; i < 5; i++) {
        expectCode(await signed(chain.creator2, "GET", path), 403, "RELAY_FORBIDDEN");
        const forged = `0x${(i + 1).toString(16).padStart(2, "0").repeat(32)}${"01".repeat(32)}1c`;
        const headers = await api.signedHeaders(chain.creator, "GET", path);
        const answer = await raw(relay, "GET", path, { ...headers, [HEADER_SIGNATURE]: forged });
        statuses.push(answer.status);
        assert.ok(answer.status === 401 || answer.status === 403, JSON.stringify(answer.body));
      }
      assert.equal(await count(), before);
      // The result node's refused upload spends its signature: replaying it is refused as a replay.
      const resultsPath = routePath("uploadResults", { id: task.taskId });
      const bad = multipart([task.images[1] as Uint8Array, task.images[0] as Uint8Array]);
      const headers = await api.signedHeaders(resultNode, "POST", resultsPath, { body: bad.body });
      const send = () => raw(relay, "POST", resultsPath, { ...headers, "content-type": bad.contentType }, bad.body);
      expectCode(await send(), 422, "RELAY_IMAGE_HASH_MISMATCH");
      expectCode(await send(), 401, "RELAY_AUTH_REPLAYED");
      assert.equal(await count(), before + 1);
    });

    it("malformed HTTP, huge paths and undecodable URLs get the relay's error shape", async () => {
      const long = await raw(relay, "GET", `/v1/inference_tasks/${"1".repeat(20_000)}`);
      expectCode(long, 431, "RELAY_HEADERS_TOO_LARGE");
      expectCode(
        await raw(relay, "GET", `/v1/inference_tasks/${"1".repeat(150)}/status`),
        400,
        "RELAY_INVALID_REQUEST",
      );
      expectCode(await raw(relay, "GET", "/v1/inference_tasks/%E0%A4%A/status"), 400, "RELAY_INVALID_REQUEST");
      for (const request of [
        "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "BREW /healthz HTCPCP/1.0\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
      ]) {
        const answer = await rawHttp(relay, request);
        const [head = "", text = ""] = answer.split("\r\n\r\n");
        assert.match(head, /^HTTP\/1\.1 400 /, answer);
        statuses.push(400);
        const parsed = JSON.parse(text) as RelayErrorBody;
        assert.equal(parsed.error.code, "RELAY_INVALID_REQUEST");
        assert.equal(parsed.error.retryable, false);
      }
      // Two signature headers are one malformed header, not a choice between them.
      const path = routePath("getTask", { id: task.taskId });
      const a = await api.signedHeaders(chain.creator, "GET", path);
      const b = await api.signedHeaders(chain.creator, "GET", path);
      const doubled = await new Promise<{ status: number; body: RelayErrorBody }>((resolve, reject) => {
        const url = new URL(relay.url);
        const req = httpRequest({ host: url.hostname, port: url.port, method: "GET", path }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        });
        req.setHeader(HEADER_TIMESTAMP, a[HEADER_TIMESTAMP] as string);
        req.setHeader(HEADER_SIGNATURE, [a[HEADER_SIGNATURE] as string, b[HEADER_SIGNATURE] as string]);
        req.on("error", reject);
        req.end();
      });
      expectCode(doubled, 400, "RELAY_AUTH_MALFORMED");
    });

    it("answered every bad request with a 4xx, changed nothing, and still takes the good upload", async () => {
      assert.ok(statuses.length > 40);
      assert.deepEqual(
        statuses.filter((s) => s < 400 || s >= 500),
        [],
      );
      assert.deepEqual(await relayState(relay, database.imageDir), before_);
      const stored = await api.uploadResults(resultNode, task.taskId, task.images);
      assert.equal(stored.status, 200);
      const image = await api.image(chain.creator, task.taskId, 1);
      assert.deepEqual(new Uint8Array(await image.arrayBuffer()), task.images[1]);
    });
  });
}
