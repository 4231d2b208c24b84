/** Writes PNG files: the synthetic engine's output, test vectors and benchmark images (never used by the hash itself). */
import { deflateSync } from "node:zlib";
import { concatBytes } from "./bytes.ts";
import { crc32 } from "./crc32.ts";

export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

export { concatBytes } from "./bytes.ts";

export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function ihdr(width: number, height: number, depth: number, colorType: number, interlace = 0): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([depth, colorType, 0, 0, interlace], 8);
  return pngChunk("IHDR", header);
}

/** A PNG from already-filtered scanlines (each starting with its filter byte). */
export function buildPng(
  width: number,
  height: number,
  depth: number,
  colorType: number,
  scanlines: Uint8Array,
  extra: Uint8Array[] = [],
): Uint8Array {
  return concatBytes([
    PNG_SIGNATURE,
    ihdr(width, height, depth, colorType),
    ...extra,
    pngChunk("IDAT", deflateSync(scanlines)),
    pngChunk("IEND", new Uint8Array()),
  ]);
}

/** A deterministic 8-bit RGB image with gradients and noise, every filter type used; `variant` seeds the noise. */
export function samplePng(width = 512, height = 512, variant = 7): Uint8Array {
  const raw = new Uint8Array(height * (1 + width * 3));
  let seed = variant;
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    raw[row] = y % 5;
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const o = row + 1 + x * 3;
      raw[o] = (x + (seed & 15)) & 0xff;
      raw[o + 1] = (y + ((seed >> 4) & 15)) & 0xff;
      raw[o + 2] = ((x ^ y) + ((seed >> 8) & 15)) & 0xff;
    }
  }
  return buildPng(width, height, 8, 2, raw);
}
