import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Devnet, devAccount, ROLES, startDevnet } from "@hydrogen/devnet";
import { runTask } from "@hydrogen/sdk";
import { Command } from "commander";
import { DEFAULT_DEVNET_DIR, sdkClient } from "../connection.ts";
import { EXIT } from "../exit.ts";
import { Output, seconds } from "../output.ts";
import { port, positive } from "../parse.ts";
import { runSummaryJson, summary, writeImages } from "./task.ts";

/** The web app's production build, next to this package in the repository. */
const WEB_DIST = fileURLToPath(new URL("../../../web/dist", import.meta.url));

interface DevnetOptions {
  nodes: number;
  dir: string;
  smoke?: boolean;
  json?: boolean;
  web: boolean;
  blockTime?: number;
  timeout: number;
  rpcPort: number;
  relayPort: number;
  webPort: number;
}

function describe(devnet: Devnet): string {
  const node = (n: Devnet["nodes"][number]) =>
    `  node ${n.index}  ${n.address}  dashboard ${n.apiUrl}/  log ${n.logFile}`;
  return [
    "Hydrogen devnet is running.",
    "",
    `  web app   ${devnet.webUrl ?? "(not built: run npm run build -w packages/web, then restart)"}`,
    `  chain     ${devnet.rpcUrl}  (anvil, chain id ${devnet.chainId})`,
    `  relay     ${devnet.relayUrl}  (API docs ${devnet.relayUrl}/docs, log ${devnet.logs.relay})`,
    `  contracts TaskManager ${devnet.deployment.contracts.TaskManager}`,
    `            NodeRegistry ${devnet.deployment.contracts.NodeRegistry}  CNX ${devnet.deployment.contracts.CNX}`,
    `            task timeout ${devnet.deployment.parameters.taskTimeoutSeconds} s; deployment ${devnet.deploymentFile}`,
    ...devnet.nodes.map(node),
    "",
    "Accounts (anvil's public test keys; never use them on a real chain):",
    ...devnet.accounts.map((a) => `  ${a.role.padEnd(13)} ${a.address}  ${a.privateKey}`),
    "",
    "Try:  npx hydrogen task run --prompt 'a lighthouse at dawn' --num-images 2 --size 256x256 --out images",
    "Ctrl-C stops everything.",
  ].join("\n");
}

function devnetJson(devnet: Devnet) {
  const { close: _close, ...state } = devnet;
  return state;
}

export function devnetCommand(): Command {
  return new Command("devnet")
    .description("start a whole network on this machine: anvil, contracts, relay, synthetic nodes, web app")
    .option("--nodes <n>", "synthetic nodes", positive, 3)
    .option("--dir <dir>", "state and logs (emptied on start)", DEFAULT_DEVNET_DIR)
    .option("--smoke", "run one task end to end, print a summary, stop")
    .option("--json", "print where everything is (or the smoke summary) as JSON")
    .option("--no-web", "do not serve the web app")
    .option("--block-time <s>", "mine a block every s seconds (default: instant mining)", positive)
    .option("--timeout <s>", "the contracts' task timeout", positive, 60)
    .option("--rpc-port <port>", "anvil's port", port, 8545)
    .option("--relay-port <port>", "the relay's port", port, 8787)
    .option("--web-port <port>", "the web app's port", port, 5173)
    .action(async (options: DevnetOptions) => {
      const out = new Output(Boolean(options.json));
      const started = performance.now();
      const webDir = options.web && existsSync(join(WEB_DIST, "index.html")) ? WEB_DIST : undefined;
      const devnet = await startDevnet({
        dir: options.dir,
        nodes: options.nodes,
        blockTimeSeconds: options.blockTime,
        taskTimeoutSeconds: options.timeout,
        webDir,
        // A smoke run never collides with a devnet already running.
        ports: options.smoke ? {} : { anvil: options.rpcPort, relay: options.relayPort, web: options.webPort },
        onStep: (step) => out.progress(`  ${seconds(performance.now() - started).padStart(7)}  ${step} ready`),
      });
      if (options.smoke) {
        process.exitCode = await smoke(devnet, out);
        await devnet.close();
        return;
      }
      out.result(devnetJson(devnet), describe(devnet));
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      out.progress("stopping…");
      await devnet.close();
    });
}

async function smoke(devnet: Devnet, out: Output): Promise<number> {
  const client = sdkClient({
    rpcUrl: devnet.rpcUrl,
    relayUrl: devnet.relayUrl,
    deployment: devnet.deployment,
    account: devAccount(ROLES.app),
    devnet: true,
  });
  try {
    const run = await runTask(client, {
      args: {
        base_model: "stable-diffusion-v1-5/stable-diffusion-v1-5",
        prompt: "smoke test: a lighthouse at dawn",
        task_config: { seed: 42, num_images: 2, image_width: 256, image_height: 256 },
      },
      onProgress: ({ phase, elapsedMs }) => out.progress(`  ${seconds(elapsedMs).padStart(7)}  task ${phase}`),
    });
    const files = writeImages(run, join(devnet.dir, "smoke"));
    out.result({ ok: true, ...runSummaryJson(run, files) }, `smoke test passed\n${summary(run, files)}`);
    return EXIT.ok;
  } catch (error) {
    out.error(`smoke test failed: ${(error as Error).message}`);
    return EXIT.failure;
  }
}
