import { Command, CommanderError } from "commander";
import { contractsCommand } from "./commands/contracts.ts";
import { devnetCommand } from "./commands/devnet.ts";
import { engineCommand } from "./commands/engine.ts";
import { nodeCommand } from "./commands/node.ts";
import { phashCommand } from "./commands/phash.ts";
import { relayCommand } from "./commands/relay.ts";
import { taskCommand } from "./commands/task.ts";
import { walletCommand } from "./commands/wallet.ts";
import { EXIT, exitCodeOf } from "./exit.ts";

/** The `hydrogen` command; `run` resolves with the exit code. */
export function program(env: NodeJS.ProcessEnv = process.env): Command {
  const root = new Command("hydrogen")
    .description("Hydrogen: Stable Diffusion tasks run by staked nodes, verified on chain")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  for (const command of [
    devnetCommand(),
    taskCommand(env),
    nodeCommand(env),
    engineCommand(),
    relayCommand(),
    walletCommand(env),
    contractsCommand(env),
    phashCommand(),
  ]) {
    root.addCommand(command);
  }
  // Subcommands inherit the error handling: usage errors exit 2, never a stack trace.
  const inherit = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().showHelpAfterError();
      inherit(sub);
    }
  };
  inherit(root);
  return root;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    await program(env).parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const json = argv.includes("--json");
    const message = (error as Error).message ?? String(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: message, code: (error as { code?: string }).code })}\n`);
    process.stderr.write(`hydrogen: ${message}\n`);
    const code = exitCodeOf(error);
    if (code === EXIT.failure && process.env.HYDROGEN_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return code;
  }
}
