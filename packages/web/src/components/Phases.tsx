import { RUN_TASK_PHASES, type RunTaskPhase } from "@hydrogen/sdk";

const LABELS: Record<RunTaskPhase, string> = {
  created: "Created",
  argsUploaded: "Args uploaded",
  executing: "Executing",
  committed: "Committed",
  disclosed: "Disclosed",
  success: "Success",
  images: "Images",
};

/** The task's phases as a row of steps: done, current, failed or still to come. */
export function Phases({ timings, failed }: { timings: Partial<Record<RunTaskPhase, number>>; failed: boolean }) {
  const current = RUN_TASK_PHASES.find((phase) => timings[phase] === undefined);
  return (
    <ol className="phases" data-testid="phases">
      {RUN_TASK_PHASES.map((phase) => {
        const state =
          timings[phase] !== undefined ? "done" : phase === current ? (failed ? "failed" : "active") : "pending";
        return (
          <li key={phase} data-phase={phase} data-state={state} className={state}>
            <span className="dot" />
            <span className="label">{LABELS[phase]}</span>
            <span className="time">
              {timings[phase] !== undefined ? `${(timings[phase] / 1000).toFixed(1)} s` : ""}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
