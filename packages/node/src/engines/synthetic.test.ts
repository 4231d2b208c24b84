import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodePng, hammingDistance, parseTaskArgs, phashPng, stripPng, type TaskArgs } from "@hydrogen/protocol";
import type { Address } from "viem";
import { modelRefs } from "../models/manager.ts";
import { SyntheticEngine } from "./synthetic.ts";

const NODE_A = "0x90F79bf6EB2c4f870365E785982E1f101E93b906" as Address;
const NODE_B = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" as Address;

function args(seed: number, size = 128, images = 2): TaskArgs {
  const parsed = parseTaskArgs({
    base_model: "org/model",
    prompt: "a lighthouse",
    task_config: { seed, num_images: images, image_width: size, image_height: size },
  });
  assert.ok(parsed.ok);
  return parsed.args;
}

async function hashes(engine: SyntheticEngine, taskArgs: TaskArgs, taskId = 1n) {
  const images = await engine.run({
    taskId,
    args: taskArgs,
    models: modelRefs(taskArgs),
    signal: new AbortController().signal,
  });
  return images.map((png) => phashPng(png));
}

describe("synthetic engine", () => {
  it("draws the same images for the same arguments on every node", async () => {
    const a = await hashes(new SyntheticEngine({ node: NODE_A }), args(7));
    const b = await hashes(new SyntheticEngine({ node: NODE_B }), args(7));
    assert.deepEqual(a, b);
  });

  it("writes what made an image into a tEXt chunk, as ComfyUI does; stripped, nodes' files are equal", async () => {
    const run = (node: Address) =>
      new SyntheticEngine({ node }).run({
        taskId: 1n,
        args: args(7),
        models: modelRefs(args(7)),
        signal: new AbortController().signal,
      });
    const [a, b] = [(await run(NODE_A))[0] as Uint8Array, (await run(NODE_B))[0] as Uint8Array];
    assert.match(Buffer.from(a).toString("latin1"), /tEXtworkflow\0\{"task":"1","node":"0x90f7/);
    assert.notDeepEqual(a, b);
    assert.deepEqual(stripPng(a), stripPng(b));
    assert.throws(() => decodePng(a, { width: 128, height: 128 }), /tEXt is not allowed/);
  });

  it("draws other images for another seed, prompt or image index", async () => {
    const engine = new SyntheticEngine({ node: NODE_A });
    const [first, second] = await hashes(engine, args(7));
    const [other] = await hashes(engine, args(8));
    assert.ok(hammingDistance(first as Uint8Array, second as Uint8Array) >= 10);
    assert.ok(hammingDistance(first as Uint8Array, other as Uint8Array) >= 10);
  });

  it("keeps noisy images within the pHash tolerance (fewer than 5 bits) for 40 seeds and two sizes", async () => {
    for (const size of [128, 512]) {
      for (let seed = 0; seed < (size === 512 ? 8 : 40); seed++) {
        const clean = await hashes(new SyntheticEngine({ node: NODE_A }), args(seed, size));
        const noisy = await hashes(new SyntheticEngine({ node: NODE_B, noise: 8 }), args(seed, size));
        clean.forEach((hash, i) => {
          const distance = hammingDistance(hash, noisy[i] as Uint8Array);
          assert.ok(distance < 5, `seed ${seed} size ${size} image ${i}: ${distance} bits`);
        });
      }
    }
  });

  it("a dishonest engine draws images far from the honest ones", async () => {
    for (let seed = 0; seed < 20; seed++) {
      const honest = await hashes(new SyntheticEngine({ node: NODE_A }), args(seed));
      const liar = await hashes(new SyntheticEngine({ node: NODE_B, dishonest: true }), args(seed));
      for (const [i, hash] of honest.entries()) {
        assert.ok(hammingDistance(hash, liar[i] as Uint8Array) >= 10, `seed ${seed}`);
      }
    }
  });

  it("stops when the task is aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const engine = new SyntheticEngine({ node: NODE_A, delayMs: 10 });
    const taskArgs = args(1);
    await assert.rejects(
      engine.run({ taskId: 1n, args: taskArgs, models: modelRefs(taskArgs), signal: controller.signal }),
    );
  });
});
