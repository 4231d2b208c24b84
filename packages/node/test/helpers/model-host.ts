import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";

/** How the host answers for one file. */
export type Behaviour =
  | { kind: "ok" }
  | { kind: "status"; status: number; times?: number }
  | { kind: "drop"; afterBytes: number; times?: number }
  | { kind: "stall"; afterBytes: number; times?: number }
  /** A redirect (e.g. to a login page on another host). */
  | { kind: "redirect"; location: string }
  /** The body as it is, with this content type and no announced length (chunked). */
  | { kind: "unannounced"; contentType?: string };

/** A safetensors file: an 8-byte little-endian header length, a JSON header, then `bytes` of data. */
export function safetensors(bytes = 4096, seed = 1): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      __metadata__: { seed: String(seed) },
      w: { dtype: "U8", shape: [bytes], data_offsets: [0, bytes] },
    }),
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  const data = Buffer.alloc(bytes, seed);
  return Buffer.concat([length, header, data]);
}

/**
 * A model host on 127.0.0.1 that speaks enough of the Hugging Face hub (`/api/models/{repo}`,
 * `/{repo}/resolve/main/{file}`) and plain file URLs (`/files/…`), honours Range requests, and
 * misbehaves on demand: error statuses, connections dropped mid-body, stalled bodies.
 */
export async function startModelHost() {
  const files = new Map<string, Buffer>();
  const behaviours = new Map<string, Behaviour>();
  const repos = new Map<string, { files: string[] } | { status: number }>();
  /** Gated repositories: their files answer 401 without this bearer token (the API still lists them, as the hub does). */
  const gates = new Map<string, string>();
  const types = new Map<string, string>();
  const requests: { path: string; range?: string }[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    requests.push({ path, range: request.headers.range });
    const api = /^\/api\/models\/(.+)$/.exec(path);
    if (api) {
      const repo = repos.get(api[1] as string);
      if (!repo) return void response.writeHead(404).end('{"error":"Repository not found"}');
      if ("status" in repo) return void response.writeHead(repo.status).end();
      response.writeHead(200, { "content-type": "application/json" });
      return void response.end(
        JSON.stringify({
          id: api[1],
          siblings: repo.files.map((rfilename) => ({
            rfilename,
            size: files.get(`/${api[1]}/resolve/main/${rfilename}`)?.length,
          })),
        }),
      );
    }
    const body = files.get(path);
    const behaviour = behaviours.get(path) ?? { kind: "ok" };
    const once = () => {
      if ("times" in behaviour && behaviour.times !== undefined && --behaviour.times <= 0) behaviours.delete(path);
    };
    if (behaviour.kind === "status") {
      once();
      return void response.writeHead(behaviour.status).end("error");
    }
    if (behaviour.kind === "redirect") return void response.writeHead(302, { location: behaviour.location }).end();
    const gate = [...gates].find(([repo]) => path.startsWith(`/${repo}/resolve/`));
    if (gate && request.headers.authorization !== `Bearer ${gate[1]}`) {
      return void response
        .writeHead(401, { "content-type": "application/json" })
        .end('{"error":"Access to model is restricted. You must have access to it and be authenticated."}');
    }
    if (!body) return void response.writeHead(404).end("not found");
    if (behaviour.kind === "unannounced") {
      response.writeHead(200, { "content-type": behaviour.contentType ?? "application/octet-stream" });
      return void response.end(body);
    }
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length && body.length > 0) return void response.writeHead(416).end();
    const slice = body.subarray(start);
    response.writeHead(range ? 206 : 200, {
      "content-type": types.get(path) ?? "application/octet-stream",
      "content-length": String(slice.length),
      ...(range ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (behaviour.kind === "drop" || behaviour.kind === "stall") {
      once();
      response.write(slice.subarray(0, behaviour.afterBytes));
      if (behaviour.kind === "drop") setTimeout(() => request.socket.destroy(), 20);
      return; // a stall: the rest never comes
    }
    response.end(slice);
  });
  // An HTTP CONNECT proxy on the same port, counting the tunnels it opens.
  const proxied: string[] = [];
  server.on("connect", (request: IncomingMessage, client: Socket, head: Buffer) => {
    proxied.push(request.url ?? "");
    const [host, port] = (request.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  return {
    url,
    requests,
    proxied,
    /** A repository with these files (name → bytes). */
    repo(repo: string, contents: Record<string, Buffer>) {
      repos.set(repo, { files: Object.keys(contents) });
      for (const [file, bytes] of Object.entries(contents)) files.set(`/${repo}/resolve/main/${file}`, bytes);
    },
    /** The API answers this status for the repository (401 gated, 403, 410…). */
    repoStatus(repo: string, status: number) {
      repos.set(repo, { status });
    },
    /** A plain URL; returns it. */
    file(path: string, bytes: Buffer, contentType?: string): string {
      files.set(`/files/${path}`, bytes);
      if (contentType) types.set(`/files/${path}`, contentType);
      return `${url}/files/${path}`;
    },
    /** The repository's files need this token (a gated model). */
    gate(repo: string, token: string) {
      gates.set(repo, token);
    },
    behave(path: string, behaviour: Behaviour) {
      behaviours.set(path.startsWith("/") ? path : new URL(path).pathname, behaviour);
    },
    downloadsOf(path: string) {
      return requests.filter((r) => r.path === path);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type ModelHost = Awaited<ReturnType<typeof startModelHost>>;
