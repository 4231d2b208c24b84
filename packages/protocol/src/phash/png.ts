import { crc32, inflate } from "#zlib";
import { concatBytes } from "./bytes.ts";
import { PngError } from "./errors.ts";
import type { DecodedImage, ImageKind } from "./image.ts";
import { BYTES_PER_PIXEL } from "./image.ts";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Larger images are refused before any allocation. */
const MAX_PIXELS = 1 << 26;
/** The largest image a task can ask for (spec §9: sides up to 2048). */
export const MAX_RESULT_PIXELS = 2048 * 2048;
/** The chunks a PNG needs to carry its pixels; strict decoding accepts no other (spec §7). */
export const ESSENTIAL_CHUNKS: ReadonlySet<string> = new Set(["IHDR", "PLTE", "tRNS", "IDAT", "IEND"]);

/**
 * Strict decoding, for images that travel between parties (spec §7): the exact dimensions,
 * only the essential chunks, nothing after IEND, at most MAX_RESULT_PIXELS.
 */
export interface PngExpectation {
  width: number;
  height: number;
}

const COLOR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Adam7: x offset, y offset, x step, y step of each pass. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

interface Chunks {
  header: Header;
  palette?: Uint8Array;
  transparency?: Uint8Array;
  data: Uint8Array;
}

/** Walks the chunks: `visit` gets each chunk's type and its whole span (length, type, body, CRC). */
function walkChunks(
  bytes: Uint8Array,
  visit: (type: string, body: Uint8Array, start: number, end: number) => void,
): number {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b))
    throw new PngError("PNG_NOT_PNG", "not a PNG file (bad signature)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  for (;;) {
    if (offset + 12 > bytes.length) throw new PngError("PNG_TRUNCATED", "the file ends before IEND");
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const start = offset + 8;
    const end = start + length;
    if (length > 0x7fffffff || end + 4 > bytes.length)
      throw new PngError("PNG_TRUNCATED", `chunk ${type} runs past the end of the file`);
    if (crc32(bytes, offset + 4, end) !== view.getUint32(end))
      throw new PngError("PNG_BAD_CRC", `chunk ${type} fails its CRC`);
    visit(type, bytes.subarray(start, end), offset, end + 4);
    offset = end + 4;
    if (type === "IEND") return offset;
  }
}

/**
 * The PNG with only its essential chunks (IHDR, PLTE, tRNS, IDAT, IEND) and nothing after
 * IEND: the same pixels, without the text, metadata and workflow an engine writes in. Nodes
 * send their images this way (spec §7). Throws PngError for a file that is not a PNG.
 *
 * @example
 * stripPng(comfyUiOutput) // no tEXt chunk with the workflow and local paths
 */
export function stripPng(bytes: Uint8Array): Uint8Array {
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  walkChunks(bytes, (type, _body, start, end) => {
    if (ESSENTIAL_CHUNKS.has(type)) kept.push(bytes.subarray(start, end));
  });
  return concatBytes(kept);
}

function readChunks(bytes: Uint8Array, expect: PngExpectation | undefined): Chunks {
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const data: Uint8Array[] = [];
  const end = walkChunks(bytes, (type, body) => {
    if (!header && type !== "IHDR") throw new PngError("PNG_MALFORMED", "the first chunk is not IHDR");
    switch (type) {
      case "IHDR":
        if (header) throw new PngError("PNG_MALFORMED", "a second IHDR");
        header = parseHeader(body);
        if (expect) checkExpected(header, expect);
        break;
      case "PLTE":
        if (body.length === 0 || body.length % 3 !== 0 || body.length > 768)
          throw new PngError("PNG_MALFORMED", "bad PLTE length");
        palette = body;
        break;
      case "tRNS":
        transparency = body;
        break;
      case "IDAT":
        data.push(body);
        break;
      case "IEND":
        break;
      default:
        // Ancillary and unknown chunks do not change the pixels Go decodes; strictly, none may travel.
        if (expect)
          throw new PngError(
            "PNG_CHUNK_NOT_ALLOWED",
            `chunk ${type} is not allowed (only IHDR, PLTE, tRNS, IDAT, IEND)`,
          );
    }
  });
  if (expect && end !== bytes.length) {
    throw new PngError("PNG_TRAILING_DATA", `${bytes.length - end} bytes after IEND`);
  }
  if (!header) throw new PngError("PNG_MALFORMED", "no IHDR");
  if (data.length === 0) throw new PngError("PNG_MALFORMED", "no IDAT");
  const total = data.reduce((n, d) => n + d.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const d of data) {
    joined.set(d, at);
    at += d.length;
  }
  return { header, palette, transparency, data: joined };
}

