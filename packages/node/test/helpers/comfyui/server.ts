import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { buildPng } from "@hydrogen/protocol/png-writer";
import { type Folders, objectInfo } from "./object-info.ts";
import { validateWorkflow } from "./validate.ts";

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;
export type Fault = { kind: "oom" } | { kind: "shape" } | { kind: "slow"; ms: number };

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A deterministic grayscale PNG: what "rendering" means here. */
function render(width: number, height: number, seed: number, index: number): Uint8Array {
  const raw = new Uint8Array(height * (1 + width));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      raw[y * (1 + width) + 1 + x] = (x * ((seed % 7) + 1) + y * (index + 2) * 3 + seed) & 0xff;
    }
  }
  return buildPng(width, height, 8, 0, raw);
}

/**
 * A stand-in for a ComfyUI server on 127.0.0.1: the endpoints the engine uses, every workflow
 * validated against the node definitions (`/object_info` format), "execution" that saves
 * `batch_size` deterministic PNGs, and faults on demand (out of memory, shape mismatch, slow).
 */
export async function startFakeComfyUI(
  folders: Partial<Folders> = {},
  options: {
    missing?: string[];
    /** The flags `/system_stats` reports ComfyUI was started with. */
    argv?: string[];
  } = {},
) {
  const state: Folders = {
    checkpoints: [],
    loras: [],
    controlnet: [],
    vae: [],
    diffusers: [],
    input: [],
    embeddings: [],
    ...folders,
  };
  const info = () => {
    const all = objectInfo(state);
    for (const name of options.missing ?? []) delete all[name];
    return all;
  };
  const submitted: { id: string; graph: Graph }[] = [];
  const history = new Map<string, object>();
  const images = new Map<string, Uint8Array>();
  const deleted: string[] = [];
  let interrupts = 0;
  let fault: Fault | undefined;
  /** ComfyUI runs one workflow at a time, in queue order: the head runs, the rest wait. */
  const queue: { id: string; graph: Graph; delay: number }[] = [];
  let running: { id: string; timer: NodeJS.Timeout } | undefined;
  function startNext(): void {
    if (running) return;
    const next = queue.shift();
    if (!next) return;
    running = {
      id: next.id,
      timer: setTimeout(() => {
        history.set(next.id, execute(next.graph));
        running = undefined;
        startNext();
      }, next.delay),
    };
  }

  function execute(graph: Graph): object {
    if (fault?.kind === "oom" || fault?.kind === "shape") {
      const message =
        fault.kind === "oom"
          ? "CUDA out of memory. Tried to allocate 2.00 GiB"
          : "mat1 and mat2 shapes cannot be multiplied (154x2048 and 768x320)";
      fault = undefined;
      return {
        status: {
          status_str: "error",
          completed: false,
          messages: [
            ["execution_error", { node_type: "KSampler", exception_type: "RuntimeError", exception_message: message }],
          ],
        },
        outputs: {},
      };
    }
    const outputs: Record<string, { images: object[] }> = {};
    for (const [nodeId, node] of Object.entries(graph)) {
      if (node.class_type !== "SaveImage") continue;
      const latent = Object.values(graph).find((n) => n.class_type === "EmptyLatentImage")?.inputs ?? {};
      const sampler = Object.values(graph).find((n) => /^KSampler/.test(n.class_type))?.inputs ?? {};
      const seed = Number(sampler.seed ?? sampler.noise_seed ?? 0);
      const list = [];
      for (let i = 0; i < Number(latent.batch_size); i++) {
        const filename = `${String(node.inputs.filename_prefix).split("/").pop()}_${String(i + 1).padStart(5, "0")}_.png`;
        const subfolder = String(node.inputs.filename_prefix).split("/").slice(0, -1).join("/");
        images.set(`${subfolder}/${filename}`, render(Number(latent.width), Number(latent.height), seed, i));
        list.push({ filename, subfolder, type: "output" });
      }
      outputs[nodeId] = { images: list };
    }
    return { status: { status_str: "success", completed: true, messages: [] }, outputs };
  }

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (request.method === "GET" && url.pathname === "/object_info") return send(200, info());
    if (request.method === "GET" && url.pathname === "/embeddings") {
      return send(
        200,
        state.embeddings.map((name) => name.replace(/\.[^./]+$/, "")),
      );
    }
    if (request.method === "GET" && url.pathname === "/system_stats") {
      return send(200, {
        system: {
          os: "posix",
          comfyui_version: "0.3.60",
          python_version: "3.12",
          pytorch_version: "2.7.1+cu126",
          argv: options.argv ?? ["main.py"],
        },
        devices: [{ name: "cuda:0 fake", vram_total: 24e9 }],
      });
    }
    if (request.method === "POST" && url.pathname === "/prompt") {
      const { prompt } = JSON.parse((await body(request)).toString()) as { prompt: Graph };
      const checked = validateWorkflow(prompt, info());
      if (checked.error)
        return send(400, { error: { ...checked.error, details: "" }, node_errors: checked.nodeErrors });
      const id = randomUUID();
      submitted.push({ id, graph: prompt });
      const delay = fault?.kind === "slow" ? fault.ms : 20;
      if (fault?.kind === "slow") fault = undefined;
      queue.push({ id, graph: prompt, delay });
      startNext();
      return send(200, { prompt_id: id, number: submitted.length, node_errors: {} });
    }
    if (request.method === "GET" && url.pathname.startsWith("/history/")) {
      const id = decodeURIComponent(url.pathname.slice("/history/".length));
      const entry = history.get(id);
      return send(200, entry ? { [id]: entry } : {});
    }
    if (request.method === "GET" && url.pathname === "/view") {
      const key = `${url.searchParams.get("subfolder")}/${url.searchParams.get("filename")}`;
      const png = images.get(key);
      if (!png) return send(404, { error: "not found" });
      response.writeHead(200, { "content-type": "image/png" });
      return response.end(png);
    }
    if (request.method === "POST" && url.pathname === "/upload/image") {
      const form = await new Request("http://x/", {
        method: "POST",
        headers: { "content-type": request.headers["content-type"] ?? "" },
        body: (await body(request)) as unknown as BodyInit,
      }).formData();
      const file = form.get("image") as File | null;
      if (!file) return send(400, { error: "no image" });
      state.input.push(file.name);
      return send(200, { name: file.name, subfolder: "", type: "input" });
    }
    if (request.method === "POST" && url.pathname === "/interrupt") {
      // As server.py (ComfyUI ≥ 0.3.60): with a prompt_id, only that workflow if it is the one
      // running; without, whatever runs.
      const { prompt_id: target } = JSON.parse((await body(request)).toString() || "{}") as { prompt_id?: string };
      interrupts++;
      if (running && (target === undefined || target === running.id)) {
        clearTimeout(running.timer);
        history.set(running.id, {
          status: { status_str: "error", completed: false, messages: [["execution_interrupted", {}]] },
          outputs: {},
        });
        running = undefined;
        startNext();
      }
      return send(200, {});
    }
    if (request.method === "POST" && url.pathname === "/queue") {
      const { delete: ids = [] } = JSON.parse((await body(request)).toString() || "{}") as { delete?: string[] };
      deleted.push(...ids);
      for (const id of ids) {
        const at = queue.findIndex((item) => item.id === id);
        if (at >= 0) queue.splice(at, 1);
      }
      return send(200, {});
    }
    send(404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    folders: state,
    submitted,
    deleted,
    get interrupts() {
      return interrupts;
    },
    /** The next workflow fails (or is slow) this way. */
    failNext(next: Fault) {
      fault = next;
    },
    /** Validates a workflow as `/prompt` would, without running it. */
    validate: (graph: Graph) => validateWorkflow(graph, info()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakeComfyUI = Awaited<ReturnType<typeof startFakeComfyUI>>;
