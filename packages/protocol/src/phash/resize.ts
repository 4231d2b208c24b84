/**
 * Resizing to 64×64 exactly as nfnt/resize (the library goimagehash uses) does it with its
 * Bilinear filter: fixed-point weights whose support widens with the downscale factor, a
 * horizontal pass into a transposed buffer, the same pass again, integer division that
 * truncates after each pass, 8-bit or 16-bit arithmetic depending on the decoded image kind.
 */
import { BYTES_PER_PIXEL, type DecodedImage } from "./image.ts";

export const SIZE = 64;

/** Samples of an image being resized: 1 (gray), 3 (opaque r, g, b) or 4 (premultiplied r, g, b, a) channels of 8 or 16 bits. */
export interface Plane {
  bits: 8 | 16;
  channels: 1 | 3 | 4;
  width: number;
  height: number;
  /** Always 16-bit storage, so the filter loops see one array type (polymorphic loads cost 2×). */
  data: Uint16Array;
  /** 8-bit RGB source only: the decoded bytes, read directly. */
  bytes?: Uint8Array;
}

/** The plane nfnt reads from an image of this kind (NRGBA is premultiplied with nfnt's own rounding). */
function sourcePlane(image: DecodedImage): Plane {
  const { width, height, pix, kind } = image;
  const n = width * height;
  const size = BYTES_PER_PIXEL[kind];
  const be16 = (o: number) => ((pix[o] as number) << 8) | (pix[o + 1] as number);
  switch (kind) {
    case "gray":
      return { bits: 8, channels: 1, width, height, data: Uint16Array.from(pix) };
    case "gray16": {
      const data = new Uint16Array(n);
      for (let i = 0; i < n; i++) data[i] = be16(2 * i);
      return { bits: 16, channels: 1, width, height, data };
    }
    case "rgb":
      // Read in place by its own first pass (`rgb8Pass`): no 16-bit copy of the largest input kind.
      return { bits: 8, channels: 3, width, height, data: new Uint16Array(0), bytes: pix };
    case "rgba":
      return { bits: 8, channels: 4, width, height, data: Uint16Array.from(pix) };
    case "nrgba": {
      const data = new Uint16Array(n * 4);
      for (let i = 0; i < n * 4; i += 4) {
        const a = pix[i + 3] as number;
        data[i] = Math.trunc(((pix[i] as number) * a) / 0xff);
        data[i + 1] = Math.trunc(((pix[i + 1] as number) * a) / 0xff);
        data[i + 2] = Math.trunc(((pix[i + 2] as number) * a) / 0xff);
        data[i + 3] = a;
      }
      return { bits: 8, channels: 4, width, height, data };
    }
    case "rgba64":
    case "nrgba64": {
      const data = new Uint16Array(n * 4);
      for (let p = 0; p < n; p++) {
        const o = p * size;
        const a = be16(o + 6);
        for (let c = 0; c < 3; c++) {
          const v = be16(o + 2 * c);
          data[p * 4 + c] = kind === "rgba64" ? v : Math.trunc((v * a) / 0xffff);
        }
        data[p * 4 + 3] = a;
      }
      return { bits: 16, channels: 4, width, height, data };
    }
    case "paletted": {
      // nfnt's generic path: At(x, y).RGBA(), 16 bits.
      const data = new Uint16Array(n * 4);
      const palette = image.palette as Uint32Array;
      for (let p = 0; p < n; p++) data.set(palette.subarray((pix[p] as number) * 4, (pix[p] as number) * 4 + 4), p * 4);
      return { bits: 16, channels: 4, width, height, data };
    }
  }
}

interface Weights {
  coeffs: Int32Array;
  start: Int32Array;
  length: number;
}

/** nfnt's createWeights8/16 for the linear kernel (blur 1), for `count` outputs at `scale`. */
function weights(count: number, scale: number, bits: 8 | 16): Weights {
  const length = 2 * Math.trunc(Math.max(Math.ceil(scale), 1));
  const factor = Math.min(1 / scale, 1);
  const unit = bits === 8 ? 256 : 65536;
  const coeffs = new Int32Array(count * length);
  const start = new Int32Array(count);
  for (let y = 0; y < count; y++) {
    let interp = scale * (y + 0.5) - 0.5;
    const first = Math.trunc(interp) - Math.trunc(length / 2) + 1;
    start[y] = first;
    interp -= first;
    for (let i = 0; i < length; i++) {
      const t = Math.abs((interp - i) * factor);
      coeffs[y * length + i] = Math.trunc((t <= 1 ? 1 - t : 0) * unit);
    }
  }
  return { coeffs, start, length };
}

/**
 * The taps of each output sample: source indexes (clamped at the edges as nfnt does) and
 * weights, zero weights dropped, with their sum. They depend only on the output position.
 */
function taps(w: Weights, maxX: number) {
  const index: Int32Array[] = [];
  const weight: Int32Array[] = [];
  const sums: number[] = [];
  for (let y = 0; y < w.start.length; y++) {
    const xs: number[] = [];
    const cs: number[] = [];
    let sum = 0;
    for (let i = 0; i < w.length; i++) {
      const coeff = w.coeffs[y * w.length + i] as number;
      if (coeff === 0) continue;
      const xi = (w.start[y] as number) + i;
      xs.push(xi < 0 ? 0 : Math.min(xi, maxX));
      cs.push(coeff);
      sum += coeff;
    }
    index.push(Int32Array.from(xs));
    weight.push(Int32Array.from(cs));
    sums.push(sum);
  }
  return { index, weight, sums };
}