function checkExpected(header: Header, expect: PngExpectation): void {
  if (header.width !== expect.width || header.height !== expect.height) {
    throw new PngError(
      "PNG_WRONG_SIZE",
      `${header.width}×${header.height}, the task asks for ${expect.width}×${expect.height}`,
    );
  }
  if (header.width * header.height > MAX_RESULT_PIXELS) {
    throw new PngError("PNG_UNSUPPORTED", `${header.width}×${header.height} is more than 2048×2048 pixels`);
  }
}

/** The bytes the image data must inflate to: each pass's rows, each with its filter byte. */
function inflatedBytes({ width, height, depth, colorType, interlaced }: Header): number {
  const bitsPerPixel = (COLOR_TYPES[colorType] as { channels: number }).channels * depth;
  const passes = interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const passWidth = Math.ceil((width - x0) / dx);
    const passHeight = Math.ceil((height - y0) / dy);
    if (passWidth > 0 && passHeight > 0) total += passHeight * (1 + Math.ceil((passWidth * bitsPerPixel) / 8));
  }
  return total;
}

function parseHeader(body: Uint8Array): Header {
  if (body.length !== 13) throw new PngError("PNG_MALFORMED", "bad IHDR length");
  const view = new DataView(body.buffer, body.byteOffset, 13);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [depth, colorType, compression, filter, interlace] = [8, 9, 10, 11, 12].map((i) => body[i] as number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    throw new PngError("PNG_MALFORMED", "zero or huge dimensions");
  if (width * height > MAX_PIXELS)
    throw new PngError("PNG_UNSUPPORTED", `${width}×${height} is larger than this decoder accepts`);
  const spec = COLOR_TYPES[colorType];
  if (!spec?.depths.includes(depth))
    throw new PngError("PNG_UNSUPPORTED", `colour type ${colorType} with bit depth ${depth}`);
  if (compression !== 0 || filter !== 0 || interlace > 1)
    throw new PngError("PNG_UNSUPPORTED", "unknown compression, filter or interlace method");
  return { width, height, depth, colorType, interlaced: interlace === 1 };
}

/** Reverses the scanline filter of `row` in place, given the previous (unfiltered) row (stores wrap mod 256). */
function unfilter(filter: number, row: Uint8Array, previous: Uint8Array, bpp: number): void {
  const n = row.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) row[i] = (row[i] as number) + (row[i - bpp] as number);
      return;
    case 2:
      for (let i = 0; i < n; i++) row[i] = (row[i] as number) + (previous[i] as number);
      return;
    case 3:
      for (let i = 0; i < bpp; i++) row[i] = (row[i] as number) + ((previous[i] as number) >> 1);
      for (let i = bpp; i < n; i++) {
        row[i] = (row[i] as number) + (((row[i - bpp] as number) + (previous[i] as number)) >> 1);
      }
      return;
    case 4:
      for (let i = 0; i < bpp; i++) row[i] = (row[i] as number) + (previous[i] as number);
      for (let i = bpp; i < n; i++) {
        const a = row[i - bpp] as number;
        const b = previous[i] as number;
        const c = previous[i - bpp] as number;
        const p0 = b - c;
        const p1 = a - c;
        const p2 = p0 + p1;
        const pa = p0 < 0 ? -p0 : p0;
        const pb = p1 < 0 ? -p1 : p1;
        const pc = p2 < 0 ? -p2 : p2;
        const predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        row[i] = (row[i] as number) + predictor;
      }
      return;
    default:
      throw new PngError("PNG_MALFORMED", `unknown scanline filter ${filter}`);
  }
}

function outputKind({ colorType, depth }: Header, transparent: boolean): ImageKind {
  switch (colorType) {
    case 0:
      if (depth === 16) return transparent ? "nrgba64" : "gray16";
      return transparent ? "nrgba" : "gray";
    case 2:
      if (depth === 16) return transparent ? "nrgba64" : "rgba64";
      return transparent ? "nrgba" : "rgb";
    case 3:
      return "paletted";
    case 4:
      return depth === 16 ? "nrgba64" : "nrgba";
    default:
      return depth === 16 ? "nrgba64" : "nrgba";
  }
}

