import { EngineUnavailableError } from "../engine.ts";
import type { Workflow } from "./workflow.ts";

/** One node's validation error as ComfyUI's `/prompt` reports it. */
export interface ComfyNodeError {
  type: string;
  message: string;
  details?: string;
  extra_info?: { input_name?: string };
}

/** `/prompt` refused the workflow (HTTP 400). */
export class ComfyPromptError extends Error {
  override readonly name = "ComfyPromptError";
  constructor(
    readonly type: string,
    message: string,
    readonly nodeErrors: Record<string, { errors: ComfyNodeError[]; class_type: string }>,
  ) {
    super(message);
  }
}

export interface ComfyImageRef {
  filename: string;
  subfolder: string;
  type: string;
}

export interface ComfyHistoryEntry {
  status?: { status_str?: string; completed?: boolean; messages?: [string, Record<string, unknown>][] };
  outputs?: Record<string, { images?: ComfyImageRef[] }>;
}

/** What `/object_info` says a node takes: `{ input: { required, optional }, output }`. */
export interface ComfyNodeInfo {
  input: { required?: Record<string, unknown[]>; optional?: Record<string, unknown[]> };
  output: string[];
  output_node?: boolean;
}

/**
 * The few ComfyUI HTTP endpoints the engine uses (ComfyUI's server API): `/prompt`,
 * `/history/{id}`, `/view`, `/upload/image`, `/interrupt`, `/queue`, `/object_info`,
 * `/system_stats`. A server that cannot be reached is `EngineUnavailableError`.
 */
export class ComfyClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 30_000,
  ) {}

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(new URL(path, this.url), {
        ...init,
        signal: init.signal ?? AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new EngineUnavailableError(`ComfyUI at ${this.url} is unreachable: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await this.request(path, init);
    if (!response.ok) throw new EngineUnavailableError(`ComfyUI ${path} answered HTTP ${response.status}`);
    return (await response.json()) as T;
  }

  /** Queues a workflow; resolves with its prompt id. */
  async queue(workflow: Workflow, clientId: string): Promise<string> {
    const response = await this.request("/prompt", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: workflow, client_id: clientId }),
    });
    const body = (await response.json().catch(() => ({}))) as {
      prompt_id?: string;
      error?: { type?: string; message?: string } | string;
      node_errors?: Record<string, { errors: ComfyNodeError[]; class_type: string }>;
    };
    if (response.ok && body.prompt_id) return body.prompt_id;
    const error = typeof body.error === "object" ? body.error : { type: "error", message: String(body.error) };
    throw new ComfyPromptError(
      error.type ?? "error",
      error.message ?? `HTTP ${response.status}`,
      body.node_errors ?? {},
    );
  }

  async history(promptId: string): Promise<ComfyHistoryEntry | undefined> {
    const body = await this.json<Record<string, ComfyHistoryEntry>>(`/history/${encodeURIComponent(promptId)}`);
    return body[promptId];
  }

  async image(ref: ComfyImageRef): Promise<Uint8Array> {
    const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
    const response = await this.request(`/view?${query}`);
    if (!response.ok)
      throw new EngineUnavailableError(`ComfyUI /view ${ref.filename} answered HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Uploads an input image; resolves with the name LoadImage takes. */
  async uploadImage(name: string, png: Uint8Array): Promise<string> {
    const form = new FormData();
    form.append("image", new Blob([png as BlobPart], { type: "image/png" }), name);
    form.append("overwrite", "true");
    const body = await this.json<{ name: string; subfolder?: string }>("/upload/image", { method: "POST", body: form });
    return body.subfolder ? `${body.subfolder}/${body.name}` : body.name;
  }

  /**
   * Removes this workflow from the queue and interrupts it if it is the one running (best
   * effort). The interrupt names the prompt: ComfyUI ≥ 0.3.60 then leaves another task's
   * running workflow alone (older versions ignore the body and stop whatever runs).
   */
  async cancel(promptId: string): Promise<void> {
    const post = (path: string, body?: object) =>
      this.request(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      }).catch(() => undefined);
    await post("/queue", { delete: [promptId] });
    await post("/interrupt", { prompt_id: promptId });
  }

  /** The textual-inversion embeddings ComfyUI can find (`GET /embeddings`: names without extension). */
  embeddings(): Promise<string[]> {
    return this.json("/embeddings");
  }

  objectInfo(): Promise<Record<string, ComfyNodeInfo>> {
    return this.json("/object_info");
  }

  systemStats(): Promise<{
    system?: { comfyui_version?: string; python_version?: string; pytorch_version?: string; argv?: string[] };
    devices?: { name?: string; vram_total?: number }[];
  }> {
    return this.json("/system_stats");
  }
}
