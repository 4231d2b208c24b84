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

/** The node's logger: JSON lines to stdout (or `destination`) and into the ring. */
export function createLogger(options: { level: string; ring: LogRing; destination?: NodeJS.WritableStream }): Logger {
  if (options.level === "silent") return pino({ level: "silent" });
  return pino(
    { level: options.level, base: { service: "hydrogen-node" }, redact: { paths: REDACT, censor: "***" } },
    pino.multistream([
      { stream: options.destination ?? process.stdout, level: options.level as pino.Level },
      { stream: options.ring, level: options.level as pino.Level },
    ]),
  );
}
