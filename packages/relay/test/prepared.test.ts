import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openDatabase } from "../src/db/connect.ts";
import { prepared } from "../src/db/prepared.ts";
import type { Db } from "../src/db/tasks.ts";
import { backends, type TestDatabase } from "./helpers/backends.ts";

const insertCursor = prepared((db, p: { name: string; block: number }) =>
  db
    .insertInto("cursors")
    .values({ name: p.name, block: p.block })
    .onConflict((oc) => oc.column("name").doUpdateSet({ block: p.block }).where("cursors.block", "<", p.block)),
);
const selectCursors = prepared((db, p: { first: string; second: string }) =>
  db
    .selectFrom("cursors")
    .select(["name", "block"])
    .where("name", "in", [p.first, p.second, "constant"])
    .orderBy("name"),
);

for (const backend of await backends()) {
  describe(`prepared queries (${backend.name})`, () => {
    let database: TestDatabase;
    let handle: Awaited<ReturnType<typeof openDatabase>>;
    before(async () => {
      database = await backend.create();
      handle = await openDatabase(database.url);
    });
    after(async () => {
      await handle?.close();
      await database?.drop();
    });

    it("binds each call's parameters, repeated and mixed with constants, inside and outside transactions", async () => {
      const db = handle.db as Db;
      await insertCursor(db, { name: "a", block: 5 });
      await insertCursor(db, { name: "constant", block: 1 });
      // The same parameter twice (value and guard): only a higher block moves it.
      assert.equal((await insertCursor(db, { name: "a", block: 3 })).numAffectedRows, 0n);
      await handle.db.transaction().execute(async (trx) => {
        await insertCursor(trx, { name: "b", block: 9 });
        await insertCursor(trx, { name: "a", block: 7 });
      });
      const { rows } = await selectCursors(db, { first: "a", second: "b" });
      assert.deepEqual(
        rows.map((r) => [r.name, Number(r.block)]),
        [
          ["a", 7],
          ["b", 9],
          ["constant", 1],
        ],
      );
      assert.deepEqual(
        (await selectCursors(db, { first: "x", second: "y" })).rows.map((r) => r.name),
        ["constant"],
      );
    });
  });
}
