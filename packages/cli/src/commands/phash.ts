import { runPhash } from "@hydrogen/protocol/phash-cli";
import { Command } from "commander";

export function phashCommand(): Command {
  return new Command("phash")
    .description("print the 64-bit perceptual hash (spec §8) of PNG files")
    .argument("<files...>", "PNG files")
    .action((files: string[]) => {
      process.exitCode = runPhash(
        files,
        (line) => process.stdout.write(`${line}\n`),
        (line) => process.stderr.write(`${line}\n`),
      );
    });
}