/** One pass: filters each row of `src` to `count` samples, written transposed (row x of src → column x). */
function pass(src: Plane, count: number, w: Weights): Plane {
  const { channels, width, height } = src;
  const out = new Uint16Array(height * count * channels);
  const { index, weight, sums } = taps(w, width - 1);
  const filter = src.bytes ? rgb8Pass : channels === 4 ? filterRgba : channels === 3 ? filterRgb : filterGray;
  for (let x = 0; x < height; x++) filter(src, x, out, count, index, weight, sums);
  return { bits: src.bits, channels, width: height, height: count, data: out };
}

type Filter = (
  src: Plane,
  x: number,
  out: Uint16Array,
  count: number,
  index: Int32Array[],
  weight: Int32Array[],
  sums: number[],
) => void;

// Weights and samples are never negative: truncation is the floor; only the top needs clamping.
const filterRgba: Filter = (src, x, out, count, index, weight, sums) => {
  const { data, width, height } = src;
  const max = src.bits === 8 ? 0xff : 0xffff;
  const rowStart = x * width * 4;
  for (let y = 0; y < count; y++) {
    const xs = index[y] as Int32Array;
    const cs = weight[y] as Int32Array;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let k = 0; k < xs.length; k++) {
      const c = cs[k] as number;
      const i = rowStart + (xs[k] as number) * 4;
      a0 += c * (data[i] as number);
      a1 += c * (data[i + 1] as number);
      a2 += c * (data[i + 2] as number);
      a3 += c * (data[i + 3] as number);
    }
    const sum = sums[y] as number;
    const o = (y * height + x) * 4;
    out[o] = Math.min(Math.trunc(a0 / sum), max);
    out[o + 1] = Math.min(Math.trunc(a1 / sum), max);
    out[o + 2] = Math.min(Math.trunc(a2 / sum), max);
    out[o + 3] = Math.min(Math.trunc(a3 / sum), max);
  }
};

const filterRgb: Filter = (src, x, out, count, index, weight, sums) => {
  const { data, width, height } = src;
  const max = src.bits === 8 ? 0xff : 0xffff;
  const rowStart = x * width * 3;
  for (let y = 0; y < count; y++) {
    const xs = index[y] as Int32Array;
    const cs = weight[y] as Int32Array;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    for (let k = 0; k < xs.length; k++) {
      const c = cs[k] as number;
      const i = rowStart + (xs[k] as number) * 3;
      a0 += c * (data[i] as number);
      a1 += c * (data[i + 1] as number);
      a2 += c * (data[i + 2] as number);
    }
    const sum = sums[y] as number;
    const o = (y * height + x) * 3;
    out[o] = Math.min(Math.trunc(a0 / sum), max);
    out[o + 1] = Math.min(Math.trunc(a1 / sum), max);
    out[o + 2] = Math.min(Math.trunc(a2 / sum), max);
  }
};

/** `filterRgb` over the decoded 8-bit bytes (a separate function keeps each loop monomorphic). */
const rgb8Pass: Filter = (src, x, out, count, index, weight, sums) => {
  const data = src.bytes as Uint8Array;
  const { width, height } = src;
  const rowStart = x * width * 3;
  for (let y = 0; y < count; y++) {
    const xs = index[y] as Int32Array;
    const cs = weight[y] as Int32Array;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    for (let k = 0; k < xs.length; k++) {
      const c = cs[k] as number;
      const i = rowStart + (xs[k] as number) * 3;
      a0 += c * (data[i] as number);
      a1 += c * (data[i + 1] as number);
      a2 += c * (data[i + 2] as number);
    }
    const sum = sums[y] as number;
    const o = (y * height + x) * 3;
    out[o] = Math.min(Math.trunc(a0 / sum), 0xff);
    out[o + 1] = Math.min(Math.trunc(a1 / sum), 0xff);
    out[o + 2] = Math.min(Math.trunc(a2 / sum), 0xff);
  }
};

const filterGray: Filter = (src, x, out, count, index, weight, sums) => {
  const { data, width, height } = src;
  const max = src.bits === 8 ? 0xff : 0xffff;
  const rowStart = x * width;
  for (let y = 0; y < count; y++) {
    const xs = index[y] as Int32Array;
    const cs = weight[y] as Int32Array;
    let a = 0;
    for (let k = 0; k < xs.length; k++) a += (cs[k] as number) * (data[rowStart + (xs[k] as number)] as number);
    out[y * height + x] = Math.min(Math.trunc(a / (sums[y] as number)), max);
  }
};

/**
 * The image resized to 64×64, or `undefined` when it already is 64×64 (nfnt returns the
 * input unchanged then).
 */
export function resizeTo64(image: DecodedImage): Plane | undefined {
  if (image.width === SIZE && image.height === SIZE) return undefined;
  const plane = sourcePlane(image);
  const temp = pass(plane, SIZE, weights(SIZE, image.width / SIZE, plane.bits));
  return pass(temp, SIZE, weights(SIZE, image.height / SIZE, plane.bits));
}
