import { bytesToHex, type Hex } from "viem";
import { dctLowFrequencies } from "./dct.ts";
import { type DecodedImage, rgb16At } from "./image.ts";
import { decodePng, type PngExpectation } from "./png.ts";
import { type Plane, resizeTo64, SIZE } from "./resize.ts";

/** goimagehash's luminance, from 16-bit channels: note the /256 for blue, as that library does. */
function luminance(r16: number, g16: number, b16: number): number {
  return 0.299 * Math.trunc(r16 / 257) + 0.587 * Math.trunc(g16 / 257) + 0.114 * Math.trunc(b16 / 256);
}

function grayFromPlane(plane: Plane): Float64Array {
  const pixels = new Float64Array(SIZE * SIZE);
  const widen = plane.bits === 8 ? 0x101 : 1;
  for (let p = 0; p < SIZE * SIZE; p++) {
    const o = p * plane.channels;
    const r = (plane.data[o] as number) * widen;
    const g = plane.channels === 1 ? r : (plane.data[o + 1] as number) * widen;
    const b = plane.channels === 1 ? r : (plane.data[o + 2] as number) * widen;
    pixels[p] = luminance(r, g, b);
  }
  return pixels;
}

function grayFromImage(image: DecodedImage): Float64Array {
  const pixels = new Float64Array(SIZE * SIZE);
  const rgb = new Uint32Array(3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      rgb16At(image, x, y, rgb);
      pixels[y * SIZE + x] = luminance(rgb[0] as number, rgb[1] as number, rgb[2] as number);
    }
  }
  return pixels;
}

/**
 * The 64-bit perceptual hash of a decoded image, bit-exact with goimagehash v1.1.0's
 * `PerceptionHash` (spec §8), as 8 big-endian bytes.
 *
 * @example
 * phashImage(decodePng(bytes)) // Uint8Array(8)
 */
export function phashImage(image: DecodedImage): Uint8Array {
  const resized = resizeTo64(image);
  const low = dctLowFrequencies(resized ? grayFromPlane(resized) : grayFromImage(image));
  const sorted = Float64Array.from(low).sort();
  const median = (sorted[31] as number) / 2 + (sorted[32] as number) / 2;
  const hash = new Uint8Array(8);
  for (let i = 0; i < 64; i++) {
    if ((low[i] as number) > median) hash[i >> 3] = (hash[i >> 3] as number) | (0x80 >> (i & 7));
  }
  return hash;
}

/**
 * The perceptual hash of a PNG file: 8 bytes, the chunk that goes on chain for that image.
 * Throws PngError for a file that is not a PNG it can decode; with `expect`, decodes strictly
 * (the dimensions, only essential chunks, nothing after IEND: `decodePng`).
 *
 * @example
 * phashPng(readFileSync("image.png")) // Uint8Array(8)
 */
export function phashPng(bytes: Uint8Array, expect?: PngExpectation): Uint8Array {
  return phashImage(decodePng(bytes, expect));
}

/**
 * `phashPng` as `0x` + 16 hex characters.
 *
 * @example
 * phashPngHex(readFileSync("image.png")) // "0xd16b9112e989b576"
 */
export function phashPngHex(bytes: Uint8Array, expect?: PngExpectation): Hex {
  return bytesToHex(phashPng(bytes, expect));
}