/** The 16-bit premultiplied palette Go builds from PLTE and tRNS (256 entries, opaque black past PLTE). */
function buildPalette(plte: Uint8Array | undefined, trns: Uint8Array | undefined): Uint32Array {
  if (!plte) throw new PngError("PNG_MALFORMED", "a paletted image without PLTE");
  if (trns && trns.length > 256) throw new PngError("PNG_MALFORMED", "bad tRNS length");
  const palette = new Uint32Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] =
      i * 3 < plte.length ? [plte[i * 3] as number, plte[i * 3 + 1] as number, plte[i * 3 + 2] as number] : [0, 0, 0];
    const alpha = trns && i < trns.length ? (trns[i] as number) : undefined;
    const premultiply = (v: number) => (alpha === undefined ? v * 0x101 : Math.trunc((v * 0x101 * alpha) / 0xff));
    palette.set([premultiply(r), premultiply(g), premultiply(b), alpha === undefined ? 0xffff : alpha * 0x101], i * 4);
  }
  return palette;
}

/**
 * Decodes a PNG of any colour type, bit depth and interlacing into the image Go's image/png
 * would produce. Throws PngError for anything else, Go's refusals included (image data that
 * inflates to more than the header implies is refused without inflating the rest). With
 * `expect`, decodes strictly (PngExpectation).
 *
 * @example
 * const image = decodePng(readFileSync("a.png"));
 * decodePng(upload, { width: 512, height: 512 }); // or PngError PNG_WRONG_SIZE, PNG_CHUNK_NOT_ALLOWED…
 */
export function decodePng(bytes: Uint8Array, expect?: PngExpectation): DecodedImage {
  const { header, palette: plte, transparency, data } = readChunks(bytes, expect);
  const { width, height, depth, colorType } = header;
  const spec = COLOR_TYPES[colorType] as { channels: number };
  const grayOrColor = colorType === 0 || colorType === 2;
  if (transparency && grayOrColor && transparency.length !== (colorType === 0 ? 2 : 6)) {
    throw new PngError("PNG_MALFORMED", "bad tRNS length");
  }
  const transparent = grayOrColor && transparency !== undefined;
  const kind = outputKind(header, transparent);
  const out: DecodedImage = { kind, width, height, pix: new Uint8Array(width * height * BYTES_PER_PIXEL[kind]) };
  if (kind === "paletted") out.palette = buildPalette(plte, transparency);

  let raw: Uint8Array;
  const expectedBytes = inflatedBytes(header);
  try {
    raw = inflate(data, expectedBytes);
  } catch (error) {
    if (error instanceof RangeError) throw new PngError("PNG_MALFORMED", `too much pixel data: ${error.message}`);
    throw new PngError("PNG_MALFORMED", `image data does not inflate: ${(error as Error).message}`);
  }
  const bitsPerPixel = spec.channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const write = pixelWriter(header, out, transparency);
  // Rows already in the output layout (RGBA 8/16, RGB 8, gray 8, indexes 8) are copied whole.
  const directCopy =
    colorType === 6 ||
    (depth === 8 && !transparent && (colorType === 0 || colorType === 2)) ||
    (colorType === 3 && depth === 8);
  const pix = out.pix;
  const passes = header.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let at = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const passWidth = Math.ceil((width - x0) / dx);
    const passHeight = Math.ceil((height - y0) / dy);
    if (passWidth <= 0 || passHeight <= 0) continue;
    const rowBytes = Math.ceil((passWidth * bitsPerPixel) / 8);
    let previous: Uint8Array = new Uint8Array(rowBytes);
    for (let j = 0; j < passHeight; j++) {
      if (at + 1 + rowBytes > raw.length) throw new PngError("PNG_TRUNCATED", "not enough image data");
      const filter = raw[at] as number;
      // Unfiltered in place: `raw` is this decoder's own buffer.
      const row = raw.subarray(at + 1, at + 1 + rowBytes);
      at += 1 + rowBytes;
      unfilter(filter, row, previous, bpp);
      if (dx === 1 && directCopy) pix.set(row, (y0 + j * dy) * rowBytes);
      else for (let i = 0; i < passWidth; i++) write(row, i, x0 + i * dx, y0 + j * dy);
      previous = row;
    }
  }
  return out;
}

