import { open } from "node:fs/promises";

/** Largest header we accept; real ones are kilobytes to a few megabytes. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * Whether a file is a safetensors model: an 8-byte little-endian header length, then that many
 * bytes of JSON describing the tensors, inside the file. Anything else (an HTML error page, a
 * pickle, a truncated file) is not. Returns the reason it is not, or undefined.
 */
export async function safetensorsProblem(path: string): Promise<string | undefined> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    if (size < 10) return `${size} bytes is too short for a safetensors file`;
    const head = Buffer.alloc(8);
    await file.read(head, 0, 8, 0);
    const length = head.readBigUInt64LE(0);
    if (length < 2n || length > BigInt(MAX_HEADER_BYTES) || length + 8n > BigInt(size)) {
      return `its header length (${length}) does not fit a ${size}-byte safetensors file`;
    }
    const header = Buffer.alloc(Number(length));
    await file.read(header, 0, header.length, 8);
    let parsed: unknown;
    try {
      parsed = JSON.parse(header.toString("utf8"));
    } catch {
      return "its header is not JSON";
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return "its header is not a JSON object";
    return undefined;
  } finally {
    await file.close();
  }
}
