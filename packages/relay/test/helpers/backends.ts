import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** A database for one relay test: its URL and how to throw it away. */
export interface TestDatabase {
  url: string;
  imageDir: string;
  drop(): Promise<void>;
}

export interface Backend {
  name: "sqlite" | "postgres";
  create(): Promise<TestDatabase>;
}

const ADMIN_URL = process.env.HYDROGEN_RELAY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const sqlite: Backend = {
  name: "sqlite",
  async create() {
    const dir = mkdtempSync(join(tmpdir(), "relay-sqlite-"));
    return {
      url: `sqlite:${join(dir, "relay.db")}`,
      imageDir: join(dir, "images"),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const postgres: Backend = {
  name: "postgres",
  async create() {
    const name = `relay_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const dir = mkdtempSync(join(tmpdir(), "relay-pg-"));
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      imageDir: join(dir, "images"),
      async drop() {
        const client = new pg.Client({ connectionString: ADMIN_URL });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.end();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * The backends the relay suite runs against: SQLite always, PostgreSQL when reachable. In CI
 * (`CI` set) an unreachable PostgreSQL is an error, never a silent skip.
 */
export async function backends(): Promise<Backend[]> {
  if (await postgresReachable()) return [sqlite, postgres];
  if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${ADMIN_URL}, and CI requires it`);
  console.log(`# PostgreSQL not reachable at ${ADMIN_URL}: the relay suite runs on SQLite only`);
  return [sqlite];
}

export { postgres, sqlite };
