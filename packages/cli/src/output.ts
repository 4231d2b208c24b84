/**
 * The command's user-facing output: results on stdout (JSON with `--json`), progress and
 * errors on stderr, so `--json` output can be piped into another program.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A progress line for a long step (stderr; silent with `--json`). */
  progress(line: string): void {
    if (!this.json) this.stderr.write(`${line}\n`);
  }

  /** The command's result: `value` as JSON, or the human text. */
  result(value: unknown, text: string): void {
    this.stdout.write(this.json ? `${JSON.stringify(value, jsonReplacer, 2)}\n` : `${text}\n`);
  }

  error(message: string): void {
    if (this.json) this.stdout.write(`${JSON.stringify({ error: message })}\n`);
    this.stderr.write(`hydrogen: ${message}\n`);
  }
}

/** JSON for bigints (as decimal strings) and bytes (as lengths). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return { bytes: value.length };
  return value;
}

/** Milliseconds as "0.4 s". */
export function seconds(ms: number | undefined): string {
  return ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`;
}
