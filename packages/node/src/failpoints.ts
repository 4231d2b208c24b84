/**
 * Crash injection for the recovery tests: when HYDROGEN_NODE_CRASH_AT names a point the
 * process reaches, it kills itself with SIGKILL there, as a power cut would. Points:
 * `after:<phase>` (a state was persisted) and `sent:<function>` (a transaction or the
 * upload went out, before the node recorded it). Unset in production: a no-op.
 */
const target = process.env.HYDROGEN_NODE_CRASH_AT;

export function failpoint(name: string): void {
  if (target !== undefined && target === name) process.kill(process.pid, "SIGKILL");
}
