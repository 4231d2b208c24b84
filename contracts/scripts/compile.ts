import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc") as { compile(input: string, callbacks: object): string; version(): string };

/** The contracts package root: source unit names are paths relative to it. */
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** One compiler configuration for everything deployed, so the gas figures are the deployed ones. */
export const COMPILER_SETTINGS = {
  evmVersion: "cancun",
  optimizer: { enabled: true, runs: 1_000_000 },
  viaIR: true,
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
} as const;

export interface CompiledContract {
  abi: unknown[];
  evm: { bytecode: { object: string } };
}

export interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, CompiledContract>>;
}

export function solcVersion(): string {
  return solc.version();
}

function resolveImport(path: string): { contents: string } | { error: string } {
  const local = join(root, path);
  if (existsSync(local)) return { contents: readFileSync(local, "utf8") };
  try {
    return { contents: readFileSync(require.resolve(path, { paths: [root] }), "utf8") };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

/**
 * Compiles Solidity files (paths relative to `contracts/`) offline with solc-js; warnings go
 * to stderr, errors throw.
 *
 * @example
 * const output = compileSolidity(["src/TaskManager.sol"]);
 * const taskManager = output.contracts["src/TaskManager.sol"]?.TaskManager;
 */
export function compileSolidity(files: string[]): SolcOutput {
  const sources = Object.fromEntries(files.map((file) => [file, { content: readFileSync(join(root, file), "utf8") }]));
  const input = { language: "Solidity", sources, settings: COMPILER_SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as SolcOutput;
  for (const e of output.errors ?? []) process.stderr.write(`${e.formattedMessage}\n`);
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc reported ${errors.length} error(s)`);
  return output;
}
