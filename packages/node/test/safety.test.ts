import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { decodePng, phashPngHex } from "@hydrogen/protocol";
import { samplePng } from "@hydrogen/protocol/png-writer";
import { blackPng, filterUnsafe, NsfwSafetyChecker } from "../src/safety/checker.ts";
import { FLAG_THRESHOLD } from "../src/safety/verdict.ts";

/**
 * An abstract pattern made for this test (gradient ascent on the classifier from a grey
 * image): nothing in it is explicit, but the classifier scores it unsafe well past the
 * threshold. It stands for an image the checker must flag.
 */
const FLAGGED = readFileSync(new URL("./fixtures/safety/flagged.png", import.meta.url));

describe("safety checker (nsfwjs MobileNetV2, WebAssembly, offline)", () => {
  const checker = new NsfwSafetyChecker();
  after(() => checker.close());

  it("passes an ordinary image and flags the unsafe one, with the same scores every time", async () => {
    const ordinary = samplePng(512, 512, 3);
    const first = await checker.check(ordinary);
    assert.equal(first.flagged, false);
    const flagged = await checker.check(FLAGGED);
    assert.equal(flagged.flagged, true, JSON.stringify(flagged.scores));
    const unsafe = flagged.scores.Porn + flagged.scores.Hentai + flagged.scores.Sexy;
    assert.ok(unsafe > FLAG_THRESHOLD + 0.2, `a clear margin, not a coin toss: ${unsafe}`);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await checker.check(ordinary), first);
      assert.deepEqual(await checker.check(FLAGGED), flagged);
    }
  });

  it("gives the same verdict from a second checker (another worker, loaded afresh)", async () => {
    const other = new NsfwSafetyChecker();
    try {
      assert.deepEqual(await other.check(FLAGGED), await checker.check(FLAGGED));
    } finally {
      await other.close();
    }
  });

  it("replaces a flagged image by a black image of the same size, and leaves the others", async () => {
    const ordinary = samplePng(256, 192, 5);
    const { images, flagged } = await filterUnsafe(checker, [ordinary, FLAGGED, ordinary]);
    assert.deepEqual(flagged, [1]);
    assert.equal(images[0], ordinary);
    assert.equal(images[2], ordinary);
    const black = decodePng(images[1] as Uint8Array);
    const original = decodePng(FLAGGED);
    assert.deepEqual([black.width, black.height], [original.width, original.height]);
    assert.ok(black.pix.every((v) => v === 0));
    assert.equal(phashPngHex(images[1] as Uint8Array), phashPngHex(blackPng(original.width, original.height)));
  });

  it("fails as this node's trouble (transient) on a broken PNG, and keeps working", async () => {
    await assert.rejects(checker.check(new Uint8Array([1, 2, 3])), /PNG/);
    assert.equal((await checker.check(samplePng(64, 64, 1))).flagged, false);
  });
});
