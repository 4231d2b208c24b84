import { open } from "node:fs/promises";
import type { ModelRef } from "@hydrogen/protocol";
import { ModelInvalidError, ModelUnavailableError } from "./manager.ts";

/** Largest header we accept; real ones are kilobytes to a few megabytes. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * A safetensors file's header: an 8-byte little-endian length, then that many bytes of JSON
 * object, inside the file. Returns the parsed object, or the reason the file is not that (an
 * HTML error page, a pickle, a truncated file, a header over `maxBytes`).
 */
export async function readHeader(
  path: string,
  maxBytes = MAX_HEADER_BYTES,
): Promise<{ header: object; problem?: undefined } | { header?: undefined; problem: string }> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    if (size < 10) return { problem: `${size} bytes is too short for a safetensors file` };
    const head = Buffer.alloc(8);
    await file.read(head, 0, 8, 0);
    const length = head.readBigUInt64LE(0);
    if (length < 2n || length > BigInt(maxBytes) || length + 8n > BigInt(size)) {
      return { problem: `its header length (${length}) does not fit a ${size}-byte safetensors file` };
    }
    const bytes = Buffer.alloc(Number(length));
    await file.read(bytes, 0, bytes.length, 8);
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString("utf8"));
    } catch {
      return { problem: "its header is not JSON" };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return { problem: "its header is not a JSON object" };
    return { header: parsed };
  } finally {
    await file.close();
  }
}

/** Why a file is not a safetensors model, or undefined when it is one. */
export async function safetensorsProblem(path: string): Promise<string | undefined> {
  return (await readHeader(path)).problem;
}

/**
 * spec §6: a download that is not a safetensors file is the task's fault only when it is
 * complete (the host announced its length and all of it came) and binary. A text or HTML body
 * is a proxy's, a portal's or a login page, which another node would not see: transient.
 */
export function notSafetensors(
  ref: ModelRef,
  url: string,
  problem: string,
  fetched: { complete: boolean; text: boolean },
): Error {
  const message = `${url} is not a safetensors model: ${problem}`;
  if (fetched.text)
    return new ModelUnavailableError(ref, `${message} (a text page, not a model: a proxy or login page?)`);
  if (!fetched.complete) return new ModelUnavailableError(ref, `${message} (the host did not announce its length)`);
  return new ModelInvalidError(ref, message);
}

/** A text/* or HTML content type, or a first kilobyte that is printable UTF-8 text. */
export async function looksLikeText(path: string, contentType: string): Promise<boolean> {
  if (/^text\/|html|xml|json/i.test(contentType)) return true;
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(1024);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    if (bytesRead === 0) return true;
    const bytes = head.subarray(0, bytesRead);
    if (bytes.some((b) => b < 32 && b !== 9 && b !== 10 && b !== 13)) return false;
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
      return true;
    } catch {
      return false;
    }
  } finally {
    await file.close();
  }
}
