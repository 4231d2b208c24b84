import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyInstance } from "fastify";

/**
 * Serves the built web app and, at `/devnet.json`, what it needs to talk to this devnet
 * (RPC and relay URLs, the deployment, the burner wallet).
 */
export async function serveWebApp(options: {
  dir: string;
  host: string;
  port: number;
  config: object;
  /** The devnet's faucet: funds an address with ETH and CNX (`POST /faucet {address}`). */
  faucet?: (address: `0x${string}`) => Promise<{ eth: string; cnx: string }>;
}): Promise<{ url: string; app: FastifyInstance }> {
  if (!existsSync(join(options.dir, "index.html"))) {
    throw new Error(`the web app is not built (no ${join(options.dir, "index.html")}): run npm run build`);
  }
  const app = Fastify({ logger: false });
  app.get("/devnet.json", async (_request, reply) => reply.header("cache-control", "no-store").send(options.config));
  const faucet = options.faucet;
  if (faucet) {
    // Once a minute per address: a devnet convenience, not a way to drain the deployer.
    const last = new Map<string, number>();
    app.post<{ Body: { address?: unknown } }>("/faucet", async (request, reply) => {
      const address = request.body?.address;
      if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address))
        return reply.code(400).send({ error: "give {address}" });
      const key = address.toLowerCase();
      if (Date.now() - (last.get(key) ?? 0) < 60_000) return reply.code(429).send({ error: "once a minute" });
      last.set(key, Date.now());
      return faucet(address as `0x${string}`);
    });
  }
  await app.register(fastifyStatic, { root: options.dir, index: "index.html" });
  // Client-side routes (e.g. /network) load the app too.
  app.setNotFoundHandler((request, reply) =>
    request.method === "GET" && !request.url.includes(".") ? reply.sendFile("index.html") : reply.code(404).send(),
  );
  const address = await app.listen({ host: options.host, port: options.port });
  return { url: address.replace("[::1]", "127.0.0.1"), app };
}
