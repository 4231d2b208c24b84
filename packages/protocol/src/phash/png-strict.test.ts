import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deflateSync } from "node:zlib";
import { PngError, type PngErrorCode } from "./errors.ts";
import { phashPngHex } from "./phash.ts";
import { decodePng, stripPng } from "./png.ts";
import { concatBytes, ihdr, PNG_SIGNATURE, pngChunk, samplePng } from "./png-writer.ts";
import { inflate as inflateBrowser } from "./zlib-browser.ts";
import { inflate as inflateNode } from "./zlib-node.ts";

function refused(run: () => unknown, code: PngErrorCode, message?: RegExp) {
  assert.throws(run, (e: unknown) => e instanceof PngError && e.code === code && (!message || message.test(e.message)));
}

/** A PNG from parts: IHDR for the given size, then `chunks` as they are, then IEND. */
function png(width: number, height: number, chunks: Uint8Array[], depth = 8, colorType = 0): Uint8Array {
  return concatBytes([
    PNG_SIGNATURE,
    ihdr(width, height, depth, colorType),
    ...chunks,
    pngChunk("IEND", new Uint8Array()),
  ]);
}

const text = pngChunk("tEXt", new TextEncoder().encode('workflow\0{"ckpt":"/home/alice/models/x.safetensors"}'));
const square = { width: 128, height: 128 };

describe("strict PNG decoding (spec §7: what a result image may be)", () => {
  const good = samplePng(128, 128, 3);
  const hash = phashPngHex(good);

  it("accepts a plain PNG of the expected size, hashing as the lenient decoder does", () => {
    assert.equal(phashPngHex(good, square), hash);
  });

  it("refuses other dimensions from the header alone, before allocating or inflating", () => {
    refused(() => decodePng(good, { width: 128, height: 136 }), "PNG_WRONG_SIZE", /128×128, the task asks for 128×136/);
    // 8192×8192 RGBA-16 would need 512 MiB of pixels: refused from its IHDR.
    const huge = png(8192, 8192, [pngChunk("IDAT", deflateSync(new Uint8Array(10)))], 16, 6);
    refused(() => decodePng(huge, { width: 512, height: 512 }), "PNG_WRONG_SIZE");
    const over = png(4096, 4096, [pngChunk("IDAT", deflateSync(new Uint8Array(10)))]);
    refused(() => decodePng(over, { width: 4096, height: 4096 }), "PNG_UNSUPPORTED", /2048×2048/);
  });

  it("refuses any chunk but IHDR, PLTE, tRNS, IDAT and IEND, and any byte after IEND", () => {
    const withText = concatBytes([good.subarray(0, 33), text, good.subarray(33)]);
    assert.equal(phashPngHex(withText), hash, "the lenient decoder ignores ancillary chunks");
    refused(() => decodePng(withText, square), "PNG_CHUNK_NOT_ALLOWED", /tEXt/);
    const private_ = concatBytes([good.subarray(0, 33), pngChunk("zzZz", new Uint8Array(1000)), good.subarray(33)]);
    refused(() => decodePng(private_, square), "PNG_CHUNK_NOT_ALLOWED");
    const trailing = concatBytes([good, new Uint8Array(16 * 1024).fill(7)]);
    assert.equal(phashPngHex(trailing), hash);
    refused(() => decodePng(trailing, square), "PNG_TRAILING_DATA", /16384 bytes after IEND/);
    refused(() => decodePng(concatBytes([good, good]), square), "PNG_TRAILING_DATA");
  });

  it("inflates no more than the header implies, strict or not (Go refuses too much pixel data)", () => {
    const rows = new Uint8Array(64 * 65);
    const exact = png(64, 64, [pngChunk("IDAT", deflateSync(rows))]);
    assert.equal(decodePng(exact, { width: 64, height: 64 }).width, 64);
    const oneMore = png(64, 64, [pngChunk("IDAT", deflateSync(new Uint8Array(rows.length + 1)))]);
    refused(() => decodePng(oneMore), "PNG_MALFORMED", /too much pixel data/);
    // A 64×64 image whose data inflates to 64 MiB (a 65 KB file): stopped at 4,160 bytes.
    const bomb = png(64, 64, [pngChunk("IDAT", deflateSync(new Uint8Array(64 * 1024 * 1024)))]);
    assert.ok(bomb.length < 100_000);
    refused(() => decodePng(bomb), "PNG_MALFORMED", /more than 4160 bytes/);
    refused(() => decodePng(bomb, { width: 64, height: 64 }), "PNG_MALFORMED", /too much pixel data/);
  });

  it("Node's and the browser's inflaters stop at the same cap", () => {
    const data = deflateSync(new Uint8Array(1000).fill(3));
    for (const inflate of [inflateNode, inflateBrowser]) {
      assert.equal(inflate(data, 1000).length, 1000);
      assert.throws(() => inflate(data, 999), RangeError);
      assert.throws(() => inflate(deflateSync(new Uint8Array(1 << 24)), 4096), RangeError);
      // Stored (uncompressed) blocks take another path through the inflater.
      assert.throws(() => inflate(deflateSync(new Uint8Array(5000).fill(1), { level: 0 }), 4096), RangeError);
    }
  });

  it("stripPng keeps exactly the essential chunks: same pixels, strict-clean, idempotent", () => {
    const palette = png(
      4,
      4,
      [
        pngChunk("PLTE", new Uint8Array([0, 0, 0, 255, 255, 255])),
        pngChunk("tRNS", new Uint8Array([0])),
        text,
        pngChunk("IDAT", deflateSync(new Uint8Array(4 * 5).fill(1))),
      ],
      8,
      3,
    );
    const dirty = concatBytes([palette, new Uint8Array([1, 2, 3])]);
    const clean = stripPng(dirty);
    assert.deepEqual(decodePng(clean, { width: 4, height: 4 }), decodePng(dirty));
    assert.equal(clean.length, palette.length - text.length);
    assert.deepEqual(stripPng(clean), clean);
    assert.deepEqual(stripPng(good), good);
    const comfy = concatBytes([good.subarray(0, 33), text, good.subarray(33)]);
    assert.equal(phashPngHex(stripPng(comfy), square), hash);
    refused(() => stripPng(new TextEncoder().encode("not a png")), "PNG_NOT_PNG");
    refused(() => stripPng(good.subarray(0, good.length - 12)), "PNG_TRUNCATED");
  });
});
