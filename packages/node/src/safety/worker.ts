/**
 * The safety checker's worker thread: loads nsfwjs's MobileNetV2 — its weights ship inside the
 * npm package — on TensorFlow.js's WebAssembly backend, single-threaded, and classifies the
 * RGB pixels it is sent. Nothing is fetched: `fetch` is disabled in this thread, so a library
 * that tried would fail loudly instead of reaching the network.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as nsfwjs from "nsfwjs";

/** A request: one image's 8-bit RGB pixels. */
export interface ClassifyRequest {
  id: number;
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** An answer: the five class probabilities in the model's order, or why it failed. */
export type ClassifyResponse = { id: number; probabilities: number[] } | { id: number; error: string };

globalThis.fetch = async (input: unknown) => {
  throw new Error(`the safety checker does not fetch (${String(input)})`);
};
// nsfwjs and TF.js greet on the console; this thread's console is the process's stdout, which
// may be a command's JSON output. Failures travel back in messages instead.
for (const method of ["log", "info", "warn", "debug"] as const) console[method] = () => undefined;

async function load(): Promise<nsfwjs.NSFWJS> {
  const require = createRequire(import.meta.url);
  setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  // One thread, SIMD: the same kernels, in the same order, on every machine.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  tf.env().set("WASM_HAS_SIMD_SUPPORT", true);
  if (!(await tf.setBackend("wasm"))) throw new Error("the WebAssembly backend did not start");
  await tf.ready();
  return nsfwjs.load("MobileNetV2");
}

const model = load();
model.catch(() => undefined);

parentPort?.on("message", async (request: ClassifyRequest) => {
  try {
    const classifier = await model;
    const probabilities = tf.tidy(() => {
      const image = tf.tensor3d(Int32Array.from(request.rgb), [request.height, request.width, 3], "int32");
      const scaled = tf.div(tf.cast(image, "float32"), 255) as tf.Tensor3D;
      const input = tf.image.resizeBilinear(scaled, [224, 224], true).expandDims(0);
      return classifier.model.predict(input) as tf.Tensor;
    });
    const values = Array.from(await probabilities.data());
    probabilities.dispose();
    parentPort?.postMessage({ id: request.id, probabilities: values } satisfies ClassifyResponse);
  } catch (error) {
    parentPort?.postMessage({ id: request.id, error: (error as Error).message } satisfies ClassifyResponse);
  }
});
