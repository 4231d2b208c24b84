import { ContractRevertError } from "@hydrogen/chain";
import {
  buildResult,
  ChainTaskPhaseValue,
  generateSalt,
  makeCommitment,
  nextDelay,
  PngError,
  parseTaskArgsJson,
  phashPng,
  type RelayClient,
  RelayError,
  RelayUnreachableError,
  stripPng,
  type TaskArgs,
  taskHash,
  Wakeup,
} from "@hydrogen/protocol";
import type { Logger } from "pino";
import { BaseError, InsufficientFundsError } from "viem";
import type { NodeChain } from "../chain/contracts.ts";
import type { Engine } from "../engines/engine.ts";
import { failpoint } from "../failpoints.ts";
import type { NodeMetrics } from "../metrics.ts";
import type { ModelManager } from "../models/manager.ts";
import { filterUnsafe, type SafetyChecker } from "../safety/checker.ts";
import { type NodeStore, outcomeOf, type TaskRecord, TaskReplacedError } from "../store/store.ts";
import { type Action, type ChainView, decide } from "./decide.ts";
import { NotReadyError, TaskFaultError, TransientError } from "./errors.ts";
import { type TaskState, transitions } from "./state.ts";

export interface RunnerOptions {
  /** First retry delay after a transient fault; doubles up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** How often a waiting task re-reads the chain when no event woke it. */
  pollIntervalMs: number;
  /** Settled tasks kept in the store. */
  keepHistory: number;
  /**
   * Blocks past its rollback an orphaned task (its creation reorganised away) waits to be
   * created again before it is given up. Default 256.
   */
  orphanBlocks?: number;
}

export interface RunnerDependencies {
  store: NodeStore;
  chain: NodeChain;
  relay: RelayClient;
  engine: Engine;
  models: ModelManager;
  /** Applied to every image of a task that asks for it (`safety_checker`), before hashing. */
  safety: SafetyChecker;
  metrics: NodeMetrics;
  log: Logger;
  /** Asks the chain follower to read on now (its cursor must pass a block before a task settles). */
  catchUp?(): void;
}

interface Worker {
  wake(): void;
  /** The block the follower must apply before this task can settle (see `work`). */
  settlesAt?: bigint;
  /** Stops a running engine when the task ends on chain under it. */
  execution: AbortController;
  done: Promise<void>;
}

/**
 * Drives every open task to the end, one abortable loop per task: read the chain, decide the
 * next step from the store and the chain (`decide`), do it, persist the new state, repeat.
 * Because every step starts from the store and a fresh chain read, a node killed at any
 * point resumes where it was (spec §6.4).
 */
export class TaskRunner {
  private readonly workers = new Map<bigint, Worker>();
  private signal: AbortSignal | undefined;

  constructor(
    private readonly options: RunnerOptions,
    private readonly deps: RunnerDependencies,
  ) {}

  /** Resumes every open task from the store and runs until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const task of this.deps.store.openTasks()) this.spawn(task.taskId);
  }

  /** A new task, or events about known ones, arrived. */
  notify(taskIds: Iterable<bigint>): void {
    for (const taskId of taskIds) {
      const worker = this.workers.get(taskId);
      if (!worker) {
        this.spawn(taskId);
        continue;
      }
      const reason = this.deps.store.task(taskId)?.abortReason;
      // Cancelled and disagreeing tasks free every node: stop drawing.
      if (reason === "Cancelled" || reason === "ResultsDisagree") worker.execution.abort();
      worker.wake();
    }
  }

  /** The follower applied up to `block`: tasks waiting for it to settle look again. */
  cursorMoved(block: bigint): void {
    for (const worker of this.workers.values()) {
      if (worker.settlesAt !== undefined && block >= worker.settlesAt) worker.wake();
    }
  }

  get running(): bigint[] {
    return [...this.workers.keys()];
  }

