import { PngError, type PngExpectation, RelayError, splitResult } from "@hydrogen/protocol";
import type { FastifyReply } from "fastify";
import { relayPhase, taskImageSize } from "../../db/tasks.ts";
import { awaitsSuccess, checkBody, requireCreator, requireResultNode } from "../auth.ts";
import type { RelayContext } from "../context.ts";
import { holdForSuccess, holdForUpload } from "../hold.ts";
import { readMultipart } from "../multipart.ts";
import type { RouteImplementation, RouteImplementations } from "../route-schema.ts";
import { loadTask } from "../task-lookup.ts";

/** Result images: the result node uploads them, verified against its disclosed pHashes; the creator downloads them. */
export function resultRoutes(context: RelayContext): Pick<RouteImplementations, "uploadResults" | "getResultImage"> {
  const { metrics, config } = context;
  // Tasks whose upload this instance is receiving: one at a time per task (spec §7).
  const receiving = new Set<string>();

  const uploadResults: RouteImplementation<{ Params: { id: string } }> = {
    handler: async (request, reply) => {
      let task = await loadTask(context, request.params.id);
      if (awaitsSuccess(request, task)) {
        const held = await holdForSuccess(context, task, config.successHoldSeconds, reply.raw);
        if (!held) return reply;
        task = held;
      }
      await requireResultNode(context, request, task);
      if (task.chain_phase === "aborted") throw new RelayError("RELAY_TASK_ENDED", `task ${task.task_id} was aborted`);
      if (relayPhase(task) === "results_uploaded") {
        throw new RelayError("RELAY_RESULTS_ALREADY_UPLOADED", `task ${task.task_id}'s images are already stored`);
      }
      const contentType = request.headers["content-type"] ?? "";
      if (!/^multipart\/form-data\s*;/i.test(contentType)) {
        throw new RelayError("RELAY_UNSUPPORTED_MEDIA_TYPE", "send the images as multipart/form-data");
      }
      if (Number(request.headers["content-length"] ?? 0) > config.limits.taskBytes) {
        throw new RelayError("RELAY_PAYLOAD_TOO_LARGE", `the upload exceeds ${config.limits.taskBytes} bytes`);
      }
      const expected = splitResult((task.result ?? "0x") as `0x${string}`);
      const size = taskImageSize(task);
      if (receiving.has(task.task_id)) {
        throw new RelayError("RELAY_UPLOAD_IN_PROGRESS", `task ${task.task_id}'s images are being uploaded`);
      }
      receiving.add(task.task_id);
      metrics.receiving.inc();
      const staged = context.images.begin(task.task_id);
      const refuse = (error: RelayError) => {
        metrics.verificationFailures.inc({ code: error.code });
        return error;
      };
      let count = 0;
      try {
        const bodyHash = await readMultipart(
          request.raw,
          request.headers,
          "images",
          { partBytes: config.limits.imageBytes, bodyBytes: config.limits.taskBytes, maxParts: expected.length },
          async (index, png) => {
            const hash = await hashUpload(context, png, size, index).catch((error: unknown) => {
              throw error instanceof RelayError ? refuse(error) : error;
            });
            if (hash !== expected[index]) {
              throw refuse(
                new RelayError(
                  "RELAY_IMAGE_HASH_MISMATCH",
                  `image ${index}'s pHash ${hash} differs from the disclosed ${expected[index]}`,
                  { index, expected: expected[index], actual: hash },
                ),
              );
            }
            await staged.add(index, png);
            count = index + 1;
          },
        );
        checkBody(request, bodyHash);
        if (count !== expected.length) {
          throw refuse(
            new RelayError("RELAY_IMAGE_COUNT_MISMATCH", `received ${count} images, the task has ${expected.length}`),
          );
        }
        await context.db.transaction().execute(async (trx) => {
          const marked = await trx
            .updateTable("tasks")
            .set({ images_uploaded_at: Date.now() })
            .where("task_id", "=", task.task_id)
            .where("images_uploaded_at", "is", null)
            .where("purged_at", "is", null)
            .executeTakeFirst();
          if (marked.numUpdatedRows === 0n) {
            throw new RelayError("RELAY_RESULTS_ALREADY_UPLOADED", `task ${task.task_id}'s images are already stored`);
          }
          await staged.commit(trx);
        });
      } catch (error) {
        await staged.discard();
        metrics.uploads.inc({ kind: "results", outcome: "rejected" });
        throw error;
      } finally {
        receiving.delete(task.task_id);
        metrics.receiving.dec();
      }
      context.uploads.notify("images", task.task_id);
      metrics.uploads.inc({ kind: "results", outcome: "stored" });
      metrics.uploadedImages.inc(count);
      request.log.info({ task: task.task_id, images: count }, "result images stored");
      return { task_id: task.task_id, images: count };
    },
  };

  const getResultImage: RouteImplementation<{ Params: { id: string; index: string }; Querystring: { wait?: string } }> =
    {
      handler: async (request, reply: FastifyReply) => {
        const loaded = await loadTask(context, request.params.id);
        await requireCreator(context, request, loaded);
        const index = Number(request.params.index);
        const task = await holdForUpload(context, "images", loaded, Number(request.query.wait ?? 0), reply.raw);
        if (!task) return reply; // the client left while held
        if (task.images_uploaded_at === null) {
          if (task.chain_phase === "aborted")
            throw new RelayError("RELAY_TASK_ENDED", `task ${task.task_id} was aborted`);
          throw new RelayError("RELAY_RESULTS_NOT_UPLOADED", `task ${task.task_id}'s images are not uploaded yet`);
        }
        const images = splitResult((task.result ?? "0x") as `0x${string}`).length;
        if (index >= images) {
          throw new RelayError("RELAY_IMAGE_INDEX_OUT_OF_RANGE", `task ${task.task_id} has ${images} images`);
        }
        const png = await context.images.read(context.db, task.task_id, index);
        if (!png) throw new Error(`image ${index} of task ${task.task_id} is marked stored but missing`);
        return reply.type("image/png").header("cache-control", "private, max-age=86400, immutable").send(png);
      },
    };

  return { uploadResults, getResultImage };
}

/** An uploaded image's pHash, decoded strictly in a hashing thread; a refused image is a 422. */
async function hashUpload(context: RelayContext, png: Uint8Array, size: PngExpectation, index: number) {
  try {
    return await context.hasher.hash(png, size);
  } catch (error) {
    if (!(error instanceof PngError)) throw error;
    const code = error.code === "PNG_WRONG_SIZE" ? "RELAY_IMAGE_SIZE_MISMATCH" : "RELAY_NOT_PNG";
    throw new RelayError(code, `image ${index}: ${error.message}`, { index, code: error.code });
  }
}
