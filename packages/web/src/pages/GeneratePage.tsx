import {
  downloadImages,
  getTaskArgs,
  HydrogenError,
  InvalidTaskArgsError,
  listRelayTasks,
  type RunTaskPhase,
  runTask,
  TaskArgsTooLargeError,
} from "@hydrogen/sdk";
import { type FormEvent, useEffect, useState } from "react";
import { formatEther } from "viem";
import { useTaskFee } from "../components/AccountPanel.tsx";
import { Gallery, type GalleryImage } from "../components/Gallery.tsx";
import { Phases } from "../components/Phases.tsx";
import { type FieldErrors, TaskForm } from "../components/TaskForm.tsx";
import type { Session } from "../config.ts";
import { type HistoryEntry, mergeHistory, readHistory, saveHistory } from "../history.ts";
import { type FormState, fieldErrors, formFromArgs, initialForm, taskArgs } from "../task-form.ts";

export function GeneratePage({ session }: { session: Session }) {
  const [form, setForm] = useState<FormState>(initialForm);
  const [running, setRunning] = useState(false);
  const [taskId, setTaskId] = useState<string>();
  const [timings, setTimings] = useState<Partial<Record<RunTaskPhase, number>>>({});
  const [images, setImages] = useState<GalleryImage[]>([]);
  const [formError, setFormError] = useState<string[]>([]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [taskError, setTaskError] = useState<string>();
  const [history, setHistory] = useState<HistoryEntry[]>(readHistory);
  const fee = useTaskFee(session);
  // The account's tasks from every device: the relay's index, merged with this browser's prompts.
  // biome-ignore lint/correctness/useExhaustiveDependencies: read again after each task
  useEffect(() => {
    const account = session.account;
    if (!account) return;
    let current = true;
    listRelayTasks(session.client, { creator: account, limit: 50 })
      .then(({ tasks }) => current && setHistory(mergeHistory(readHistory(), tasks)))
      .catch(() => undefined); // the relay is down: this browser's history stands
    return () => {
      current = false;
    };
  }, [session, running]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError([]);
    setErrors({});
    setTaskError(undefined);
    setImages([]);
    setTimings({});
    setTaskId(undefined);
    setRunning(true);
    let id: string | undefined;
    const entry = (patch: Partial<HistoryEntry>) =>
      id && setHistory(saveHistory({ ...(readHistory().find((e) => e.taskId === id) as HistoryEntry), ...patch }));
    try {
      const result = await runTask(session.client, {
        args: taskArgs(form) as never,
        onProgress: ({ phase, taskId: created, elapsedMs }) => {
          if (phase === "created") {
            id = created.toString();
            setTaskId(id);
            setHistory(
              saveHistory({ taskId: id, prompt: form.prompt, createdAt: Date.now(), status: "running", images: 0 }),
            );
          }
          setTimings((previous) => ({ ...previous, [phase]: elapsedMs }));
        },
      });
      setImages(result.images);
      entry({ status: "success", images: result.images.length });
    } catch (error) {
      if (error instanceof InvalidTaskArgsError) {
        setFormError(error.violations.map((v) => `${v.path || "arguments"}: ${v.message}`));
        setErrors(fieldErrors(error.violations));
      } else if (error instanceof TaskArgsTooLargeError) {
        // Refused before paying: the relay would not take arguments this large.
        setFormError([error.message]);
      } else {
        const message = error instanceof HydrogenError ? error.message : (error as Error).message.split("\n")[0];
        setTaskError(message);
        entry({ status: "failed", message });
      }
    } finally {
      setRunning(false);
    }
  }

  /** Fills the form with a past task's arguments (from the relay, checked against its task hash). */
  async function remix(entry: HistoryEntry) {
    setTaskError(undefined);
    try {
      setForm(formFromArgs(await getTaskArgs(session.client, { taskId: BigInt(entry.taskId) })));
      setFormError([]);
      setErrors({});
    } catch (error) {
      setTaskError(`cannot remix task ${entry.taskId}: ${(error as Error).message.split("\n")[0]}`);
    }
  }

  async function show(entry: HistoryEntry) {
    setTaskError(undefined);
    setTaskId(entry.taskId);
    setTimings({});
    setImages([]);
    try {
      setImages(await downloadImages(session.client, { taskId: BigInt(entry.taskId), timeoutMs: 10_000 }));
    } catch (error) {
      setTaskError((error as Error).message.split("\n")[0]);
    }
  }

  return (
    <main className="generate">
      <TaskForm
        form={form}
        onChange={setForm}
        errors={errors}
        summary={formError}
        onSubmit={submit}
        submit={
          <>
            <button type="submit" disabled={running || session.wallet === "none"} data-testid="generate">
              {running ? "Running…" : `Generate${fee === undefined ? "" : ` (${formatEther(fee)} CNX)`}`}
            </button>
            {session.wallet === "none" && <p className="hint">Connect a wallet to pay for tasks.</p>}
          </>
        }
      />

      <section className="task">
        {taskId && <h2 data-testid="task-id">Task {taskId}</h2>}
        {(running || Object.keys(timings).length > 0) && <Phases timings={timings} failed={Boolean(taskError)} />}
        {taskError && (
          <p className="error" role="alert" data-testid="task-error">
            {taskError}
          </p>
        )}
        {taskId && images.length > 0 && <Gallery taskId={taskId} images={images} />}
      </section>

      <aside className="history" data-testid="history">
        <h2>History</h2>
        {history.length === 0 && <p className="hint">No tasks yet.</p>}
        <ul>
          {history.map((entry) => (
            <li key={entry.taskId} data-status={entry.status}>
              <button type="button" onClick={() => show(entry)} disabled={entry.status !== "success"}>
                #{entry.taskId}
              </button>
              <span className="prompt">{entry.prompt}</span>
              <a href={`/task/${entry.taskId}`} className="details">
                details
              </a>
              <button type="button" className="remix" onClick={() => void remix(entry)} data-testid="remix">
                remix
              </button>
              <span className={`status ${entry.status}`}>{entry.status}</span>
            </li>
          ))}
        </ul>
      </aside>
    </main>
  );
}
