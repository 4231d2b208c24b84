import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TaskArgs } from "@hydrogen/protocol";
import pino from "pino";
import { CachingModelManager, type CachingModelManagerOptions } from "../src/models/caching-manager.ts";
import { ModelInvalidError, ModelUnavailableError } from "../src/models/manager.ts";
import { type ModelHost, safetensors, startModelHost } from "./helpers/model-host.ts";

const log = pino({ level: process.env.NODE_TEST_LOG ?? "silent" });

function args(extra: Partial<TaskArgs> & { base_model: string }): TaskArgs {
  return { prompt: "a cat", task_config: { seed: 1 }, ...extra } as TaskArgs;
}

function soon(ms = 10_000) {
  return { signal: new AbortController().signal, deadline: new Date(Date.now() + ms) };
}

describe("model manager against a real HTTP model host", () => {
  let host: ModelHost;
  before(async () => {
    host = await startModelHost();
  });
  after(async () => {
    await host?.close();
  });

  function manager(options: Partial<CachingModelManagerOptions> = {}) {
    return new CachingModelManager(
      {
        cacheDir: mkdtempSync(join(tmpdir(), "hydrogen-models-")),
        diskBudgetBytes: 10 * 1024 * 1024,
        hfEndpoint: host.url,
        stallMs: 2000,
        backoffMs: 20,
        maxBackoffMs: 100,
        taskBudgetMs: 60_000,
        preload: [],
        ...options,
      },
      { log },
    );
  }

  it("downloads a Hugging Face model once, verified, into ComfyUI's folder, then serves it from the cache", async () => {
    const weights = safetensors(8192, 3);
    host.repo("org/base", {
      "model.safetensors": weights,
      "model.fp16.safetensors": safetensors(16_384, 4),
      "README.md": Buffer.from("#"),
    });
    const models = manager();
    const prepared = await models.prepare(args({ base_model: "org/base" }), soon());
    assert.equal(prepared.base.format, "file");
    assert.match(prepared.base.name ?? "", /^org--base--[0-9a-f]{10}\.safetensors$/);
    assert.ok(prepared.base.path?.includes("/checkpoints/"));
    assert.deepEqual(readFileSync(prepared.base.path as string), weights);
    models.release(prepared);
    await models.prepare(args({ base_model: "org/base" }), soon());
    assert.equal(host.downloadsOf("/org/base/resolve/main/model.safetensors").length, 1);
    assert.equal(host.downloadsOf("/org/base/resolve/main/model.fp16.safetensors").length, 0);
    // Nothing half-written is left behind.
    assert.deepEqual(readdirSync(join(models.cache.dir, ".downloads")), []);
  });

  it("puts each model of a task in its kind's folder (LoRA, ControlNet, VAE, embedding, refiner)", async () => {
    host.repo("org/sdxl", { "sdxl.safetensors": safetensors(64, 5) });
    const lora = host.file("lora/style.safetensors", safetensors(32, 6));
    host.repo("org/cn", { "diffusion_pytorch_model.safetensors": safetensors(32, 7) });
    host.repo("org/vae", { "vae.safetensors": safetensors(32, 8) });
    host.repo("org/ti", { "embedding.safetensors": safetensors(32, 9) });
    host.repo("org/refiner", { "refiner.safetensors": safetensors(32, 10) });
    const prepared = await manager().prepare(
      args({
        base_model: "org/sdxl",
        lora: { model: lora, weight: 50 },
        controlnet: { model: "org/cn", weight: 50, image_dataurl: "data:image/png;base64,AA==" },
        vae: "org/vae",
        textual_inversion: "org/ti",
        refiner: { model: "org/refiner", denoising_cutoff: 80, steps: 10 },
      } as never),
      soon(),
    );
    assert.match(prepared.lora?.path ?? "", /\/loras\/style--[0-9a-f]{10}\.safetensors$/);
    assert.match(prepared.controlnet?.path ?? "", /\/controlnet\//);
    assert.match(prepared.vae?.path ?? "", /\/vae\//);
    assert.match(prepared.textualInversion?.path ?? "", /\/embeddings\//);
    assert.match(prepared.refiner?.path ?? "", /\/checkpoints\//);
  });

  it("fetches a diffusers repository as a folder when it has no single-file checkpoint", async () => {
    host.repo("org/diffusers", {
      "model_index.json": Buffer.from("{}"),
      "unet/config.json": Buffer.from("{}"),
      "unet/diffusion_pytorch_model.safetensors": safetensors(64, 11),
      "unet/diffusion_pytorch_model.fp16.safetensors": safetensors(32, 12),
      "vae/diffusion_pytorch_model.safetensors": safetensors(32, 13),
      "text_encoder/model.safetensors": safetensors(32, 15),
      "text_encoder/model.bf16.safetensors": safetensors(16, 16),
      "tokenizer/vocab.json": Buffer.from("{}"),
      "safety_checker/model.safetensors": safetensors(32, 14),
    });
    const prepared = await manager().prepare(args({ base_model: "org/diffusers" }), soon());
    assert.equal(prepared.base.format, "diffusers");
    const dir = prepared.base.path as string;
    assert.ok(existsSync(join(dir, "model_index.json")));
    assert.ok(existsSync(join(dir, "unet", "diffusion_pytorch_model.safetensors")));
    assert.ok(!existsSync(join(dir, "unet", "diffusion_pytorch_model.fp16.safetensors")));
    assert.ok(!existsSync(join(dir, "safety_checker")));
    assert.ok(existsSync(join(dir, "text_encoder", "model.safetensors")));
    assert.ok(!existsSync(join(dir, "text_encoder", "model.bf16.safetensors")), "a variant the loader does not read");
  });

  it("fetches only the weight files ComfyUI's diffusers loader reads, and refuses a repository without them", async () => {
    host.repo("org/fp16-only", {
      "model_index.json": Buffer.from("{}"),
      "unet/diffusion_pytorch_model.fp16.safetensors": safetensors(32, 41),
      "vae/diffusion_pytorch_model.fp16.safetensors": safetensors(32, 42),
      "text_encoder/model.fp16.safetensors": safetensors(32, 43),
    });
    const prepared = await manager().prepare(args({ base_model: "org/fp16-only" }), soon());
    assert.ok(existsSync(join(prepared.base.path as string, "unet", "diffusion_pytorch_model.fp16.safetensors")));
    for (const [repo, missing] of [
      ["org/bf16-only", "unet/diffusion_pytorch_model.bf16.safetensors"],
      ["org/ema-only", "unet/diffusion_pytorch_model.ema.safetensors"],
    ] as const) {
      host.repo(repo, {
        "model_index.json": Buffer.from("{}"),
        [missing]: safetensors(32, 44),
        "vae/diffusion_pytorch_model.safetensors": safetensors(32, 45),
        "text_encoder/model.safetensors": safetensors(32, 46),
      });
      await assert.rejects(manager().prepare(args({ base_model: repo }), soon()), (error: unknown) => {
        assert.ok(error instanceof ModelInvalidError, String(error));
        assert.match(error.message, /unet\/ has neither diffusion_pytorch_model\.safetensors nor/);
        return true;
      });
    }
    host.repo("org/no-text-encoder", {
      "model_index.json": Buffer.from("{}"),
      "unet/diffusion_pytorch_model.safetensors": safetensors(32, 47),
      "vae/diffusion_pytorch_model.safetensors": safetensors(32, 48),
      "text_encoder/pytorch_model.bin": Buffer.from("pickle"),
    });
    await assert.rejects(
      manager().prepare(args({ base_model: "org/no-text-encoder" }), soon()),
      /text_encoder\/ has neither/,
    );
  });

  for (const status of [404, 410]) {
    it(`calls a model the host answers ${status} for invalid: the task is at fault`, async () => {
      const url = host.file(`gone-${status}.safetensors`, safetensors(16));
      host.behave(url, { kind: "status", status });
      host.repoStatus(`org/gone-${status}`, status);
      for (const ref of [url, `org/gone-${status}`]) {
        await assert.rejects(manager().prepare(args({ base_model: ref }), soon()), (error: unknown) => {
          assert.ok(error instanceof ModelInvalidError, String(error));
          assert.equal(error.code, "MODEL_INVALID");
          return true;
        });
      }
    });
  }

  for (const status of [401, 403]) {
    it(`calls ${status} transient: it is about this node's credentials, not the model`, async () => {
      const url = host.file(`private-${status}.safetensors`, safetensors(16));
      host.behave(url, { kind: "status", status });
      host.repoStatus(`org/private-${status}`, status);
      for (const ref of [url, `org/private-${status}`]) {
        await assert.rejects(
          manager({ taskBudgetMs: 200 }).prepare(args({ base_model: ref }), soon()),
          (error: unknown) => {
            assert.ok(error instanceof ModelUnavailableError, String(error));
            assert.match(error.message, new RegExp(`HTTP ${status}`));
            return true;
          },
        );
      }
    });
  }

  it("downloads a gated model with a token; without one the failure is transient", async () => {
    host.repo("org/gated", { "model.safetensors": safetensors(512, 21) });
    host.gate("org/gated", "hf_secret");
    await assert.rejects(
      manager({ taskBudgetMs: 200 }).prepare(args({ base_model: "org/gated" }), soon()),
      (error: unknown) => error instanceof ModelUnavailableError && /HTTP 401/.test(error.message),
    );
    const prepared = await manager({ hfToken: "hf_secret" }).prepare(args({ base_model: "org/gated" }), soon());
    assert.ok(existsSync(prepared.base.path as string));
  });

  it("calls a 404 reached through a redirect to another host (a login page) transient", async () => {
    const login = await startModelHost();
    try {
      const url = host.file("moved.safetensors", safetensors(16));
      host.behave(url, { kind: "redirect", location: `${login.url}/login?next=/files/moved.safetensors` });
      await assert.rejects(
        manager({ taskBudgetMs: 200 }).prepare(args({ base_model: url }), soon()),
        (error: unknown) => error instanceof ModelUnavailableError && /HTTP 404 \(from http/.test(error.message),
      );
    } finally {
      await login.close();
    }
  });

  it("picks a repository's smallest plain text-to-image file (the SD 1.5 repository's layout)", async () => {
    host.repo("stable-diffusion-v1-5/stable-diffusion-v1-5", {
      "v1-5-pruned.safetensors": safetensors(7700, 31),
      "v1-5-pruned-emaonly.safetensors": safetensors(4200, 32),
      "v1-5-pruned-emaonly-fp16.safetensors": safetensors(2100, 33),
      "sd-v1-5-inpainting.safetensors": safetensors(1000, 34),
      "model_index.json": Buffer.from("{}"),
      "unet/diffusion_pytorch_model.safetensors": safetensors(16, 35),
    });
    const prepared = await manager().prepare(
      args({ base_model: "stable-diffusion-v1-5/stable-diffusion-v1-5" }),
      soon(),
    );
    assert.deepEqual(readFileSync(prepared.base.path as string), safetensors(2100, 33));
  });

  it("calls a repository that does not exist, or holds no safetensors, invalid", async () => {
    await assert.rejects(manager().prepare(args({ base_model: "nobody/nothing" }), soon()), ModelInvalidError);
    host.repo("org/pickle", { "model.ckpt": Buffer.from("pickle") });
    await assert.rejects(manager().prepare(args({ base_model: "org/pickle" }), soon()), /no \.safetensors model/);
  });

  it("calls a complete binary download that is not safetensors invalid and keeps nothing of it", async () => {
    const url = host.file(
      "pickle.safetensors",
      Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x05, 0xff, 0x00, 0x01]),
    );
    const models = manager();
    await assert.rejects(models.prepare(args({ base_model: url }), soon()), (error: unknown) => {
      assert.ok(error instanceof ModelInvalidError);
      assert.match(error.message, /not a safetensors model/);
      return true;
    });
    assert.deepEqual(models.cache.list(), []);
    assert.deepEqual(readdirSync(join(models.cache.dir, ".downloads")), []);
  });

  it("calls an HTML page, or a body of unannounced length, transient: a proxy's or portal's answer", async () => {
    const page = Buffer.from("<html><body>Sign in to download</body></html>");
    const cases = [
      host.file("portal.safetensors", page, "text/html; charset=utf-8"),
      host.file("portal-untyped.safetensors", page),
      host.file("binary-unannounced.safetensors", Buffer.from([0x80, 0x02, 0x7d, 0, 0xff, 0x00, 0x01, 2, 3, 4, 5])),
    ];
    host.behave(cases[2] as string, { kind: "unannounced" });
    for (const url of cases) {
      const models = manager({ taskBudgetMs: 200 });
      await assert.rejects(models.prepare(args({ base_model: url }), soon()), (error: unknown) => {
        assert.ok(error instanceof ModelUnavailableError, `${url}: ${error}`);
        assert.match(error.message, /not a safetensors model/);
        return true;
      });
      assert.deepEqual(models.cache.list(), []);
    }
  });

  it("refuses models that do not fit together, from their headers, and unpins what it cached", async () => {
    const { checkpoints, kohyaLora, writeHeader } = await import("./helpers/model-headers.ts");
    const file = (name: string, header: Record<string, number[]>) => {
      const path = writeHeader(join(mkdtempSync(join(tmpdir(), "hdr-")), name), header);
      return host.file(name, readFileSync(path));
    };
    const base = file("sd15.safetensors", checkpoints.sd15 as Record<string, number[]>);
    const lora = file("xl-lora.safetensors", kohyaLora("sdxl", { textEncoder: false }));
    const models = manager();
    await assert.rejects(
      models.prepare(args({ base_model: base, lora: { model: lora, weight: 100 } }), soon()),
      (error: unknown) => error instanceof ModelInvalidError && error.code === "MODELS_INCOMPATIBLE",
    );
    assert.equal(models.cache.list().length, 2);
    assert.ok(models.cache.list().every((entry) => !models.cache.isPinned(entry.path)));
  });

  for (const status of [429, 500, 503]) {
    it(`retries through HTTP ${status} (transient) and then succeeds`, async () => {
      const url = host.file(`flaky-${status}.safetensors`, safetensors(256, status));
      host.behave(url, { kind: "status", status, times: 2 });
      const prepared = await manager().prepare(args({ base_model: url }), soon());
      assert.ok(existsSync(prepared.base.path as string));
      assert.equal(host.downloadsOf(new URL(url).pathname).length, 3);
    });
  }

  it("calls a host that refuses connections transient", async () => {
    await assert.rejects(
      manager({ taskBudgetMs: 200 }).prepare(args({ base_model: "http://127.0.0.1:9/model.safetensors" }), soon()),
      (error: unknown) => error instanceof ModelUnavailableError,
    );
  });

  it("gives up with a transient error when the host keeps failing past the task's budget", async () => {
    const url = host.file("down.safetensors", safetensors(16));
    host.behave(url, { kind: "status", status: 500 });
    await assert.rejects(
      manager({ taskBudgetMs: 300 }).prepare(args({ base_model: url }), soon()),
      (error: unknown) => {
        assert.ok(error instanceof ModelUnavailableError, String(error));
        return true;
      },
    );
  });

  it("resumes a download whose connection dropped mid-body with a Range request", async () => {
    const weights = safetensors(200_000, 21);
    const url = host.file("big.safetensors", weights);
    host.behave(url, { kind: "drop", afterBytes: 70_000, times: 1 });
    const prepared = await manager().prepare(args({ base_model: url }), soon());
    assert.deepEqual(readFileSync(prepared.base.path as string), weights);
    const fetches = host.downloadsOf(new URL(url).pathname);
    assert.equal(fetches.length, 2);
    assert.equal(fetches[0]?.range, undefined);
    assert.match(fetches[1]?.range ?? "", /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(fetches[1]?.range ?? "")?.[0]) > 0);
  });

  it("abandons a stalled body and resumes it", async () => {
    const weights = safetensors(50_000, 22);
    const url = host.file("slow.safetensors", weights);
    host.behave(url, { kind: "stall", afterBytes: 10_000, times: 1 });
    const prepared = await manager({ stallMs: 200 }).prepare(args({ base_model: url }), soon());
    assert.deepEqual(readFileSync(prepared.base.path as string), weights);
    assert.equal(host.downloadsOf(new URL(url).pathname)[1]?.range, "bytes=10000-");
  });

  it("downloads a model once however many tasks ask for it at the same time", async () => {
    const url = host.file("shared.safetensors", safetensors(100_000, 23));
    const models = manager();
    const all = await Promise.all([1, 2, 3, 4].map(() => models.prepare(args({ base_model: url }), soon())));
    assert.equal(new Set(all.map((p) => p.base.path)).size, 1);
    assert.equal(host.downloadsOf(new URL(url).pathname).length, 1);
  });

  it("evicts the least recently used model under the disk budget, never one in use", async () => {
    const size = safetensors(100_000).length;
    const urls = [1, 2, 3].map((i) => host.file(`lru-${i}.safetensors`, safetensors(100_000, 30 + i)));
    const models = manager({ diskBudgetBytes: size * 2 + 10 });
    const first = await models.prepare(args({ base_model: urls[0] as string }), soon());
    const second = await models.prepare(args({ base_model: urls[1] as string }), soon());
    models.release(second); // the first stays in use
    const third = await models.prepare(args({ base_model: urls[2] as string }), soon());
    assert.ok(existsSync(first.base.path as string), "a model in use is never evicted");
    assert.ok(!existsSync(second.base.path as string), "the least recently used idle model is evicted");
    assert.ok(existsSync(third.base.path as string));
    assert.ok(models.cache.usedBytes <= size * 2 + 10);
    // With every cached model in use, there is no room: the node's trouble, not the task's.
    await assert.rejects(models.prepare(args({ base_model: urls[1] as string }), soon(1000)), ModelUnavailableError);
  });

  it("downloads through an HTTP proxy when configured", async () => {
    const url = host.file("proxied.safetensors", safetensors(64, 40));
    const before = host.proxied.length;
    await manager({ proxy: host.url }).prepare(args({ base_model: url }), soon());
    assert.equal(host.proxied.length, before + 1);
    assert.equal(host.proxied.at(-1), new URL(host.url).host);
  });

  it("preloads the configured models at start", async () => {
    host.repo("org/preloaded", { "p.safetensors": safetensors(64, 41) });
    const models = manager({ preload: [{ ref: "org/preloaded", kind: "checkpoint" }] });
    await models.preload();
    assert.equal(models.cache.list().length, 1);
    assert.equal(models.cache.list()[0]?.ref, "org/preloaded");
    await models.close();
  });

  it("keeps its index across restarts", async () => {
    host.repo("org/persist", { "p.safetensors": safetensors(64, 42) });
    const dir = mkdtempSync(join(tmpdir(), "hydrogen-models-"));
    await manager({ cacheDir: dir }).prepare(args({ base_model: "org/persist" }), soon());
    const requests = host.requests.length;
    await manager({ cacheDir: dir }).prepare(args({ base_model: "org/persist" }), soon());
    assert.equal(host.requests.length, requests);
  });
});
