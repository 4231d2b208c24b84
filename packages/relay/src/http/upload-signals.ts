import { EventEmitter } from "node:events";

export type UploadKind = "args" | "images";

/**
 * Wakes requests held for an upload (`?wait=`): at once when the upload lands on this relay
 * instance; a holder also re-reads the database every so often, which is how it hears of an
 * upload to another instance sharing the database, or of the task's end.
 */
export class UploadSignals {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  /** The arguments or the images of `taskId` are stored. */
  notify(kind: UploadKind, taskId: string): void {
    this.emitter.emit(`${kind}:${taskId}`);
  }

  /** Resolves when `kind` of `taskId` is notified, after `ms`, or when `signal` aborts, whichever is first. */
  wait(kind: UploadKind, taskId: string, ms: number, signal: AbortSignal): Promise<void> {
    const event = `${kind}:${taskId}`;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(event, done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once(event, done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
