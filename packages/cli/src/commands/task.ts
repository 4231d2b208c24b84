import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TaskArgsInput } from "@hydrogen/protocol";
import {
  ContractRevertedError,
  cancelTask,
  downloadImages,
  getTask,
  listTasks,
  type RunTaskPhase,
  type RunTaskReturnType,
  runTask,
} from "@hydrogen/sdk";
import { Command } from "commander";
import { type ConnectionOptions, connectionOptions, resolveConnection, sdkClient } from "../connection.ts";
import { CliError } from "../exit.ts";
import { Output, seconds } from "../output.ts";
import { integer, size } from "../parse.ts";

const PHASE_LABELS: Record<RunTaskPhase, string> = {
  created: "task created on chain",
  argsUploaded: "arguments uploaded to the relay",
  executing: "nodes executing",
  committed: "commitments in",
  disclosed: "results disclosed",
  success: "consensus reached",
  images: "images downloaded and verified",
};

interface RunOptions extends ConnectionOptions {
  prompt?: string;
  negativePrompt?: string;
  model?: string;
  seed?: number;
  numImages?: number;
  size?: { width: number; height: number };
  steps?: number;
  args?: string;
  out: string;
  json?: boolean;
}

/** The task arguments from `--args` and the flags (flags win); the schema check is the SDK's. */
export function taskArgsFrom(options: RunOptions): TaskArgsInput {
  let base: Partial<TaskArgsInput> = {};
  if (options.args) {
    try {
      base = JSON.parse(readFileSync(options.args, "utf8")) as Partial<TaskArgsInput>;
    } catch (error) {
      throw new CliError(`cannot read --args ${options.args}: ${(error as Error).message}`);
    }
  }
  const config = { ...(base.task_config ?? {}) } as Record<string, unknown>;
  if (options.seed !== undefined) config.seed = options.seed;
  config.seed ??= Math.floor(Math.random() * 2 ** 31);
  if (options.numImages !== undefined) config.num_images = options.numImages;
  if (options.size) {
    config.image_width = options.size.width;
    config.image_height = options.size.height;
  }
  if (options.steps !== undefined) config.steps = options.steps;
  const args = {
    ...base,
    base_model: options.model ?? base.base_model ?? "stable-diffusion-v1-5/stable-diffusion-v1-5",
    prompt: options.prompt ?? base.prompt,
    ...(options.negativePrompt !== undefined ? { negative_prompt: options.negativePrompt } : {}),
    task_config: config,
  };
  if (args.prompt === undefined) throw new CliError("give --prompt TEXT (or a prompt in --args FILE)");
  return args as TaskArgsInput;
}

/** Writes the images as `task-<id>-<n>.png`; returns the paths. */
export function writeImages(run: RunTaskReturnType, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return run.images.map((image) => {
    const path = join(dir, `task-${run.taskId}-${image.index}.png`);
    writeFileSync(path, image.png);
    return path;
  });
}

/** The one-screen summary of a finished task. */
export function summary(run: RunTaskReturnType, files: string[]): string {
  const phases = (Object.keys(PHASE_LABELS) as RunTaskPhase[])
    .map((phase) => `  ${PHASE_LABELS[phase].padEnd(32)} ${seconds(run.timings[phase]).padStart(8)}`)
    .join("\n");
  return [
    `task ${run.taskId}: success`,
    `  nodes      ${run.created.nodes.join(", ")}`,
    `  fee        ${Number(run.created.fee) / 1e18} CNX`,
    `  gas        ${run.gasUsed} (tx ${run.transactions.join(", ")})`,
    "phases (time since start)",
    phases,
    `images (${files.length}, each pHash checked against the chain)`,
    ...files.map((file, i) => `  ${file}  pHash ${run.images[i]?.phash.slice(2)}`),
  ].join("\n");
}

export function runSummaryJson(run: RunTaskReturnType, files: string[]) {
  return {
    taskId: run.taskId,
    nodes: run.created.nodes,
    result: run.result,
    timingsMs: run.timings,
    gasUsed: run.gasUsed,
    transactions: run.transactions,
    images: run.images.map((image, i) => ({ file: files[i], phash: image.phash, distance: image.distance })),
  };
}

