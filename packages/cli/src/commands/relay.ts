import { runRelay } from "@hydrogen/relay";
import { Command } from "commander";

export function relayCommand(): Command {
  return new Command("relay")
    .description("run the relay (configuration: docs/relay.md)")
    .option("--config <file>", "relay.json (env RELAY_CONFIG)")
    .action(async (options: { config?: string }) => {
      process.exitCode = await runRelay(options.config ? ["--config", options.config] : []);
    });
}
