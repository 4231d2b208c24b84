import {
  downloadImages,
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
import type { Session } from "../config.ts";
import { type HistoryEntry, mergeHistory, readHistory, saveHistory } from "../history.ts";

interface FormState {
  prompt: string;
  negativePrompt: string;
  model: string;
  width: string;
  height: string;
  seed: string;
  numImages: string;
}

const INITIAL: FormState = {
  prompt: "",
  negativePrompt: "",
  model: "stable-diffusion-v1-5/stable-diffusion-v1-5",
  width: "512",
  height: "512",
  seed: String(Math.floor(Math.random() * 1_000_000)),
  numImages: "1",
};

/** Numbers stay as typed when they are not numbers, so the schema names the field. */
function numeric(value: string): number | string {
  return value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
}

function taskArgs(form: FormState) {
  return {
    base_model: form.model.trim(),
    prompt: form.prompt,
    ...(form.negativePrompt ? { negative_prompt: form.negativePrompt } : {}),
    task_config: {
      image_width: numeric(form.width),
      image_height: numeric(form.height),
      seed: numeric(form.seed),
      num_images: numeric(form.numImages),
    },
  };
}

export function GeneratePage({ session }: { session: Session }) {
  const [form, setForm] = useState<FormState>(INITIAL);
  const [running, setRunning] = useState(false);
  const [taskId, setTaskId] = useState<string>();
  const [timings, setTimings] = useState<Partial<Record<RunTaskPhase, number>>>({});
  const [images, setImages] = useState<GalleryImage[]>([]);
  const [formError, setFormError] = useState<string[]>([]);
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

  const field = (name: keyof FormState) => ({
    name,
    value: form[name],
    onChange: (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value }),
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFormError([]);
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
      <form onSubmit={submit} data-testid="task-form" noValidate>
        <label>
          Prompt
          <textarea {...field("prompt")} rows={3} placeholder="a lighthouse at dawn" data-testid="prompt" />
        </label>
        <label>
          Negative prompt
          <input {...field("negativePrompt")} data-testid="negative-prompt" />
        </label>
        <label>
          Model
          <input {...field("model")} data-testid="model" />
        </label>
        <div className="row">
          <label>
            Width
            <input {...field("width")} inputMode="numeric" data-testid="width" />
          </label>
          <label>
            Height
            <input {...field("height")} inputMode="numeric" data-testid="height" />
          </label>
          <label>
            Seed
            <input {...field("seed")} inputMode="numeric" data-testid="seed" />
          </label>
          <label>
            Images
            <input {...field("numImages")} inputMode="numeric" data-testid="num-images" />
          </label>
        </div>
        {formError.length > 0 && (
          <ul className="error" role="alert" data-testid="form-error">
            {formError.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        )}
        <button type="submit" disabled={running || session.wallet === "none"} data-testid="generate">
          {running ? "Running…" : `Generate${fee === undefined ? "" : ` (${formatEther(fee)} CNX)`}`}
        </button>
        {session.wallet === "none" && <p className="hint">Connect a wallet to pay for tasks.</p>}
      </form>

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
              <span className={`status ${entry.status}`}>{entry.status}</span>
            </li>
          ))}
        </ul>
      </aside>
    </main>
  );
}
