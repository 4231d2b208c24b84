import {
  type GetNetworkStatsReturnType,
  getNetworkStats,
  listRelayNodes,
  type NodeStatus,
  type RelayIndexedNode,
  type TaskOutcome,
} from "@hydrogen/sdk";
import { useEffect, useState } from "react";
import { formatEther } from "viem";
import { type Bar, Donut, HorizontalBars, StackedBars } from "../components/charts.tsx";
import type { Session } from "../config.ts";

const STATUS_COLORS: Record<NodeStatus, string> = {
  Available: "#2e9d5b",
  Busy: "#e0a100",
  Paused: "#8a8a8a",
  PendingPause: "#b59a5a",
  PendingQuit: "#b86b6b",
  Quit: "#444",
};

const OUTCOMES: { outcome: TaskOutcome; label: string; color: string }[] = [
  { outcome: "completed", label: "completed", color: "#2e9d5b" },
  { outcome: "success", label: "success (uploading)", color: "#7cc79a" },
  { outcome: "open", label: "running", color: "#e0a100" },
  { outcome: "cancelled", label: "cancelled", color: "#8a8a8a" },
  { outcome: "errorReported", label: "error reported", color: "#c98b3b" },
  { outcome: "resultsDisagree", label: "results disagree", color: "#c0392b" },
];

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

/** Pages of the relay's node index read at most (100 nodes each). */
const MAX_NODE_PAGES = 10;

/** The nodes that hold a stake, from the relay's index (never the chain's logs). */
async function stakedNodes(session: Session): Promise<RelayIndexedNode[]> {
  const nodes: RelayIndexedNode[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_NODE_PAGES; page++) {
    const loaded = await listRelayNodes(session.client, { after, limit: 100 });
    nodes.push(...loaded.nodes.filter((n) => n.status !== "Quit"));
    after = loaded.next;
    if (!after) break;
  }
  return nodes;
}

/** Tasks per minute, stacked by outcome, for the last 30 minutes that had tasks. */
function taskBars(stats: GetNetworkStatsReturnType): Bar[] {
  const buckets = new Map<number, Record<TaskOutcome, number>>();
  for (const task of stats.tasks.recent) {
    const minute = Math.floor(task.createdAt / 60) * 60;
    const bucket =
      buckets.get(minute) ??
      ({ open: 0, success: 0, completed: 0, cancelled: 0, errorReported: 0, resultsDisagree: 0 } as Record<
        TaskOutcome,
        number
      >);
    bucket[task.outcome]++;
    buckets.set(minute, bucket);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .slice(-30)
    .map(([minute, counts]) => ({
      label: new Date(minute * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
      parts: OUTCOMES.map((o) => ({ label: o.label, value: counts[o.outcome], color: o.color })),
    }));
}

export function NetworkPage({ session }: { session: Session }) {
  const [stats, setStats] = useState<GetNetworkStatsReturnType>();
  const [nodes, setNodes] = useState<RelayIndexedNode[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let stopped = false;
    const refresh = () =>
      // Nodes come from the index: the chain is read for tasks and slashes only.
      Promise.all([getNetworkStats(session.client, { withNodes: false }), stakedNodes(session)])
        .then(([next, indexed]) => {
          if (stopped) return;
          setStats(next);
          setNodes(indexed);
          setError(undefined);
        })
        .catch((e: Error) => {
          if (!stopped) setError(e.message.split("\n")[0]);
        });
    refresh();
    const timer = setInterval(refresh, 3000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [session]);

  if (error && !stats)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!stats || !nodes) return <p>Loading the network…</p>;
  const status = (node: RelayIndexedNode) => node.status as NodeStatus;
  const maxStake = Math.max(1, ...nodes.map((n) => Number(formatEther(BigInt(n.stake)))));
  const totalStaked = nodes.reduce((sum, n) => sum + BigInt(n.stake), 0n);
  return (
    <main className="network">
      <section>
        <h2>
          Nodes{" "}
          <small>
            {nodes.filter((n) => n.status === "Available").length} available of {nodes.length}
          </small>
        </h2>
        <div className="nodes" data-testid="nodes">
          {nodes.map((node) => {
            const stake = Number(formatEther(BigInt(node.stake)));
            const size = 28 + (stake / maxStake) * 28;
            return (
              <a
                key={node.address}
                href={`/node/${node.address}`}
                className="node"
                data-testid="node"
                data-status={node.status}
                title={node.address}
              >
                <svg width="64" height="64" viewBox="0 0 64 64" role="img" aria-label={`${node.status} node`}>
                  <circle cx="32" cy="32" r={size / 2} fill={STATUS_COLORS[status(node)] ?? "#444"} />
                </svg>
                <span className="address">{short(node.address)}</span>
                <span className="status">{node.status}</span>
                <span className="earned">
                  {formatEther(BigInt(node.earned))} CNX · {node.slashes} slashed · {node.missed} missed
                </span>
              </a>
            );
          })}
        </div>
        <ul className="legend">
          {Object.entries(STATUS_COLORS).map(([status, color]) => (
            <li key={status}>
              <span className="swatch" style={{ background: color }} /> {status}
            </li>
          ))}
        </ul>
      </section>
      <section className="charts">
        <HorizontalBars
          testId="stakes"
          title={`Stakes (CNX; ${formatEther(totalStaked)} staked in all)`}
          items={nodes.map((n) => ({
            label: short(n.address),
            value: Number(formatEther(BigInt(n.stake))),
            color: STATUS_COLORS[status(n)] ?? "#444",
          }))}
        />
        <Donut
          title={`Task outcomes (${stats.tasks.total} tasks)`}
          slices={OUTCOMES.map((o) => ({ label: o.label, value: stats.tasks.byOutcome[o.outcome], color: o.color }))}
        />
        <StackedBars testId="tasks-over-time" title="Tasks per minute" bars={taskBars(stats)} />
      </section>
      <section data-testid="slashes">
        <h2>Slashes</h2>
        {stats.slashes.length === 0 ? (
          <p className="hint">No node has been slashed.</p>
        ) : (
          <svg width="100%" height="40" role="img" aria-label="slashes over blocks">
            {stats.slashes.map((slash) => (
              <g key={`${slash.blockNumber}-${slash.node}`}>
                <circle
                  cx={`${(Number(slash.blockNumber) / Number(stats.blockNumber)) * 100}%`}
                  cy="20"
                  r="8"
                  fill="#c0392b"
                >
                  <title>{`${short(slash.node)} lost ${formatEther(slash.amount)} CNX at block ${slash.blockNumber}${slash.taskId ? ` (task ${slash.taskId})` : ""}`}</title>
                </circle>
              </g>
            ))}
          </svg>
        )}
      </section>
    </main>
  );
}