  /** Resolves when every task loop has stopped (after the start signal aborted). */
  async stopped(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.done));
  }

  private spawn(taskId: bigint): void {
    const signal = this.signal;
    if (!signal || signal.aborted || this.workers.has(taskId)) return;
    const wakeup = new Wakeup();
    const worker: Worker = {
      wake: () => wakeup.wake(),
      execution: new AbortController(),
      done: Promise.resolve(),
    };
    this.workers.set(taskId, worker);
    worker.done = this.work(taskId, worker, wakeup, signal)
      .catch((error: unknown) => this.deps.log.error({ err: error, taskId: String(taskId) }, "task loop failed"))
      .finally(() => this.workers.delete(taskId));
  }

  private async work(taskId: bigint, worker: Worker, wakeup: Wakeup, signal: AbortSignal) {
    const log = this.deps.log.child({ taskId: String(taskId) });
    const idle = (ms: number) => wakeup.wait(ms, signal);
    let backoff = 0;
    // A view read just before a quick local step (fetch, execute, adopt) still holds after it:
    // nothing but this node's own transactions would change its round.
    let fresh: { view: ChainView; at: number } | undefined;
    // The first block at which the chain showed the task over: once the follower has applied it,
    // payments and slashes are on record. (Not the latest block: with confirmations the cursor
    // stays behind the head for as long as blocks keep coming.)
    let overAt: bigint | undefined;
    while (!signal.aborted) {
      const task = this.deps.store.task(taskId);
      if (!task || task.state.phase === "settled") return;
      let action: Action = { kind: "wait", reason: "not read yet" };
      try {
        if (task.orphanedAt !== undefined) {
          if (await this.givenUp(task, log)) return;
          await idle(this.options.pollIntervalMs);
          continue;
        }
        const reuse = fresh !== undefined && Date.now() - fresh.at < this.options.pollIntervalMs;
        // A view read now sees whatever the wakes so far announced.
        if (!reuse) wakeup.clear();
        const view = reuse && fresh ? fresh.view : await this.deps.chain.view(taskId, task.round);
        fresh = undefined;
        const readAt = Date.now();
        action = decide(task.state, view);
        if (action.kind === "wait") {
          log.debug({ phase: task.state.phase, reason: action.reason }, "waiting");
          await idle(this.options.pollIntervalMs);
          continue;
        }
        if (action.kind === "settle") {
          overAt ??= view.block;
          worker.settlesAt = overAt;
          const cursor = this.deps.store.cursor() ?? -1n;
          if (cursor < overAt) {
            // The follower may have no announced block to read up to (it hears of this node's blocks only).
            this.deps.catchUp?.();
            await idle(this.options.pollIntervalMs);
            continue;
          }
          // A reorganisation may have undone the end seen then (the chain is read unconfirmed):
          // settle only when the task is over at a block whose logs are all applied.
          if (decide(task.state, await this.deps.chain.view(taskId, task.round, cursor)).kind !== "settle") {
            log.info({ overAt: String(overAt), cursor: String(cursor) }, "the task's end is gone from the chain");
            overAt = undefined;
            worker.settlesAt = undefined;
            await idle(this.options.pollIntervalMs);
            continue;
          }
          this.settle(task, log);
          return;
        }
        // The engine and the model downloads stop when the task ends on chain or the node shuts down.
        await this.perform(task, action, view, AbortSignal.any([worker.execution.signal, signal]), log);
        if (action.kind === "fetch" || action.kind === "execute" || action.kind === "adopt")
          fresh = { view, at: readAt };
        backoff = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof TaskReplacedError) {
          log.warn("a reorganisation gave this task's id to another task: its work is dropped");
          continue;
        }
        if (worker.execution.signal.aborted) {
          // The task ended on chain and its work was stopped: not a failure of this node's.
          await idle(this.options.pollIntervalMs);
          continue;
        }
        backoff = await this.recover(task, action, error, backoff, idle, log);
      }
    }
  }

  /**
   * Whether an orphan (its creation reorganised away) is given up, and then forgets it: when
   * the chain holds a task of that id at a block whose logs are all applied — created again,
   * but not for this node, or it would be an orphan no more — or when it was not created
   * again within `orphanBlocks`. Until then it waits, salt and images kept.
   */
  private async givenUp(task: TaskRecord, log: Logger): Promise<boolean> {
    const cursor = this.deps.store.cursor() ?? -1n;
    const view = await this.deps.chain.view(task.taskId, task.round, cursor);
    // Read again after the chain: the follower may have applied the task's creation meanwhile.
    const orphanedAt = this.deps.store.task(task.taskId)?.orphanedAt;
    if (orphanedAt === undefined) return false;
    const expired = cursor > orphanedAt + BigInt(this.options.orphanBlocks ?? 256);
    if (view.phase === ChainTaskPhaseValue.None && !expired) return false;
    this.deps.store.forgetOrphan(task.taskId);
    log.warn(
      { orphanedAt: String(orphanedAt), cursor: String(cursor), recreated: view.phase !== ChainTaskPhaseValue.None },
      "a reorganisation removed this task's creation and it was not created again for this node: given up",
    );
    return true;
  }

  /** Handles a failed step; returns the next backoff. */
  private async recover(
    task: TaskRecord,
    action: Action,
    error: unknown,
    backoff: number,
    idle: (ms: number) => Promise<void>,
    log: Logger,
  ): Promise<number> {
    if (error instanceof TaskFaultError && (task.state.phase === "assigned" || task.state.phase === "fetched")) {
      log.warn({ code: error.code, reason: error.message }, "the task is at fault; reporting the error");
      this.save(task, transitions.faulted(task.state, error.code, error.message));
      return 0;
    }
    if (error instanceof NotReadyError) {
      log.debug({ code: error.code, step: action.kind }, "not ready yet");
      const next = nextDelay(backoff, { firstMs: 20, maxMs: 500 });
      await idle(next);
      return next;
    }
    const next = nextDelay(backoff, { firstMs: this.options.backoffMs, maxMs: this.options.maxBackoffMs });
    const code = this.noteFailure(task, action.kind, error);
    const fields = { step: action.kind, retryInMs: next, err: error };
    if (error instanceof ContractRevertError)
      log.info({ ...fields, revert: error.errorName }, "chain refused the step");
    else log.warn({ ...fields, code }, "step failed; retrying");
    await idle(next);
    return next;
  }

  /**
   * A failed step the node will retry: kept with the task (the dashboard shows it, and a task
   * that ends unpaid counts as missed for its code) and counted by step and code. Returns the code.
   */
  private noteFailure(task: TaskRecord, step: string, error: unknown): string {
    const { code, reason } = describeFailure(error);
    this.deps.store.recordFailure(task.taskId, { step, code, reason });
    this.deps.metrics.stepFailures.inc({ step, code });
    return code;
  }

  private async perform(task: TaskRecord, action: Action, view: ChainView, execution: AbortSignal, log: Logger) {
    const { chain } = this.deps;
    const { state, taskId, round } = task;
    switch (action.kind) {
      case "fetch":
        return this.fetchArgs(task, log);
      case "execute":
        return this.execute(task, view, execution, log);
      case "commit": {
        const held = state as Extract<TaskState, { phase: "executed" | "committed" | "disclosed" }>;
        const commitment = makeCommitment(taskId, chain.address, held.result, held.salt);
        const { hash } = await chain.commit(taskId, round, commitment);
        log.info({ tx: hash }, "commitment sent");
        if (state.phase === "executed") this.save(task, transitions.committed(state, hash));
        return;
      }
      case "reportError": {
        const { hash } = await chain.reportError(taskId, round);
        log.info({ tx: hash }, "error reported");
        if (state.phase === "faulted") this.save(task, transitions.errorReported(state, hash));
        return;
      }
      case "disclose": {
        const held = state as Extract<TaskState, { phase: "committed" | "disclosed" }>;
        const { hash } = await chain.disclose(taskId, round, held.result, held.salt);
        log.info({ tx: hash }, "result disclosed");
        if (state.phase === "committed") this.save(task, transitions.disclosed(state, hash));
        return;
      }
      case "upload":
        return this.upload(task, log);
      case "reportUploaded": {
        const { hash } = await chain.reportUploaded(taskId, round);
        log.info({ tx: hash }, "upload reported");
        if (state.phase === "uploaded") this.save(task, transitions.reported(state, hash));
        return;
      }
      case "cancel": {
        const { hash } = await chain.cancel(taskId);
        log.info({ tx: hash, deadline: Number(view.deadline) }, "task cancelled after its deadline");
        return;
      }
      case "adopt": {
        log.info({ as: action.as }, "the chain is ahead of the store (restart after a mined transaction)");
        const next =
          action.as === "committed"
            ? transitions.committed(state)
            : action.as === "errorReported"
              ? transitions.errorReported(state)
              : transitions.disclosed(state);
        return this.save(task, next);
      }
      case "settle":
      case "wait":
        return;
    }
  }

  /** Fetches and checks the arguments: a relay that serves wrong ones is the relay's fault, not the task's. */
  private async fetchArgs(task: TaskRecord, log: Logger): Promise<void> {
    let argsJson: string;
    try {
      // The relay holds the request until the creator uploads them (nodes see the task first).
      argsJson = (await this.deps.relay.getTask(task.taskId, { waitSeconds: ARGS_HOLD_SECONDS })).task_args;
    } catch (error) {
      throw relayFault(error);
    }
    const fetchedAt = Date.now();
    if (typeof argsJson !== "string" || taskHash(argsJson) !== task.taskHash) {
      throw new TransientError("RELAY_ARGS_MISMATCH", "the relay served arguments that do not match the task hash");
    }
    const parsed = parseTaskArgsJson(argsJson);
    if (!parsed.ok) {
      const reason = parsed.violations.map((v) => `${v.path || "(root)"}: ${v.message}`).join("; ");
      throw new TaskFaultError("TASK_ARGS_INVALID", `the task arguments fail the schema: ${reason}`);
    }
    log.info({ images: parsed.args.task_config.num_images }, "arguments fetched and verified");
    this.save(task, transitions.argsVerified(task.state), { args: argsJson, marks: { argsFetched: fetchedAt } });
  }

  /** Models, engine, pHash; then result, salt and images are persisted together before anything is committed. */
  private async execute(task: TaskRecord, view: ChainView, signal: AbortSignal, log: Logger): Promise<void> {
    const parsed = parseTaskArgsJson(task.args ?? "");
    if (!parsed.ok) throw new TaskFaultError("TASK_ARGS_INVALID", "stored arguments fail the schema");
    const args: TaskArgs = parsed.args;
    const deadline = new Date(Number(view.deadline) * 1000);
    const models = await this.deps.models.prepare(args, {
      signal,
      deadline,
      onRetry: (error) => this.noteFailure(task, "download", error),
    });
    const engineStart = Date.now();
    let images: Uint8Array[];
    try {
      images = await this.deps.engine.run({ taskId: task.taskId, args, models, signal });
    } finally {
      this.deps.models.release?.(models);
    }
    const engineEnd = Date.now();
    if (images.length !== args.task_config.num_images) {
      throw new TransientError(
        "ENGINE_BAD_OUTPUT",
        `engine made ${images.length} of ${args.task_config.num_images} images`,
      );
    }
    let hashes: Uint8Array[];
    let flagged: number[] = [];
    let checked = engineEnd;
    const size = { width: args.task_config.image_width, height: args.task_config.image_height };
    try {
      // Only the chunks a PNG needs leave this node (spec §7): engines write their workflow,
      // with local paths, into text chunks, and the relay refuses any but the essential ones.
      images = images.map((png) => stripPng(png));
      if (args.task_config.safety_checker) {
        const filtered = await filterUnsafe(this.deps.safety, images);
        ({ images, flagged } = filtered);
        if (flagged.length > 0) {
          const scores = flagged.map((i) => filtered.verdicts[i]?.scores);
          log.info({ flagged, scores }, "the safety checker flagged images: they are replaced by black ones");
        }
        checked = Date.now();
        this.deps.metrics.safetySeconds.observe((checked - engineEnd) / 1000);
        this.deps.metrics.safetyImages.inc({ verdict: "flagged" }, flagged.length);
        this.deps.metrics.safetyImages.inc({ verdict: "passed" }, images.length - flagged.length);
      }
      // Strictly, as the relay will: an image it would refuse is never committed to.
      hashes = images.map((png) => phashPng(png, size));
    } catch (error) {
      if (error instanceof PngError)
        throw new TransientError("ENGINE_BAD_OUTPUT", `engine made an image the relay refuses: ${error.message}`);
      throw error;
    }
    const hashed = Date.now();
    const result = buildResult(hashes);
    this.deps.metrics.engineSeconds.observe((engineEnd - engineStart) / 1000);
    log.info(
      { images: images.length, flagged, engineMs: engineEnd - engineStart, checkAndHashMs: hashed - engineEnd },
      "task executed",
    );
    this.save(task, transitions.executed(task.state, result, generateSalt(), images.length), {
      images,
      marks: { engineStart, engineEnd, checked, hashed },
    });
  }

  private async upload(task: TaskRecord, log: Logger): Promise<void> {
    const images = this.deps.store.images(task.taskId);
    try {
      await this.deps.relay.uploadResults(task.taskId, images);
    } catch (error) {
      // Uploaded before a crash: the relay has exactly these images already.
      if (!(error instanceof RelayError && error.code === "RELAY_RESULTS_ALREADY_UPLOADED")) throw relayFault(error);
    }
    failpoint("sent:upload");
    log.info({ images: images.length }, "images uploaded to the relay");
    this.save(task, transitions.uploaded(task.state));
  }

  private settle(task: TaskRecord, log: Logger): void {
    this.save(task, transitions.settled(task.state));
    const settled = this.deps.store.task(task.taskId);
    const outcome = settled ? outcomeOf(settled) : undefined;
    this.deps.metrics.tasks.inc({ outcome: outcome ?? "unknown" });
    const missed = settled && outcome !== "paid" && outcome !== "slashed" ? settled.lastFailure : undefined;
    if (missed) {
      this.deps.metrics.missedTasks.inc({ code: missed.code });
      log.warn(
        { outcome, code: missed.code, step: missed.step, reason: missed.reason, failures: missed.count },
        "task missed: this node could not do its part",
      );
    } else log.info({ outcome, paidWei: settled?.paidWei.toString(), from: task.state.phase }, "task settled");
    this.deps.store.prune(this.options.keepHistory);
  }

  /** Persists a transition (with what belongs to it) and records how long the previous phase took. */
  private save(task: TaskRecord, next: TaskState, extra?: Parameters<NodeStore["saveState"]>[2]): void {
    // Refused if a reorganisation gave the task's id to another task while this step ran.
    this.deps.store.saveState(task.taskId, next, { ...extra, taskHash: task.taskHash });
    const since = task.timings[task.state.phase] ?? task.receivedAt;
    this.deps.metrics.phaseSeconds.observe({ phase: task.state.phase }, (Date.now() - since) / 1000);
    task.state = next;
    failpoint(`after:${next.phase}`);
  }
}

