import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { PngError } from "./errors.ts";
import { phashPngHex } from "./phash.ts";
import { decodePng } from "./png.ts";
import { buildPng, concatBytes, ihdr, PNG_SIGNATURE, pngChunk, samplePng } from "./png-writer.ts";

const vectors = join(import.meta.dirname, "..", "..", "..", "..", "testdata", "phash");

function rejects(bytes: Uint8Array, code: string) {
  assert.throws(
    () => phashPngHex(bytes),
    (e: unknown) => e instanceof PngError && e.code === code,
  );
}

describe("pHash", () => {
  it("reproduces testdata/phash/expected.json bit for bit on every file", () => {
    assert.ok(existsSync(vectors), `test vectors not found at ${vectors}`);
    const expected = JSON.parse(readFileSync(join(vectors, "expected.json"), "utf8")) as Record<string, string>;
    const wrong: string[] = [];
    for (const [file, hash] of Object.entries(expected)) {
      const got = phashPngHex(readFileSync(join(vectors, "corpus", file)));
      if (got !== `0x${hash}`) wrong.push(`${file}: ${got} ≠ ${hash}`);
    }
    assert.deepEqual(wrong, []);
    assert.ok(Object.keys(expected).length >= 60);
  });

  it("decodes into Go's image kinds", () => {
    const kind = (file: string) => decodePng(readFileSync(join(vectors, "corpus", file))).kind;
    assert.equal(kind("mode_l_512.png"), "gray");
    assert.equal(kind("mode_gray16_300.png"), "gray16");
    assert.equal(kind("mode_gray_trns_200.png"), "nrgba");
    assert.equal(kind("mode_rgb_trns_200.png"), "nrgba");
    assert.equal(kind("mode_rgb16_256.png"), "rgba64");
    assert.equal(kind("mode_rgba16_256.png"), "nrgba64");
    assert.equal(kind("mode_p_trns_256.png"), "paletted");
    assert.equal(kind("mode_la_300.png"), "nrgba");
  });

  it("the same image hashes the same whatever the filter types of its scanlines", () => {
    const a = samplePng(64, 48);
    assert.match(phashPngHex(a), /^0x[0-9a-f]{16}$/);
    assert.equal(phashPngHex(samplePng(64, 48)), phashPngHex(a));
  });

  describe("broken input gets a typed error, never a hash", () => {
    const good = samplePng(16, 16);

    it("not a PNG, or empty", () => {
      rejects(new TextEncoder().encode("GIF89a........"), "PNG_NOT_PNG");
      rejects(new Uint8Array(), "PNG_NOT_PNG");
    });

    it("truncated anywhere", () => {
      for (const cut of [9, 20, 40, good.length - 13, good.length - 1]) rejects(good.subarray(0, cut), "PNG_TRUNCATED");
    });

    it("a chunk whose CRC is wrong", () => {
      const bad = good.slice();
      bad[40] = (bad[40] as number) ^ 0xff; // inside IDAT
      rejects(bad, "PNG_BAD_CRC");
    });

    it("image data that does not inflate, or is too short", () => {
      const png = concatBytes([
        PNG_SIGNATURE,
        ihdr(4, 4, 8, 2),
        pngChunk("IDAT", new Uint8Array([1, 2, 3, 4])),
        pngChunk("IEND", new Uint8Array()),
      ]);
      rejects(png, "PNG_MALFORMED");
      rejects(buildPng(4, 4, 8, 2, new Uint8Array(10)), "PNG_TRUNCATED");
    });

    it("an unknown scanline filter", () => {
      const rows = new Uint8Array(2 * (1 + 2 * 3));
      rows[0] = 9;
      rejects(buildPng(2, 2, 8, 2, rows), "PNG_MALFORMED");
    });

    it("unsupported or inconsistent headers", () => {
      rejects(buildPng(2, 2, 3, 2, new Uint8Array(14)), "PNG_UNSUPPORTED");
      rejects(buildPng(2, 2, 8, 5, new Uint8Array(14)), "PNG_UNSUPPORTED");
      rejects(buildPng(0, 2, 8, 2, new Uint8Array(14)), "PNG_MALFORMED");
      rejects(
        concatBytes([PNG_SIGNATURE, ihdr(100000, 100000, 8, 2), pngChunk("IEND", new Uint8Array())]),
        "PNG_UNSUPPORTED",
      );
      rejects(concatBytes([PNG_SIGNATURE, pngChunk("IEND", new Uint8Array())]), "PNG_MALFORMED");
    });

    it("a paletted image without PLTE, a bad tRNS", () => {
      rejects(buildPng(2, 2, 8, 3, new Uint8Array(6)), "PNG_MALFORMED");
      rejects(buildPng(2, 2, 8, 2, new Uint8Array(14), [pngChunk("tRNS", new Uint8Array(3))]), "PNG_MALFORMED");
    });
  });

  it("hydrogen-phash prints one line per file and exits 1 for a file it cannot hash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "phash-cli-"));
    const good = join(dir, "good.png");
    const bad = join(dir, "bad.png");
    writeFileSync(good, samplePng(32, 32));
    writeFileSync(bad, "not a png");
    const bin = join(import.meta.dirname, "..", "..", "bin", "hydrogen-phash.mjs");
    await assert.rejects(
      promisify(execFile)(process.execPath, [bin, good, bad]),
      (e: { code: number; stdout: string; stderr: string }) => {
        assert.equal(e.code, 1);
        assert.equal(e.stdout, `${phashPngHex(readFileSync(good)).slice(2)}  ${good}\n`);
        assert.match(e.stderr, /bad\.png: PNG_NOT_PNG/);
        return true;
      },
    );
    const ok = await promisify(execFile)(process.execPath, [bin, good]);
    assert.match(ok.stdout, /^[0-9a-f]{16} {2}/);
  });
});
