/**
 * Loaded into every test file's process (`node --import …/tools/test-watchdog.mjs --test`):
 * once the file's last test and its last `after` hook have ended, an unref'd timer waits for
 * the process to exit by itself. A timer, socket or child left behind keeps the process alive;
 * then the watchdog names the file and what still holds it, and fails it, instead of letting
 * the run hang until CI's limit. The timer itself holds nothing: a clean file exits at once.
 *
 * HYDROGEN_TEST_EXIT_GRACE_MS sets the grace (default 60 s).
 */
import { after } from "node:test";

const graceMs = Number(process.env.HYDROGEN_TEST_EXIT_GRACE_MS ?? 60_000);

// Root `after` hooks run in order, and one added while they run goes last: registering from
// inside the first puts the watchdog after every hook the file itself declared.
after((root) => {
  root.after(() => {
    const timer = setTimeout(() => {
      const file = process.argv[1] ?? "(unknown file)";
      const held = process.getActiveResourcesInfo().filter((r) => r !== "PipeWrap" && r !== "TTYWrap");
      process.stderr.write(
        `test-watchdog: ${file} did not exit ${graceMs} ms after its last test; still open: ${held.join(", ") || "(nothing Node reports)"}\n`,
      );
      process.exit(70);
    }, graceMs);
    timer.unref();
  });
});
