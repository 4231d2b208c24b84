import { mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ModelRef, TaskArgs } from "@hydrogen/protocol";
import { nextDelay, sleep } from "@hydrogen/protocol";
import type { Logger } from "pino";
import { type Dispatcher, ProxyAgent } from "undici";
import { TaskFaultError } from "../task/errors.ts";
import { type CacheEntry, ModelCache } from "./cache.ts";
import { checkCompatible } from "./compat.ts";
import { fetchFile } from "./download.ts";
import { fileUrl, hubHeaders, planRepo, type RepoPlan } from "./huggingface.ts";
import {
  type ModelFile,
  ModelInvalidError,
  type ModelManager,
  ModelUnavailableError,
  type PreparedModels,
  type PrepareOptions,
} from "./manager.ts";
import { cacheName, DIFFUSERS_FOLDER, KIND_FOLDERS, type ModelKind, parseRef } from "./refs.ts";
import { looksLikeText, notSafetensors, safetensorsProblem } from "./safetensors.ts";

export interface CachingModelManagerOptions {
  cacheDir: string;
  diskBudgetBytes: number;
  /** `https://huggingface.co`, or a mirror. */
  hfEndpoint: string;
  /** For gated or private repositories. */
  hfToken?: string;
  /** An HTTP(S) proxy for every download, e.g. `http://proxy.internal:3128`. */
  proxy?: string;
  /** An attempt with no byte for this long is abandoned (and retried). */
  stallMs: number;
  /** First retry delay; doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** At most this long per task for its downloads, within the task's deadline. */
  taskBudgetMs: number;
  /** Models fetched at start, before any task asks. */
  preload: { ref: ModelRef; kind: ModelKind }[];
}

export interface ModelMetrics {
  downloads: { inc(labels: { outcome: string }): void };
  downloadBytes: { inc(value: number): void };
  cacheBytes: { set(value: number): void };
  evictions: { inc(value?: number): void };
}

const ROLES: { role: keyof PreparedModels; kind: ModelKind; ref: (args: TaskArgs) => ModelRef | undefined }[] = [
  { role: "base", kind: "checkpoint", ref: (a) => a.base_model },
  { role: "lora", kind: "lora", ref: (a) => a.lora?.model },
  { role: "controlnet", kind: "controlnet", ref: (a) => a.controlnet?.model },
  { role: "vae", kind: "vae", ref: (a) => a.vae },
  { role: "textualInversion", kind: "embedding", ref: (a) => a.textual_inversion },
  { role: "refiner", kind: "checkpoint", ref: (a) => a.refiner?.model },
];

/**
 * The model cache of spec §6.2: models keyed by reference in ComfyUI's folder layout, downloaded
 * when missing (range resume, retries with capped backoff within the task's budget, one
 * download per model however many tasks wait for it), verified (size, safetensors header) and
 * moved into place only when whole, checked to belong together (`checkCompatible`), evicted least-recently-used under a disk budget but never
 * while a task uses them.
 */
export class CachingModelManager implements ModelManager {
  readonly cache: ModelCache;
  private readonly inflight = new Map<string, Promise<CacheEntry>>();
  private readonly dispatcher: Dispatcher | undefined;
  private readonly closing = new AbortController();
  private readonly retryListeners = new Set<(ref: ModelRef, error: Error) => void>();

  constructor(
    private readonly options: CachingModelManagerOptions,
    private readonly deps: { log: Logger; metrics?: ModelMetrics },
  ) {
    this.cache = new ModelCache(options.cacheDir, options.diskBudgetBytes);
    this.dispatcher = options.proxy ? new ProxyAgent(options.proxy) : undefined;
    deps.metrics?.cacheBytes.set(this.cache.usedBytes);
  }

