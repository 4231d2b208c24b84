import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { decodePng, parseTaskArgs, phashPngHex } from "@hydrogen/protocol";
import { SyntheticEngine } from "../src/engines/synthetic.ts";
import { blackPng, filterUnsafe, NsfwSafetyChecker } from "../src/safety/checker.ts";
import { FLAG_THRESHOLD } from "../src/safety/verdict.ts";

/**
 * An abstract pattern made for this test: gradient ascent on the classifier from a grey 32×32
 * image (the thumbnail the checker shows it), enlarged 8× to 256×256. Nothing in it is
 * explicit, but the classifier scores it unsafe well past the threshold: it stands for an
 * image the checker must flag.
 */
const FLAGGED = readFileSync(new URL("./fixtures/safety/flagged.png", import.meta.url));

/** What the synthetic engine draws for a task: an ordinary image, far from the threshold. */
async function ordinary(width: number, height: number, seed = 1, noise = 0): Promise<Uint8Array> {
  const parsed = parseTaskArgs({
    base_model: "a/b",
    prompt: "a lighthouse",
    task_config: { seed, num_images: 1, image_width: width, image_height: height },
  });
  assert.ok(parsed.ok);
  const engine = new SyntheticEngine({ node: `0x${"12".repeat(20)}`, noise });
  const [png] = await engine.run({
    taskId: 1n,
    args: parsed.args,
    models: { base: { ref: "a/b" } },
    signal: new AbortController().signal,
  });
  return png as Uint8Array;
}

describe("safety checker (nsfwjs MobileNetV2, WebAssembly, offline)", () => {
  const checker = new NsfwSafetyChecker();
  after(() => checker.close());

  it("passes an ordinary image and flags the unsafe one, with the same scores every time", async () => {
    const image = await ordinary(512, 512);
    const first = await checker.check(image);
    assert.equal(first.flagged, false);
    const flagged = await checker.check(FLAGGED);
    assert.equal(flagged.flagged, true, JSON.stringify(flagged.scores));
    const unsafe = flagged.scores.Porn + flagged.scores.Hentai + flagged.scores.Sexy;
    assert.ok(unsafe > FLAG_THRESHOLD + 0.2, `a clear margin, not a coin toss: ${unsafe}`);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await checker.check(image), first);
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

  it("gives honest nodes' slightly different images the same verdict (the noise the pHash tolerates)", async () => {
    for (const size of [128, 512]) {
      const unsafe = [];
      for (const noise of [0, 4, 8]) {
        const { scores, flagged } = await checker.check(await ordinary(size, size, 1, noise));
        assert.equal(flagged, false);
        unsafe.push(scores.Hentai + scores.Porn + scores.Sexy);
      }
      const spread = Math.max(...unsafe) - Math.min(...unsafe);
      assert.ok(spread < 0.1, `${size}×${size}: unsafe scores ${unsafe.join(", ")} move by ${spread}`);
    }
  });

  it("replaces a flagged image by a black image of the same size, and leaves the others", async () => {
    const plain = await ordinary(256, 192, 5);
    const { images, flagged } = await filterUnsafe(checker, [plain, FLAGGED, plain]);
    assert.deepEqual(flagged, [1]);
    assert.equal(images[0], plain);
    assert.equal(images[2], plain);
    const black = decodePng(images[1] as Uint8Array);
    const original = decodePng(FLAGGED);
    assert.deepEqual([black.width, black.height], [original.width, original.height]);
    assert.ok(black.pix.every((v) => v === 0));
    assert.equal(phashPngHex(images[1] as Uint8Array), phashPngHex(blackPng(original.width, original.height)));
  });

  it("fails as this node's trouble (transient) on a broken PNG, and keeps working", async () => {
    await assert.rejects(checker.check(new Uint8Array([1, 2, 3])), /PNG/);
    assert.equal((await checker.check(await ordinary(128, 128, 3))).flagged, false);
  });
});
