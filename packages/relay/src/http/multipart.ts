import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RelayError } from "@hydrogen/protocol";
import busboy from "busboy";
import type { Hex } from "viem";
import { bodyHasherNative } from "./body-hash.ts";

export interface MultipartLimits {
  /** Largest part. */
  partBytes: number;
  /** Largest whole body. */
  bodyBytes: number;
  /** Most file parts accepted. */
  maxParts: number;
}

/** Hashes and counts the raw body as it streams by; past `limit` it fails with 413. */
class BodyTap extends Transform {
  readonly hasher = bodyHasherNative();
  bytes = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new RelayError("RELAY_PAYLOAD_TOO_LARGE", `the upload exceeds ${this.limit} bytes`));
      return;
    }
    this.hasher.update(chunk);
    callback(null, chunk);
  }
}

/**
 * Streams a multipart/form-data body, handing each file part named `field` (whole, at most
 * `partBytes`) to `onPart` in order, and returns the SHA-256 of the raw body. Every
 * malformation is a RelayError: other fields 400, truncation 400, a part or body too large 413.
 * `onPart` may throw to stop the upload.
 */
export async function readMultipart(
  raw: IncomingMessage,
  headers: IncomingHttpHeaders,
  field: string,
  limits: MultipartLimits,
  onPart: (index: number, bytes: Buffer, info: { filename: string; mimeType: string }) => Promise<void>,
): Promise<Hex> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers,
      limits: { fileSize: limits.partBytes, files: limits.maxParts, fields: 0 },
    });
  } catch (error) {
    throw new RelayError("RELAY_INVALID_REQUEST", `not a multipart/form-data body: ${(error as Error).message}`);
  }
  const tap = new BodyTap(limits.bodyBytes);
  let index = 0;
  let failure: unknown;
  const work: Promise<void>[] = [];
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const fail = (error: unknown) => {
    if (failure) return;
    failure = error;
    stop();
    // Not from inside busboy's own callbacks: it still touches its state after emitting.
    setImmediate(() => parser.destroy(error as Error));
  };
  // Errors after the first are expected fallout of stopping; the first is kept in `failure`.
  parser.on("error", () => undefined);
  // Parts are verified one after another, in order, while later ones keep streaming in.
  let chain = Promise.resolve();
  parser.on("file", (name, stream, info) => {
    if (name !== field) {
      stream.resume();
      fail(new RelayError("RELAY_INVALID_REQUEST", `unexpected part "${name}": send only "${field}" parts`));
      return;
    }
    stream.on("error", () => undefined);
    const position = index++;
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("limit", () =>
      fail(new RelayError("RELAY_PAYLOAD_TOO_LARGE", `image ${position} exceeds ${limits.partBytes} bytes`)),
    );
    const ended = Promise.race([new Promise<void>((resolve) => stream.on("end", resolve)), stopped]);
    chain = chain.then(async () => {
      await ended;
      if (failure) return;
      await onPart(position, Buffer.concat(chunks), { filename: info.filename ?? "", mimeType: info.mimeType });
    });
    work.push(chain.catch(fail));
  });
  const noFields = () => fail(new RelayError("RELAY_INVALID_REQUEST", `send only "${field}" file parts, no fields`));
  parser.on("field", noFields);
  parser.on("fieldsLimit", noFields);
  parser.on("filesLimit", () =>
    fail(new RelayError("RELAY_IMAGE_COUNT_MISMATCH", `more than ${limits.maxParts} images`)),
  );
  try {
    await pipeline(raw, tap, parser);
  } catch (error) {
    failure ??= error;
    stop(); // parts cut off by the failure will never end
  }
  await Promise.all(work);
  if (failure) {
    if (failure instanceof RelayError) throw failure;
    throw new RelayError("RELAY_INVALID_REQUEST", `malformed multipart body: ${(failure as Error).message}`);
  }
  return tap.hasher.digest();
}
