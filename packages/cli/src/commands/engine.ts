import { checkComfyUI } from "@hydrogen/node";
import { Command } from "commander";
import { EXIT } from "../exit.ts";
import { Output } from "../output.ts";

export function engineCommand(): Command {
  const engine = new Command("engine").description("the node's execution engines");
  engine
    .command("check")
    .description("check a live ComfyUI: reachable, every node type Hydrogen needs, a tiny test render")
    .requiredOption("--comfyui <url>", "the ComfyUI server, e.g. http://127.0.0.1:8188")
    .option("--checkpoint <name>", "the checkpoint for the test render (default: the first ComfyUI lists)")
    .option("--json", "print the report as JSON")
    .action(async (options: { comfyui: string; checkpoint?: string; json?: boolean }) => {
      const report = await checkComfyUI(options.comfyui, { checkpoint: options.checkpoint });
      const lines = [
        `ComfyUI ${options.comfyui}: ${report.reachable ? `reachable, version ${report.version ?? "unknown"}` : "NOT reachable"}`,
        ...report.devices.map((d) => `  device ${d}`),
        ...(report.reachable
          ? [
              `  node types      ${report.missingNodes.length === 0 ? "all present" : `missing ${report.missingNodes.join(", ")}`}`,
              `  preprocessors   ${report.missingPreprocessors.length === 0 ? "all present" : `missing ${report.missingPreprocessors.join(", ")}`}`,
              `  test render     ${report.render}`,
            ]
          : []),
        ...(report.reachable
          ? [
              `  versions        ComfyUI ${report.versions.comfyui ?? "?"}, torch ${report.versions.pytorch ?? "?"}, Python ${report.versions.python ?? "?"} (every node must run the same)`,
            ]
          : []),
        ...report.warnings.map((w) => `warning: ${w}`),
        ...report.problems.map((p) => `problem: ${p}`),
        report.problems.length === 0
          ? "ready for Hydrogen tasks"
          : 'not ready: fix the problems above (docs/node.md, "ComfyUI")',
      ];
      new Output(Boolean(options.json)).result(report, lines.join("\n"));
      if (!report.reachable) process.exitCode = EXIT.unavailable;
      else if (report.problems.length > 0) process.exitCode = EXIT.failure;
    });
  return engine;
}
