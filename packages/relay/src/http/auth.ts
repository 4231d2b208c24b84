import {
  assertBodyHash,
  claimSignature,
  HEADER_SESSION,
  RelayError,
  type VerifiedRequest,
  verifyRequest,
  verifySession,
} from "@hydrogen/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Hex } from "viem";
import { type TaskRow, taskNodes } from "../db/tasks.ts";
import type { RelayContext } from "./context.ts";
import { nativeKeccak256, recoverSigner } from "./recover.ts";

declare module "fastify" {
  interface FastifyRequest {
    /**
     * The verified signer of a signed route's request (set before the body is read); null on
     * public routes. A request decorator (`decorateAuth`), so every request has the same shape.
     */
    auth: VerifiedRequest | null;
  }
}

/** Declares `request.auth` on every request (null until a signed route's hook verifies it). */
export function decorateAuth(app: FastifyInstance): void {
  app.decorateRequest("auth", null);
}

/**
 * Checks a signed request from its headers alone: the signature and its timestamp window, and
 * a session delegation when the request carries one (the request then speaks for the account).
 * Runs as an onRequest hook, before any body is read. The signature is recorded as used only
 * once the handler has authorised the signer (`requireCreator` and the others), so a request
 * signed by a random key costs the relay no database write.
 */
export function authenticate(context: RelayContext) {
  const { chainId, taskManager } = context.config.chain;
  return async (request: FastifyRequest) => {
    try {
      const verified = await verifyRequest({
        chainId,
        taskManager: taskManager as Hex,
        method: request.method,
        path: request.url,
        headers: request.headers,
        recover: recoverSigner,
        keccak: nativeKeccak256,
        windowSeconds: context.config.signatureWindowSeconds,
      });
      // A session key's request speaks for the account that delegated to it (spec §7, "Sessions").
      const delegation = request.headers[HEADER_SESSION];
      if (typeof delegation === "string") {
        const { account } = await verifySession({
          chainId,
          taskManager: taskManager as Hex,
          header: delegation,
          sessionKey: verified.signer,
          recover: recoverSigner,
          keccak: nativeKeccak256,
        });
        request.auth = { ...verified, signer: account };
      } else request.auth = verified;
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

/** Records the authorised request's signature as used (RELAY_AUTH_REPLAYED the second time). */
async function claim(context: RelayContext, request: FastifyRequest): Promise<void> {
  if (!request.auth) throw new RelayError("RELAY_AUTH_MISSING");
  await claimSignature(context.replay, request.auth);
}

/** Any signer, acting for itself (its own webhooks); the signature is spent. Returns the account. */
export async function requireAccount(context: RelayContext, request: FastifyRequest): Promise<Hex> {
  const who = signer(request);
  await claim(context, request);
  return who;
}

/** Only the task's creator; then the signature is spent. */
export async function requireCreator(context: RelayContext, request: FastifyRequest, task: TaskRow): Promise<void> {
  if (!same(signer(request), task.creator)) {
    throw new RelayError("RELAY_FORBIDDEN", `only task ${task.task_id}'s creator may do this`);
  }
  await claim(context, request);
}

/** The creator or one of the three selected nodes; then the signature is spent. */
export async function requireCreatorOrNode(
  context: RelayContext,
  request: FastifyRequest,
  task: TaskRow,
): Promise<void> {
  const who = signer(request);
  if (!same(who, task.creator) && !taskNodes(task).some((node) => same(who, node))) {
    throw new RelayError("RELAY_FORBIDDEN", `only task ${task.task_id}'s creator or its selected nodes may do this`);
  }
  await claim(context, request);
}

/**
 * The result node named by TaskSuccess (a selected node asking before it is told to retry);
 * then the signature is spent.
 */
export async function requireResultNode(context: RelayContext, request: FastifyRequest, task: TaskRow): Promise<void> {
  const who = signer(request);
  if (task.result_node === null) {
    if (awaitsSuccess(request, task)) {
      throw new RelayError("RELAY_TASK_NOT_SUCCEEDED", `task ${task.task_id} has no result node yet`);
    }
    throw new RelayError("RELAY_FORBIDDEN", `only task ${task.task_id}'s result node may upload its images`);
  }
  if (!same(who, task.result_node)) {
    throw new RelayError("RELAY_FORBIDDEN", `only task ${task.task_id}'s result node may upload its images`);
  }
  await claim(context, request);
}

/** A selected node asks for what needs TaskSuccess before this relay has seen it (the node may have). */
export function awaitsSuccess(request: FastifyRequest, task: TaskRow): boolean {
  const who = signer(request);
  return task.result_node === null && task.chain_phase !== "aborted" && taskNodes(task).some((node) => same(who, node));
}

/** Throws RELAY_AUTH_BODY_MISMATCH unless the body read hashes to the signed hash. */
export function checkBody(request: FastifyRequest, actual: Hex): void {
  assertBodyHash(request.auth?.bodyHash ?? "0x", actual);
}
