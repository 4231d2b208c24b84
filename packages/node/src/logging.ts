import { Writable } from "node:stream";
import pino, { type Logger } from "pino";

/** Keeps the last `size` log lines (already JSON) for the management API's `/api/logs`. */
export class LogRing extends Writable {
  private readonly lines: string[] = [];

  constructor(private readonly size = 500) {
    super();
  }

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line) continue;
      this.lines.push(line);
      if (this.lines.length > this.size) this.lines.shift();
    }
    done();
  }

  /** The newest `limit` entries, oldest first. */
  recent(limit = 100): unknown[] {
    return this.lines.slice(-limit).map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return { msg: line };
      }
    });
  }
}

/** Paths pino masks wherever they appear: nothing secret reaches a log line. */
export const REDACT = [
  "privateKey",
  "*.privateKey",
  "password",
  "*.password",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "salt",
  "*.salt",
];

/**
 * A short form of an error for log lines: its type, stable code and first message line (viem
 * errors carry their whole ABI and call otherwise), and the cause's, one level deep.
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const short = (error as { shortMessage?: string }).shortMessage ?? error.message;
  const fields: Record<string, unknown> = { type: error.name, message: short.split("\n")[0] };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) fields.code = code;
  const revert = (error as { errorName?: string }).errorName;
  if (revert) fields.revert = revert;
  const details = (error as { details?: string }).details;
  if (typeof details === "string") fields.details = details.slice(0, 200);
  const cause = error.cause;
  if (cause instanceof Error && cause !== error)
    fields.cause = { type: cause.name, message: cause.message.split("\n")[0] };
  return fields;
}

/** The node's logger: JSON lines to stdout (or `destination`) and into the ring. */
export function createLogger(options: { level: string; ring: LogRing; destination?: NodeJS.WritableStream }): Logger {
  if (options.level === "silent") return pino({ level: "silent" });
  return pino(
    {
      level: options.level,
      base: { service: "hydrogen-node" },
      redact: { paths: REDACT, censor: "***" },
      serializers: { err: serializeError },
    },
    pino.multistream([
      { stream: options.destination ?? process.stdout, level: options.level as pino.Level },
      { stream: options.ring, level: options.level as pino.Level },
    ]),
  );
}
