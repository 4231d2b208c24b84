import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_JSON_DEPTH, parseStrictJson, StrictJsonError } from "./strict.ts";

const refuses = (text: string, code: string) =>
  assert.throws(
    () => parseStrictJson(text),
    (error: unknown) => error instanceof StrictJsonError && error.code === code,
    text.slice(0, 80),
  );

describe("strict JSON", () => {
  it("reads standard JSON as JSON.parse does", () => {
    for (const text of ['{"a":1,"b":[1,{"a":2}],"c":"x\\"y:"}', "[]", '"s"', "3", '{"a":{"b":{}},"b":{"a":1}}'])
      assert.deepEqual(parseStrictJson(text), JSON.parse(text));
  });

  it("refuses a key twice in one object, also when escaped differently", () => {
    refuses('{"a":1,"a":2}', "JSON_DUPLICATE_KEY");
    refuses('{"a":1,"\\u0061":2}', "JSON_DUPLICATE_KEY");
    refuses('{"x":{"task_config":{"seed":1, "seed":2}}}', "JSON_DUPLICATE_KEY");
    refuses('{"a" : 1, "a"\n:2}', "JSON_DUPLICATE_KEY");
    // The same key in sibling objects, or as a string value, is not a duplicate.
    assert.deepEqual(parseStrictJson('{"a":{"a":"a"},"b":["a","a"]}'), { a: { a: "a" }, b: ["a", "a"] });
  });

  it("refuses a __proto__ key anywhere", () => {
    refuses('{"a":{"__proto__":{"admin":true}}}', "JSON_FORBIDDEN_KEY");
    refuses('{"\u005f_proto__":1}', "JSON_FORBIDDEN_KEY");
  });

  it("refuses nesting deeper than the bound before any recursion", () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
    assert.ok(parseStrictJson(deep(MAX_JSON_DEPTH)));
    refuses(deep(MAX_JSON_DEPTH + 1), "JSON_TOO_DEEP");
    refuses(deep(100_000), "JSON_TOO_DEEP");
    refuses(`${"[".repeat(50)}${"]".repeat(50)}`, "JSON_TOO_DEEP");
  });

  it("refuses what is not JSON, with the parser's reason", () => {
    for (const text of ['{"a":', "{a:1}", '{"a":1,}', "", '{"\\x":1}']) refuses(text, "JSON_SYNTAX");
  });
});
