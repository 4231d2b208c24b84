import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runNode } from "@hydrogen/node";
import { Command } from "commander";
import { CliError, EXIT } from "../exit.ts";
import { Output } from "../output.ts";

interface ApiOptions {
  api: string;
  token?: string;
  dataDir: string;
  json?: boolean;
}

function token(options: ApiOptions, env: NodeJS.ProcessEnv): string {
  const given = options.token ?? env.HYDROGEN_NODE_API_TOKEN;
  if (given) return given;
  const file = join(options.dataDir, "api-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  throw new CliError(
    `no API token: give --token, set HYDROGEN_NODE_API_TOKEN, or point --data-dir at the node's (${file} is missing)`,
  );
}

/** Calls the running node's management API. */
async function callApi(options: ApiOptions, env: NodeJS.ProcessEnv, path: string, method = "GET"): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, options.api), {
      method,
      headers: { authorization: `Bearer ${token(options, env)}` },
    });
  } catch (error) {
    throw new CliError(
      `the node's API at ${options.api} is unreachable (is the node running?): ${(error as Error).message}`,
      EXIT.unavailable,
    );
  }
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!response.ok) {
    const code = response.status === 401 ? EXIT.usage : response.status >= 500 ? EXIT.failure : EXIT.refused;
    throw new CliError(`${body.error?.code ?? response.status}: ${body.error?.message ?? "request failed"}`, code);
  }
  return body;
}

function apiOptions(command: Command): Command {
  return command
    .option("--api <url>", "the node's management API", "http://127.0.0.1:8788")
    .option("--token <token>", "API token (env HYDROGEN_NODE_API_TOKEN; default: <data-dir>/api-token)")
    .option("--data-dir <dir>", "the node's data directory", "./hydrogen-node")
    .option("--json", "print the answer as JSON");
}

export function nodeCommand(env: NodeJS.ProcessEnv): Command {
  const node = new Command("node").description("run a node, and manage a running one");
  node
    .command("start")
    .description("run the node daemon (configuration: docs/node.md)")
    .option("--config <file>", "node.json (env HYDROGEN_NODE_CONFIG)")
    .action(async (options: { config?: string }) => {
      process.exitCode = await runNode(options.config ? ["--config", options.config] : []);
    });
  for (const action of ["join", "pause", "resume", "quit"] as const) {
    apiOptions(node.command(action).description(`${action} the network (through the running node)`)).action(
      async (options: ApiOptions) => {
        const answer = await callApi(options, env, `/api/actions/${action}`, "POST");
        new Output(Boolean(options.json)).result(answer, `${action}: ${JSON.stringify(answer)}`);
      },
    );
  }
  apiOptions(node.command("status").description("the node's staking status, tasks and earnings")).action(
    async (options: ApiOptions) => {
      const status = (await callApi(options, env, "/api/status")) as Record<string, unknown>;
      const text = Object.entries(status)
        .map(([key, value]) => `${key.padEnd(14)} ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
        .join("\n");
      new Output(Boolean(options.json)).result(status, text);
    },
  );
  return node;
}
