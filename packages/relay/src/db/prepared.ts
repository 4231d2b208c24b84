import type { Compilable, CompiledQuery, QueryResult } from "kysely";
import type { Db } from "./tasks.ts";

/** What a parameter holds while its query is compiled; found again among the compiled parameters. */
const PLACEHOLDER = "\u0000hydrogen-parameter:";

interface Compiled<R> {
  query: CompiledQuery<R>;
  /** For each compiled parameter: the name of the caller's parameter, or undefined for a constant. */
  slots: (string | undefined)[];
}

/**
 * A query that Kysely builds and compiles once per SQL dialect; each call only binds its
 * parameters. Kysely builds and compiles every query anew, which was a quarter of the relay's
 * CPU under load (a few fixed queries run for every request and every chain log).
 *
 * `build` receives stand-ins for the parameters and must use them only as values (never to
 * choose a table, a column or the query's shape: that is fixed at the first call).
 *
 * @example
 * const findTask = prepared((db, p: { id: string }) => db.selectFrom("tasks").selectAll().where("task_id", "=", p.id));
 * const { rows } = await findTask(db, { id: "7" });
 */
export function prepared<P extends Record<string, unknown>, R>(
  build: (db: Db, parameters: P) => Compilable<R>,
): (db: Db, parameters: P) => Promise<QueryResult<R>> {
  // By dialect adapter class: a transaction and its database compile alike.
  const cache = new Map<unknown, Compiled<R>>();
  const stand = new Proxy({} as P, { get: (_target, name) => `${PLACEHOLDER}${String(name)}` });
  return (db, parameters) => {
    const dialect = db.getExecutor().adapter.constructor;
    let compiled = cache.get(dialect);
    if (!compiled) {
      const query = build(db, stand).compile();
      const slots = query.parameters.map((value) =>
        typeof value === "string" && value.startsWith(PLACEHOLDER) ? value.slice(PLACEHOLDER.length) : undefined,
      );
      compiled = { query, slots };
      cache.set(dialect, compiled);
    }
    const { query, slots } = compiled;
    const bound = query.parameters.map((value, i) => {
      const name = slots[i];
      return name === undefined ? value : parameters[name];
    });
    return db.executeQuery<R>({ ...query, parameters: bound });
  };
}
