/**
 * JSON as every component reads it (spec §7, "Input the relay accepts"): standard JSON, with
 * no `__proto__` key, no duplicate keys — `JSON.parse` keeps the last, other languages the first, so one text must
 * never mean two things — and a bounded nesting depth, checked before anything recursive runs.
 */

/** Objects and arrays nested deeper than this are refused. Task arguments need 4. */
export const MAX_JSON_DEPTH = 32;

export type StrictJsonErrorCode = "JSON_SYNTAX" | "JSON_DUPLICATE_KEY" | "JSON_TOO_DEEP" | "JSON_FORBIDDEN_KEY";

export class StrictJsonError extends Error {
  override readonly name = "StrictJsonError";
  constructor(
    readonly code: StrictJsonErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses `text`, refusing duplicate keys (compared after unescaping: `"a"` and `"\u0061"` are
 * one key) and nesting deeper than `maxDepth`. Throws `StrictJsonError`.
 *
 * @example
 * parseStrictJson('{"a":1,"a":2}') // throws StrictJsonError JSON_DUPLICATE_KEY
 */
export function parseStrictJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  checkStructure(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StrictJsonError("JSON_SYNTAX", `not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * One pass over the text, outside strings: depth from brackets, and each object's keys (a
 * string followed by `:`). Syntax itself is `JSON.parse`'s to judge afterwards; a text this
 * pass misreads is one `JSON.parse` refuses.
 */
function checkStructure(text: string, maxDepth: number): void {
  // Per open bracket: the keys of an object, or undefined for an array.
  const stack: (Set<string> | undefined)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      const frame = stack[stack.length - 1];
      if (frame && nextNonSpace(text, end) === 0x3a /* : */) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end)) as string;
        } catch (error) {
          throw new StrictJsonError("JSON_SYNTAX", `not valid JSON: ${(error as Error).message}`);
        }
        if (frame.has(key)) throw new StrictJsonError("JSON_DUPLICATE_KEY", `duplicate key ${JSON.stringify(key)}`);
        // Harmless to JSON.parse, but a trap for any code that later merges objects.
        if (key === "__proto__") throw new StrictJsonError("JSON_FORBIDDEN_KEY", 'the key "__proto__" is not allowed');
        frame.add(key);
      }
      i = end - 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) {
        throw new StrictJsonError("JSON_TOO_DEEP", `nested deeper than ${maxDepth} levels`);
      }
      stack.push(c === 0x7b ? new Set() : undefined);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    }
  }
}

/** The index just past the string token starting at `start` (a `"`), or the text's end. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i + 1;
  }
  return text.length;
}

function nextNonSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}
