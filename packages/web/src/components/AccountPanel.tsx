import { approveTasks, type GetAccountStateReturnType, getAccountState } from "@hydrogen/sdk";
import { useCallback, useEffect, useState } from "react";
import { formatEther } from "viem";
import type { Session } from "../config.ts";

const cnx = (wei: bigint) => `${Number(formatEther(wei)).toLocaleString(undefined, { maximumFractionDigits: 2 })}`;

/**
 * The paying account at a glance, from the chain: ETH for gas, CNX, the allowance to the
 * TaskManager and what a task costs now; on a devnet, a faucet.
 */
export function AccountPanel({
  session,
  faucet,
  refreshKey,
}: {
  session: Session;
  faucet?: string;
  /** Changes when the balances should be read again (a task ended). */
  refreshKey?: unknown;
}) {
  const [state, setState] = useState<GetAccountStateReturnType>();
  const [message, setMessage] = useState<string>();
  const account = session.account;
  const refresh = useCallback(() => {
    if (!account) return;
    getAccountState(session.client, { account })
      .then(setState)
      .catch(() => undefined); // the RPC is down: keep the last figures
  }, [session, account]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: read again when a task ends
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  }, [refresh, refreshKey]);

  /** Approve as its own step: then each task is one transaction (no permit signature). */
  async function approve() {
    setMessage("Approving in the wallet…");
    try {
      await approveTasks(session.client, { tasks: 10 });
      setMessage("Approved: the next 10 tasks are one transaction each");
    } catch (error) {
      setMessage((error as Error).message.split("\n")[0]);
    }
    refresh();
  }

  async function drip() {
    if (!faucet || !account) return;
    setMessage("Asking the faucet…");
    const response = await fetch(faucet, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address: account }),
    });
    setMessage(response.ok ? "Funded: 1 ETH and 1,000 CNX" : `The faucet said ${response.status}`);
    refresh();
  }

  if (!account) return null;
  return (
    <section className="account" data-testid="account">
      <span data-testid="eth">{state ? `${Number(formatEther(state.eth)).toFixed(3)} ETH` : "… ETH"}</span>
      <span data-testid="cnx">{state ? `${cnx(state.cnx)} CNX` : "… CNX"}</span>
      <span data-testid="allowance" title="CNX the TaskManager may take without a permit">
        {state ? `allowance ${cnx(state.allowance)}` : ""}
      </span>
      <span data-testid="fee">{state ? `a task costs ${cnx(state.fee)} CNX` : ""}</span>
      {state && state.allowance < state.fee && (
        <button type="button" onClick={approve} data-testid="approve">
          Approve 10 tasks
        </button>
      )}
      {faucet && (
        <button type="button" onClick={drip} data-testid="faucet">
          Faucet
        </button>
      )}
      {message && <span className="hint">{message}</span>}
    </section>
  );
}

/** The fee of a task as the Generate button shows it, from the chain. */
export function useTaskFee(session: Session): bigint | undefined {
  const [fee, setFee] = useState<bigint>();
  useEffect(() => {
    const account = session.account;
    if (!account) return;
    getAccountState(session.client, { account })
      .then((state) => setFee(state.fee))
      .catch(() => undefined);
  }, [session]);
  return fee;
}