  async prepare(args: TaskArgs, options: PrepareOptions): Promise<PreparedModels> {
    const deadline = Math.min(options.deadline.getTime(), Date.now() + this.options.taskBudgetMs);
    const wanted = ROLES.flatMap((r) => {
      const ref = r.ref(args);
      return ref ? [{ ...r, ref }] : [];
    });
    // Failed attempts of the downloads this task waits for (shared with other tasks) reach its caller.
    const listener = (ref: ModelRef, error: Error) => {
      if (wanted.some((w) => w.ref === ref)) options.onRetry?.(error);
    };
    this.retryListeners.add(listener);
    const settled = await Promise.allSettled(
      wanted.map((w) => this.ensure(w.ref, w.kind, options.signal, deadline)),
    ).finally(() => this.retryListeners.delete(listener));
    const entries = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failure) {
      for (const entry of entries) this.cache.unpin(entry.path);
      // A confirmed-invalid model is the task's fault even if another download merely failed.
      const fault = settled.find((s) => s.status === "rejected" && s.reason instanceof TaskFaultError);
      throw (fault as PromiseRejectedResult | undefined)?.reason ?? failure.reason;
    }
    const models = {} as PreparedModels;
    wanted.forEach((w, i) => {
      const entry = entries[i] as CacheEntry;
      const file: ModelFile = {
        ref: w.ref,
        path: join(this.options.cacheDir, entry.path),
        name: entry.path.slice(entry.path.indexOf("/") + 1),
        format: entry.format,
      };
      models[w.role] = file;
    });
    try {
      await checkCompatible(models);
    } catch (error) {
      this.release(models);
      throw error;
    }
    return models;
  }

  release(models: PreparedModels): void {
    for (const file of Object.values(models) as ModelFile[]) {
      if (file.path) this.cache.unpin(file.path.slice(this.options.cacheDir.length + 1));
    }
  }

  /** Fetches the configured models in the background; failures are logged, not fatal. */
  preload(): Promise<void> {
    const far = Date.now() + 24 * 3600_000;
    return Promise.all(
      this.options.preload.map(({ ref, kind }) =>
        this.ensure(ref, kind, this.closing.signal, far)
          .then((entry) => this.cache.unpin(entry.path))
          .catch((error: Error) => this.deps.log.warn({ ref, err: error.message }, "preloading a model failed")),
      ),
    ).then(() => undefined);
  }

  async close(): Promise<void> {
    this.closing.abort(new Error("the node is shutting down"));
    await this.dispatcher?.close();
  }

  /** The cached model (pinned for the caller), downloading it first when missing. */
  async ensure(ref: ModelRef, kind: ModelKind, signal: AbortSignal, deadline: number): Promise<CacheEntry> {
    const key = `${kind}:${ref}`;
    let entry = this.lookup(ref, kind);
    if (!entry) {
      let pending = this.inflight.get(key);
      if (!pending) {
        pending = this.downloadWithRetries(ref, kind, deadline).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      entry = await abortable(pending, signal);
    }
    this.cache.pin(entry.path);
    return entry;
  }

  private lookup(ref: ModelRef, kind: ModelKind): CacheEntry | undefined {
    const name = cacheName(ref);
    return (
      this.cache.get(`${KIND_FOLDERS[kind]}/${name}.safetensors`) ??
      (kind === "checkpoint" ? this.cache.get(`${DIFFUSERS_FOLDER}/${name}`) : undefined)
    );
  }

  private async downloadWithRetries(ref: ModelRef, kind: ModelKind, deadline: number): Promise<CacheEntry> {
    let backoff = this.options.backoffMs;
    const log = this.deps.log.child({ ref, kind });
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new ModelUnavailableError(ref, `no time left in the task's download budget for ${ref}`);
      const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(remaining)]);
      try {
        const entry = await this.download(ref, kind, signal, log);
        this.deps.metrics?.downloads.inc({ outcome: "ok" });
        return entry;
      } catch (error) {
        const outcome = error instanceof ModelInvalidError ? "invalid" : "failed";
        this.deps.metrics?.downloads.inc({ outcome });
        if (error instanceof ModelInvalidError || this.closing.signal.aborted) throw error;
        const wrapped =
          error instanceof ModelUnavailableError
            ? error
            : new ModelUnavailableError(ref, `downloading ${ref}: ${(error as Error).message}`, { cause: error });
        log.warn({ attempt, err: wrapped.message, retryInMs: backoff }, "model download failed; retrying");
        for (const listener of this.retryListeners) listener(ref, wrapped);
        if (Date.now() + backoff >= deadline) throw wrapped;
        // Closing the manager ends the wait (and the download) at once.
        await sleep(backoff, this.closing.signal);
        backoff = nextDelay(backoff, { firstMs: this.options.backoffMs, maxMs: this.options.maxBackoffMs });
      }
    }
  }

  private async download(ref: ModelRef, kind: ModelKind, signal: AbortSignal, log: Logger): Promise<CacheEntry> {
    const parsed = parseRef(ref);
    const name = cacheName(ref);
    const hub = { endpoint: this.options.hfEndpoint, token: this.options.hfToken, dispatcher: this.dispatcher, signal };
    const plan: RepoPlan =
      parsed.source === "url"
        ? { format: "file", file: parsed.url }
        : await planRepo(ref, parsed.repo, kind === "checkpoint", hub);
    const staging = join(this.options.cacheDir, ".downloads", `${KIND_FOLDERS[kind]}--${name}`);
    const headers = parsed.source === "huggingface" ? hubHeaders(hub) : {};
    const fetchOne = async (url: string, part: string) => {
      mkdirSync(dirname(part), { recursive: true });
      let lastLog = 0;
      const started = Date.now();
      const fetched = await fetchFile({
        ref,
        url,
        partPath: part,
        headers,
        dispatcher: this.dispatcher,
        signal,
        stallMs: this.options.stallMs,
        onProgress: (received, total) => {
          if (Date.now() - lastLog < 5000) return;
          lastLog = Date.now();
          log.info(
            { url, received, total, percent: total ? Math.floor((received / total) * 100) : undefined },
            "downloading model",
          );
        },
      });
      const { bytes } = fetched;
      this.deps.metrics?.downloadBytes.inc(bytes);
      log.info({ url, bytes, ms: Date.now() - started }, "model file downloaded");
      if (part.endsWith(".safetensors.part")) {
        const problem = await safetensorsProblem(part);
        if (problem) {
          const text = await looksLikeText(part, fetched.contentType);
          rmSync(part, { force: true });
          throw notSafetensors(ref, url, problem, { ...fetched, text });
        }
      }
      return bytes;
    };

    let path: string;
    let bytes = 0;
    if (plan.format === "file") {
      const url = parsed.source === "url" ? parsed.url : fileUrl(hub.endpoint, parsed.repo, plan.file);
      const part = `${staging}.safetensors.part`;
      bytes = await fetchOne(url, part);
      path = `${KIND_FOLDERS[kind]}/${name}.safetensors`;
      this.place(ref, bytes, part, path);
    } else {
      for (const file of plan.files) {
        bytes += await fetchOne(
          fileUrl(hub.endpoint, (parsed as { repo: string }).repo, file),
          join(staging, `${file}.part`),
        );
      }
      for (const file of plan.files) renameSync(join(staging, `${file}.part`), join(staging, file));
      path = `${DIFFUSERS_FOLDER}/${name}`;
      this.place(ref, bytes, staging, path);
    }
    const entry: CacheEntry = { ref, kind, format: plan.format, path, bytes, lastUsed: Date.now() };
    this.cache.add(entry);
    this.deps.metrics?.cacheBytes.set(this.cache.usedBytes);
    return entry;
  }

  /** Makes room under the budget, then moves the verified download into place in one rename. */
  private place(ref: ModelRef, bytes: number, from: string, to: string): void {
    const evicted = this.cache.makeRoom(ref, bytes);
    if (evicted.length > 0) {
      this.deps.metrics?.evictions.inc(evicted.length);
      this.deps.log.info({ evicted: evicted.map((e) => e.path) }, "evicted least recently used models");
    }
    const target = join(this.options.cacheDir, to);
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { recursive: true, force: true });
    renameSync(from, target);
    if (statSync(target).isFile() && statSync(target).size !== bytes) {
      throw new ModelUnavailableError(ref, `${to} has the wrong size after placing it`);
    }
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
