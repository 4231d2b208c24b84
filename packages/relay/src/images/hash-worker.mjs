// The entry Piscina loads in each hashing thread. The relay runs from TypeScript, and a worker
// does not inherit a loader the main thread registered through tsx's API (the
// `hydrogen-relay` command), so the task is imported through tsx explicitly.
import { tsImport } from "tsx/esm/api";

const task = await tsImport("./hash-task.ts", import.meta.url);
export default task.default;
