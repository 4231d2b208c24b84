import { getRelayNode, NODE_LOSS_REASONS, type RelayIndexedNode, type RelayNodeHistoryEntry } from "@hydrogen/sdk";
import { useEffect, useState } from "react";
import { formatEther } from "viem";
import type { Session } from "../config.ts";

const reason = (entry: RelayNodeHistoryEntry) =>
  NODE_LOSS_REASONS[entry.detail as keyof typeof NODE_LOSS_REASONS] ?? entry.detail;

function describe(entry: RelayNodeHistoryEntry): string {
  const cnx = entry.amount ? `${formatEther(BigInt(entry.amount))} CNX` : "";
  switch (entry.kind) {
    case "joined":
      return `joined, staking ${cnx}`;
    case "status":
      return `status ${(entry.detail ?? "").replace(">", " → ")}`;
    case "stake_returned":
      return `quit; ${cnx} stake returned`;
    case "stake_slashed":
      return `lost its stake of ${cnx} to the incentive pool`;
    case "paid":
      return `paid ${cnx}`;
    case "slashed":
      return `slashed: ${reason(entry)}`;
    case "missed":
      return `missed: ${reason(entry)}`;
  }
}

/**
 * One node as the relay's index knows it: status, stake, earnings, and its history with every
 * slash and missed task and the reason, a page at a time.
 */
export function NodePage({ session, address }: { session: Session; address: string }) {
  const [node, setNode] = useState<RelayIndexedNode>();
  const [events, setEvents] = useState<RelayNodeHistoryEntry[]>([]);
  const [next, setNext] = useState<string>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    let current = true;
    getRelayNode(session.client, { address: address as `0x${string}`, limit: 50 })
      .then((loaded) => {
        if (!current) return;
        setNode(loaded.node);
        setEvents(loaded.events);
        setNext(loaded.next);
      })
      .catch((e: Error) => current && setError(e.message.split("\n")[0]));
    return () => {
      current = false;
    };
  }, [session, address]);

  const more = () =>
    getRelayNode(session.client, { address: address as `0x${string}`, before: next, limit: 50 })
      .then((loaded) => {
        setEvents((held) => [...held, ...loaded.events]);
        setNext(loaded.next);
      })
      .catch((e: Error) => setError(e.message.split("\n")[0]));

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!node) return <p>Loading the node…</p>;
  return (
    <main className="node-page" data-testid="node-page">
      <h2>
        Node <code>{node.address}</code>
      </h2>
      <dl className="summary" data-testid="node-summary">
        <dt>Status</dt>
        <dd>{node.status}</dd>
        <dt>Stake</dt>
        <dd>{formatEther(BigInt(node.stake))} CNX</dd>
        <dt>Earned</dt>
        <dd>
          {formatEther(BigInt(node.earned))} CNX in {node.paid_tasks} tasks
        </dd>
        <dt>Slashes</dt>
        <dd>{node.slashes}</dd>
        <dt>Missed</dt>
        <dd>{node.missed}</dd>
      </dl>
      <h3>History</h3>
      <ul className="history" data-testid="node-history">
        {events.map((entry) => (
          <li key={`${entry.block}.${entry.log_index}`} className="history-entry" data-kind={entry.kind}>
            <span>{describe(entry)}</span>{" "}
            {entry.task_id && <a href={`/task/${entry.task_id}`}>task {entry.task_id}</a>}{" "}
            <small>
              block {entry.block}
              {entry.time ? ` · ${new Date(entry.time * 1000).toLocaleString()}` : ""}
              {entry.tx_hash ? ` · ${entry.tx_hash.slice(0, 10)}…` : ""}
            </small>
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" onClick={() => void more()}>
          Older
        </button>
      )}
    </main>
  );
}
