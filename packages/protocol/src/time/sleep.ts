/** The longest delay a timer takes (a longer one would fire at once). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * A sleep that `wake()` ends early. Rejects with the signal's reason when it aborts first; the
 * timer is always cleared (a forgotten one would keep the process alive). The one timing
 * primitive: `sleep`, `pause` and `Wakeup` are built on it.
 *
 * @example
 * const nap = wakeableSleep(10_000, signal); onEvent(() => nap.wake()); await nap.done;
 */
export function wakeableSleep(ms: number, signal?: AbortSignal): { done: Promise<void>; wake(): void } {
  let wake = () => {};
  const done = new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const end = (error?: unknown) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = () => end(signal?.reason ?? new Error("aborted"));
    const timer = setTimeout(end, Math.min(Math.max(0, ms), LONGEST_TIMER_MS));
    signal?.addEventListener("abort", onAbort, { once: true });
    wake = () => end();
  });
  return { done, wake };
}

/**
 * Resolves after `ms`; rejects with the signal's reason when it aborts first (for operations
 * a caller cancels: the abort is their outcome).
 *
 * @example
 * await sleep(500, signal);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return wakeableSleep(ms, signal).done;
}

/**
 * A loop's pause: resolves after `ms`, or at once when `signal` aborts — never throws, since
 * the loop checks `signal.aborted` itself.
 *
 * @example
 * while (!signal.aborted) { await work(); await pause(1000, signal); }
 */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await wakeableSleep(ms, signal).done.catch(() => undefined);
}

/**
 * A loop's doorbell: `wait` resolves on the next `wake`, after `ms`, or when `signal` aborts
 * (never throws). A wake that rings while the loop is busy is kept for its next `wait`, so no
 * event is missed between a read and the wait that follows it.
 *
 * @example
 * const bell = new Wakeup(); onNewBlock(() => bell.wake());
 * while (!signal.aborted) { await step(); await bell.wait(1000, signal); }
 */
export class Wakeup {
  private pending = false;
  private ring: (() => void) | undefined;

  wake(): void {
    this.pending = true;
    this.ring?.();
  }

  /** Forgets wakes rung so far (the work about to start sees what they announced). */
  clear(): void {
    this.pending = false;
  }

  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (!this.pending && !signal.aborted) {
      const nap = wakeableSleep(ms, signal);
      this.ring = nap.wake;
      await nap.done.catch(() => undefined);
      this.ring = undefined;
    }
    this.pending = false;
  }
}
