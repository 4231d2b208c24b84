import { downloadImages, getTaskTimeline, type RelayTimelineEvent } from "@hydrogen/sdk";
import { useEffect, useState } from "react";
import { Gallery, type GalleryImage } from "../components/Gallery.tsx";
import type { Session } from "../config.ts";

const short = (hex: string) => `${hex.slice(0, 8)}…${hex.slice(-4)}`;

/** What each selected node did in the task, from its timeline. */
function nodeRows(events: RelayTimelineEvent[]) {
  const nodes = events.filter((e) => e.name === "TaskCreated");
  return nodes.map((created) => {
    const mine = events.filter((e) => e.node === created.node && e.name !== "TaskCreated");
    const has = (name: string) => mine.find((e) => e.name === name);
    const paid = has("NodePaid");
    return {
      node: created.node ?? "",
      round: created.round ?? 0,
      committed: Boolean(has("TaskResultCommitmentSubmitted")),
      errorReported: Boolean(has("TaskErrorReported")),
      disclosed: Boolean(has("TaskResultDisclosed")),
      paid: paid?.amount,
      slashed: Boolean(has("NodeSlashedForTask")),
    };
  });
}

/**
 * One task: its timeline from the relay's index (each chain event with its block, time and
 * transaction), what each selected node did, and the images, verified against the chain.
 */
export function TaskPage({ session, taskId }: { session: Session; taskId: string }) {
  const [events, setEvents] = useState<RelayTimelineEvent[]>();
  const [error, setError] = useState<string>();
  const [images, setImages] = useState<GalleryImage[]>([]);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    let current = true;
    const load = () =>
      getTaskTimeline(session.client, { taskId: BigInt(taskId) })
        .then((loaded) => current && setEvents(loaded))
        .catch((e: Error) => current && setError(e.message.split("\n")[0]));
    void load();
    const timer = setInterval(load, 3000);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [session, taskId]);

  async function showImages() {
    setLoading(true);
    setError(undefined);
    try {
      setImages(await downloadImages(session.client, { taskId: BigInt(taskId), timeoutMs: 10_000 }));
    } catch (e) {
      setError((e as Error).message.split("\n")[0]);
    } finally {
      setLoading(false);
    }
  }

  const done = events?.some((e) => e.name === "TaskResultUploaded");
  return (
    <main className="task-page" data-testid="task-page">
      <h2>Task {taskId}</h2>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!events && !error && <p>Loading…</p>}
      {events && (
        <>
          <h3>Nodes</h3>
          <table className="task-nodes" data-testid="task-nodes">
            <thead>
              <tr>
                <th>round</th>
                <th>node</th>
                <th>committed</th>
                <th>disclosed</th>
                <th>outcome</th>
              </tr>
            </thead>
            <tbody>
              {nodeRows(events).map((row) => (
                <tr key={row.round} data-node={row.node}>
                  <td data-label="round">{row.round}</td>
                  <td data-label="node" title={row.node}>
                    <a href={`/node/${row.node}`}>{short(row.node)}</a>
                  </td>
                  <td data-label="committed">{row.committed ? "✓" : row.errorReported ? "error reported" : "—"}</td>
                  <td data-label="disclosed">{row.disclosed ? "✓" : "—"}</td>
                  <td data-label="outcome" data-testid="node-outcome">
                    {row.slashed
                      ? "slashed"
                      : row.paid
                        ? `paid ${Number(BigInt(row.paid) / 10n ** 15n) / 1000} CNX`
                        : "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Timeline</h3>
          <ol className="timeline" data-testid="timeline">
            {events.map((event) => (
              <li key={`${event.block}:${event.log_index}`} data-event={event.name}>
                <span className="when">
                  {event.time ? new Date(event.time * 1000).toLocaleTimeString() : `block ${event.block}`}
                </span>
                <span className="what">{event.name}</span>
                {event.node && (
                  <span className="who" title={event.node}>
                    {short(event.node)}
                  </span>
                )}
                {event.reason && <span className="reason">{event.reason}</span>}
                {event.tx_hash && (
                  <span className="tx" title={event.tx_hash}>
                    tx {short(event.tx_hash)}
                  </span>
                )}
              </li>
            ))}
          </ol>
          {done && images.length === 0 && (
            <button type="button" onClick={showImages} disabled={loading} data-testid="show-images">
              {loading ? "Loading…" : "Show the images"}
            </button>
          )}
          {images.length > 0 && <Gallery taskId={taskId} images={images} />}
        </>
      )}
    </main>
  );
}
