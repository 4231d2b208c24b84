import { assertBodyHash, RelayError, type VerifiedRequest, verifyRequest } from "@hydrogen/protocol";
import type { FastifyRequest } from "fastify";
import type { Hex } from "viem";
import { type TaskRow, taskNodes } from "../db/tasks.ts";
import type { RelayContext } from "./context.ts";
import { nativeKeccak256, recoverSigner } from "./recover.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The verified signer of a signed route's request (set before the body is read). */
    auth?: VerifiedRequest;
  }
}

/**
 * Checks a signed request from its headers alone: the signature, its timestamp window and
 * its single use (in the database). Runs as an onRequest hook, before any body is read.
 */
export function authenticate(context: RelayContext) {
  const { chainId, taskManager } = context.config.chain;
  return async (request: FastifyRequest) => {
    try {
      request.auth = await verifyRequest({
        chainId,
        taskManager: taskManager as Hex,
        method: request.method,
        path: request.url,
        headers: request.headers,
        replay: context.replay,
        recover: recoverSigner,
        keccak: nativeKeccak256,
        windowSeconds: context.config.signatureWindowSeconds,
      });
    } catch (error) {
      const code = (error as { code?: string }).code ?? "unknown";
      context.metrics.authFailures.inc({ code });
      throw error;
    }
  };
}

function signer(request: FastifyRequest): Hex {
  if (!request.auth) throw new RelayError("RELAY_AUTH_MISSING");
  return request.auth.signer;
}

// Both sides are 0x hex addresses; case is the only difference a checksum makes.
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Only the task's creator. */
export function requireCreator(request: FastifyRequest, task: TaskRow): void {
  if (!same(signer(request), task.creator)) {
    throw new RelayError("RELAY_FORBIDDEN", `only task ${task.task_id}'s creator may do this`);
  }
}

/** The creator or one of the three selected nodes. */
export function requireCreatorOrNode(request: FastifyRequest, task: TaskRow): void {
  const who = signer(request);
  if (!same(who, task.creator) && !taskNodes(task).some((node) => same(who, node))) {
    throw new RelayError("RELAY_FORBIDDEN", `only task ${task.task_id}'s creator or its selected nodes may do this`);
  }
}

/** The result node named by TaskSuccess; a selected node asking before it is told to retry. */
export function requireResultNode(request: FastifyRequest, task: TaskRow): void {
  const who = signer(request);
  if (task.result_node === null) {
    if (taskNodes(task).some((node) => same(who, node)) && task.chain_phase !== "aborted") {
      throw new RelayError("RELAY_TASK_NOT_SUCCEEDED", `task ${task.task_id} has no result node yet`);
    }
    throw new RelayError("RELAY_FORBIDDEN", `only task ${task.task_id}'s result node may upload its images`);
  }
  if (!same(who, task.result_node)) {
    throw new RelayError("RELAY_FORBIDDEN", `only task ${task.task_id}'s result node may upload its images`);
  }
}

/** Throws RELAY_AUTH_BODY_MISMATCH unless the body read hashes to the signed hash. */
export function checkBody(request: FastifyRequest, actual: Hex): void {
  assertBodyHash(request.auth?.bodyHash ?? "0x", actual);
}