export function taskCommand(env: NodeJS.ProcessEnv): Command {
  const task = new Command("task").description("create tasks and look at them");

  connectionOptions(
    task
      .command("run")
      .description("run a task on the network and write its verified images")
      .option("--prompt <text>", "what to draw")
      .option("--negative-prompt <text>", "what not to draw")
      .option("--model <ref>", "base model: a Hugging Face id or an https .safetensors URL")
      .option("--seed <n>", "0…2^31−1 (random when absent)", integer)
      .option("--num-images <n>", "1…10", integer)
      .option("--size <WxH>", "image size, multiples of 8", size)
      .option("--steps <n>", "1…100", integer)
      .option("--args <file>", "full task arguments (spec §9) as JSON; the flags above override it")
      .requiredOption("--out <dir>", "where to write the PNGs")
      .option("--json", "print the result as JSON"),
  ).action(async (options: RunOptions) => {
    const out = new Output(Boolean(options.json));
    const args = taskArgsFrom(options);
    const client = sdkClient(await resolveConnection(options, env, { account: true, relay: true }));
    const run = await runTask(client, {
      args,
      onProgress: ({ phase, taskId, elapsedMs }) =>
        out.progress(
          `  ${seconds(elapsedMs).padStart(7)}  ${PHASE_LABELS[phase]}${phase === "created" ? ` (task ${taskId})` : ""}`,
        ),
    });
    const files = writeImages(run, resolve(options.out));
    out.result(runSummaryJson(run, files), summary(run, files));
  });

  connectionOptions(
    task
      .command("status")
      .description("where a task is: phase, nodes, rounds, outcome")
      .argument("<id>", "the task id")
      .option("--json", "print as JSON"),
    false,
  ).action(async (id: string, options: ConnectionOptions & { json?: boolean }) => {
    const out = new Output(Boolean(options.json));
    const client = sdkClient(await resolveConnection(options, env));
    const info = await getTask(client, { taskId: taskIdOf(id) });
    const lines = [
      `task ${info.taskId}: ${info.phase}${info.abortReason ? ` (${info.abortReason})` : ""}`,
      `  creator  ${info.creator}`,
      ...info.nodes.map((node, round) => `  round ${round}  ${node}${info.rounds ? `  ${info.rounds[round]}` : ""}`),
      ...(info.deadline ? [`  deadline ${new Date(Number(info.deadline) * 1000).toISOString()}`] : []),
      ...(info.resultNode ? [`  result node ${info.resultNode}`] : []),
    ];
    out.result(info, lines.join("\n"));
  });

  connectionOptions(
    task
      .command("cancel")
      .description("cancel a task after its deadline: the unspent fee comes back to you, unfinished nodes are freed")
      .argument("<id>", "the task id")
      .option("--json", "print as JSON"),
  ).action(async (id: string, options: ConnectionOptions & { json?: boolean }) => {
    const out = new Output(Boolean(options.json));
    const client = sdkClient(await resolveConnection(options, env, { account: true }));
    const taskId = taskIdOf(id);
    let sent: { transactionHash: string; gasUsed: bigint } | undefined;
    try {
      sent = await cancelTask(client, { taskId });
    } catch (error) {
      // Already ended (a node cancels at the deadline too): say how, unless it never existed.
      if (!(error instanceof ContractRevertedError && error.errorName === "TaskNotFound")) throw error;
    }
    const info = await getTask(client, { taskId });
    const state = `${info.phase}${info.abortReason ? ` (${info.abortReason})` : ""}`;
    out.result(
      { taskId, cancelled: Boolean(sent), ...sent, phase: info.phase, abortReason: info.abortReason },
      sent
        ? `task ${taskId} cancelled (tx ${sent.transactionHash}); now ${state}`
        : `task ${taskId} had already ended: ${state}`,
    );
  });

  connectionOptions(
    task
      .command("download")
      .description("download a task's images from the relay, each checked against its on-chain hash")
      .argument("<id>", "the task id")
      .requiredOption("--out <dir>", "where to write the PNGs")
      .option("--timeout <seconds>", "how long to wait for the result node's upload", integer, 120)
      .option("--json", "print as JSON"),
  ).action(async (id: string, options: ConnectionOptions & { json?: boolean; out: string; timeout: number }) => {
    const out = new Output(Boolean(options.json));
    const client = sdkClient(await resolveConnection(options, env, { account: true, relay: true }));
    const taskId = taskIdOf(id);
    const images = await downloadImages(client, { taskId, timeoutMs: options.timeout * 1000 });
    const dir = resolve(options.out);
    mkdirSync(dir, { recursive: true });
    const files = images.map((image) => {
      const path = join(dir, `task-${taskId}-${image.index}.png`);
      writeFileSync(path, image.png);
      return path;
    });
    out.result(
      { taskId, images: images.map((image, i) => ({ file: files[i], phash: image.phash, distance: image.distance })) },
      [
        `task ${taskId}: ${files.length} images, each pHash checked against the chain`,
        ...files.map((f) => `  ${f}`),
      ].join("\n"),
    );
  });

  connectionOptions(
    task
      .command("list")
      .description("your recent tasks and what became of them (reads the chain's logs, bounded)")
      .option("--limit <n>", "at most this many, newest first", integer, 20)
      .option("--blocks <n>", "how many blocks back to look", integer, 50_000)
      .option("--json", "print as JSON"),
  ).action(async (options: ConnectionOptions & { json?: boolean; limit: number; blocks: number }) => {
    const out = new Output(Boolean(options.json));
    const client = sdkClient(await resolveConnection(options, env, { account: true }));
    const tasks = await listTasks(client, { limit: options.limit, blocks: BigInt(options.blocks) });
    const cnx = (wei: bigint) => `${Number(wei) / 1e18} CNX`;
    const lines = tasks.map(
      (t) =>
        `${String(t.taskId).padStart(6)}  ${`${t.phase}${t.abortReason ? ` (${t.abortReason})` : ""}`.padEnd(26)} block ${t.createdBlock}  paid ${cnx(t.paid)}  refunded ${cnx(t.refunded)}`,
    );
    out.result(tasks, tasks.length === 0 ? "no tasks in the blocks searched" : lines.join("\n"));
  });
  return task;
}

function taskIdOf(id: string): bigint {
  if (!/^[1-9]\d*$/.test(id)) throw new CliError(`task id must be a positive integer, got ${id}`);
  return BigInt(id);
}