/** Returns a function copying pixel `i` of an unfiltered row to (x, y) of `out`, Go's way. */
function pixelWriter(header: Header, out: DecodedImage, trns: Uint8Array | undefined) {
  const { depth, colorType, width } = header;
  const pix = out.pix;
  const size = BYTES_PER_PIXEL[out.kind];
  const sample = (row: Uint8Array, index: number): number => {
    if (depth === 8) return row[index] as number;
    if (depth === 16) return ((row[index * 2] as number) << 8) | (row[index * 2 + 1] as number);
    const perByte = 8 / depth;
    const byte = row[Math.floor(index / perByte)] as number;
    const shift = 8 - depth * ((index % perByte) + 1);
    return (byte >> shift) & ((1 << depth) - 1);
  };
  const put16 = (o: number, v: number) => {
    pix[o] = v >> 8;
    pix[o + 1] = v & 0xff;
  };
  const scale = depth === 1 ? 0xff : depth === 2 ? 0x55 : depth === 4 ? 0x11 : 1;
  const t16 = (k: number) => (trns ? ((trns[k] as number) << 8) | (trns[k + 1] as number) : -1);

  switch (colorType) {
    case 0: {
      if (depth === 16) {
        const ty = t16(0);
        return (row: Uint8Array, i: number, x: number, y: number) => {
          const v = sample(row, i);
          const o = (y * width + x) * size;
          if (!trns) return put16(o, v);
          for (let c = 0; c < 3; c++) put16(o + 2 * c, v);
          put16(o + 6, v === ty ? 0 : 0xffff);
        };
      }
      const ty = trns ? ((trns[1] as number) * scale) & 0xff : -1;
      return (row: Uint8Array, i: number, x: number, y: number) => {
        const v = (sample(row, i) * scale) & 0xff;
        const o = (y * width + x) * size;
        if (!trns) {
          pix[o] = v;
          return;
        }
        pix[o] = v;
        pix[o + 1] = v;
        pix[o + 2] = v;
        pix[o + 3] = v === ty ? 0 : 0xff;
      };
    }
    case 2: {
      if (depth === 16) {
        const [tr, tg, tb] = [t16(0), t16(2), t16(4)];
        return (row: Uint8Array, i: number, x: number, y: number) => {
          const o = (y * width + x) * size;
          const r = sample(row, i * 3);
          const g = sample(row, i * 3 + 1);
          const b = sample(row, i * 3 + 2);
          put16(o, r);
          put16(o + 2, g);
          put16(o + 4, b);
          put16(o + 6, trns && r === tr && g === tg && b === tb ? 0 : 0xffff);
        };
      }
      const [tr, tg, tb] = trns ? [trns[1], trns[3], trns[5]] : [-1, -1, -1];
      return (row: Uint8Array, i: number, x: number, y: number) => {
        const o = (y * width + x) * size;
        const r = row[i * 3] as number;
        const g = row[i * 3 + 1] as number;
        const b = row[i * 3 + 2] as number;
        pix[o] = r;
        pix[o + 1] = g;
        pix[o + 2] = b;
        if (trns) pix[o + 3] = r === tr && g === tg && b === tb ? 0 : 0xff;
      };
    }
    case 3:
      return (row: Uint8Array, i: number, x: number, y: number) => {
        pix[y * width + x] = sample(row, i);
      };
    case 4:
      return (row: Uint8Array, i: number, x: number, y: number) => {
        const o = (y * width + x) * size;
        const v = sample(row, i * 2);
        const a = sample(row, i * 2 + 1);
        if (depth === 16) {
          for (let c = 0; c < 3; c++) put16(o + 2 * c, v);
          put16(o + 6, a);
        } else {
          pix[o] = v;
          pix[o + 1] = v;
          pix[o + 2] = v;
          pix[o + 3] = a;
        }
      };
    default:
      return (row: Uint8Array, i: number, x: number, y: number) => {
        const o = (y * width + x) * size;
        const from = i * size;
        for (let k = 0; k < size; k++) pix[o + k] = row[from + k] as number;
      };
  }
}
