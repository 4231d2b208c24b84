import { createServer, type Server } from "node:http";

/**
 * A misbehaving relay over real HTTP, for the cases an honest relay never produces: it serves
 * whatever the test sets per task (arguments that fail the schema, that do not match the task
 * hash, a body that is not JSON) and accepts nothing.
 */
export async function startFakeRelay() {
  const answers = new Map<string, { status: number; body: string }>();
  const server: Server = createServer((request, response) => {
    // The arguments route, with or without its hold (`?wait=`).
    const match = /^\/v1\/inference_tasks\/(\d+)(?:\?wait=\d+)?$/.exec(request.url ?? "");
    const answer = match ? answers.get(match[1] as string) : undefined;
    request.resume();
    if (request.url === "/v1/now") {
      response.writeHead(200, { "content-type": "application/json" });
      return void response.end(JSON.stringify({ now: Math.floor(Date.now() / 1000) }));
    }
    if (!answer) {
      response.writeHead(409, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: "RELAY_ARGS_NOT_UPLOADED", message: "not yet", retryable: true } }));
      return;
    }
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Serves `taskArgs` as task `taskId`'s arguments. */
    serveArgs(taskId: bigint, taskArgs: string) {
      answers.set(taskId.toString(), {
        status: 200,
        body: JSON.stringify({ task_id: taskId.toString(), task_args: taskArgs, phase: "args_uploaded" }),
      });
    },
    serveRaw(taskId: bigint, status: number, body: string) {
      answers.set(taskId.toString(), { status, body });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
