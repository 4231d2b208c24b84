import net from "node:net";

/**
 * A TCP proxy in front of the relay that lets the first image upload (`POST …/results`)
 * through only up to half of its body, then holds the rest: the test can kill the uploader
 * while the relay has a part of the body. Every other connection, and every upload after the
 * first, passes untouched.
 */
export async function startUploadTrap(relayUrl: string) {
  const target = new URL(relayUrl);
  const sockets = new Set<net.Socket>();
  let armed = true;
  let total = 0;
  let sprung: (info: { forwarded: number; total: number }) => void = () => {};
  const caught = new Promise<{ forwarded: number; total: number }>((resolve) => {
    sprung = resolve;
  });

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    upstream.pipe(client);
    let budget = Number.POSITIVE_INFINITY; // bytes of this connection still to forward
    client.on("data", (chunk: Buffer) => {
      if (armed && budget === Number.POSITIVE_INFINITY) {
        // A client writes a request's head in one piece: look for the upload's request line.
        const text = chunk.toString("latin1", 0, Math.min(chunk.length, 8192));
        const end = text.indexOf("\r\n\r\n");
        if (end >= 0 && /^POST \/v1\/inference_tasks\/\d+\/results/.test(text)) {
          armed = false;
          total = Number(/content-length:\s*(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
          budget = end + 4 + Math.floor(total / 2);
        }
      }
      if (budget === Number.POSITIVE_INFINITY) {
        upstream.write(chunk);
        return;
      }
      const pass = chunk.subarray(0, Math.max(0, budget));
      budget -= pass.length;
      if (pass.length) upstream.write(pass);
      if (budget <= 0) sprung({ forwarded: Math.floor(total / 2), total }); // the rest is held
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    /** Resolves once half of the first upload's body has reached the relay. */
    caught,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
