import { runRelay } from "@hydrogen/relay";
import { Command } from "commander";

/** `hydrogen relay start`: the relay service, as `hydrogen node start` runs the node. */
export function relayCommand(): Command {
  const relay = new Command("relay").description("run the relay");
  relay
    .command("start")
    .description("run the relay (configuration: docs/relay.md)")
    .option("--config <file>", "relay.json (env HYDROGEN_RELAY_CONFIG)")
    .action(async (options: { config?: string }) => {
      process.exitCode = await runRelay(options.config ? ["--config", options.config] : []);
    });
  return relay;
}
