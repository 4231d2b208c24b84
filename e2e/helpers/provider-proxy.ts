import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type RawData, WebSocket, WebSocketServer } from "ws";

export interface ProviderLimits {
  /** The widest `eth_getLogs` block range answered; wider ones get JSON-RPC -32005. */
  maxLogRange: number;
  /** The most logs one `eth_getLogs` answer may hold; more get JSON-RPC -32005 instead. */
  maxLogResults: number;
  /** Every `rateLimitEvery`-th request is answered HTTP 429 with `Retry-After: 0`. */
  rateLimitEvery: number;
  /** Every `errorEvery`-th request is answered HTTP 502. */
  errorEvery: number;
  /**
   * WebSockets (to the same upstream) are accepted and each is dropped this long after it
   * opened, as providers drop idle or long-lived sockets. Absent: no WebSocket is served.
   */
  dropSocketsAfterMs?: number;
}

/**
 * An HTTP JSON-RPC proxy that behaves like a public provider: it caps `eth_getLogs` block
 * ranges and result counts, rate-limits (429) and fails (502) at set rates, and serves
 * WebSockets that it drops after a while (or none: components fall back to polling). It counts
 * what it refused and dropped, so a test can show the limits were met.
 */
export async function startProviderProxy(target: string, limits: ProviderLimits) {
  let requests = 0;
  const refused = { range: 0, results: 0, rateLimited: 0, errors: 0 };
  const limitError = (id: unknown, message: string) =>
    JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32005, message } });
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    requests++;
    if (requests % limits.rateLimitEvery === 0) {
      refused.rateLimited++;
      response.writeHead(429, { "retry-after": "0", "content-type": "text/plain" }).end("rate limited");
      return;
    }
    if (requests % limits.errorEvery === 0) {
      refused.errors++;
      response.writeHead(502, { "content-type": "text/plain" }).end("bad gateway");
      return;
    }
    const call = JSON.parse(body) as {
      id: unknown;
      method?: string;
      params?: [{ fromBlock?: string; toBlock?: string }];
    };
    const filter = call.method === "eth_getLogs" ? call.params?.[0] : undefined;
    if (filter?.fromBlock?.startsWith("0x") && filter.toBlock?.startsWith("0x")) {
      const blocks = Number(BigInt(filter.toBlock) - BigInt(filter.fromBlock)) + 1;
      if (blocks > limits.maxLogRange) {
        refused.range++;
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(limitError(call.id, `query exceeds max block range ${limits.maxLogRange}`));
        return;
      }
    }
    try {
      const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
      let text = await answer.text();
      const logs = filter ? (JSON.parse(text) as { result?: unknown[] }).result : undefined;
      if (logs && logs.length > limits.maxLogResults) {
        refused.results++;
        text = limitError(call.id, `query returned more than ${limits.maxLogResults} results`);
      }
      response.writeHead(answer.status, { "content-type": "application/json" }).end(text);
    } catch {
      response.writeHead(502).end();
    }
  });
  const dropped = { sockets: 0 };
  const sockets = new WebSocketServer({ noServer: true });
  server.on("upgrade", (request, socket, head) => {
    const after = limits.dropSocketsAfterMs;
    if (after === undefined) return socket.destroy();
    sockets.handleUpgrade(request, socket, head, (client) => {
      const upstream = new WebSocket(target.replace(/^http/, "ws"));
      const pending: RawData[] = [];
      upstream.on("open", () => {
        for (const message of pending.splice(0)) upstream.send(message);
      });
      client.on("message", (message) => {
        if (upstream.readyState === WebSocket.OPEN) upstream.send(message);
        else pending.push(message);
      });
      upstream.on("message", (message) => client.send(message));
      const close = () => {
        clearTimeout(timer);
        client.terminate();
        upstream.terminate();
      };
      const timer = setTimeout(() => {
        dropped.sockets++;
        close();
      }, after);
      client.on("close", close);
      client.on("error", close);
      upstream.on("close", close);
      upstream.on("error", close);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused,
    dropped,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