/**
 * How long the relay may hold an arguments request: short, so a node that stops meanwhile is
 * not held up; a longer wait just asks again.
 */
const ARGS_HOLD_SECONDS = 3;

/** A relay failure as the task loop sees it: never the task's fault. */
function relayFault(error: unknown): Error {
  if (error instanceof RelayError) {
    if (error.code === "RELAY_ARGS_NOT_UPLOADED" || error.code === "RELAY_TASK_NOT_ON_CHAIN")
      return new NotReadyError(error.code, error.message, { cause: error });
    return new TransientError(error.code, error.message, { cause: error });
  }
  if (error instanceof RelayUnreachableError)
    return new TransientError("RELAY_UNREACHABLE", error.message, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * A failure as the operator reads it: a stable code and one line of reason. A transaction the
 * node cannot pay for says so (`NODE_INSUFFICIENT_GAS`); viem's errors give their detail.
 */
export function describeFailure(error: unknown): { code: string; reason: string } {
  if (error instanceof BaseError) {
    // Nodes answer "insufficient funds" in their own words and codes (anvil: -32003).
    const poor = error.walk(
      (e) => e instanceof InsufficientFundsError || /insufficient funds/i.test((e as Error).message ?? ""),
    );
    const reason = `${error.shortMessage}${error.details ? `: ${error.details}` : ""}`.slice(0, 500);
    if (poor) return { code: "NODE_INSUFFICIENT_GAS", reason: `the node's account cannot pay for gas: ${reason}` };
    return { code: error.name, reason };
  }
  const code = String((error as { code?: unknown }).code ?? (error as Error).name ?? "UNKNOWN");
  return { code, reason: ((error as Error).message ?? String(error)).split("\n")[0]?.slice(0, 500) ?? "" };
}
