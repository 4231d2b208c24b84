import { useEffect, useState } from "react";
import { AccountPanel } from "./components/AccountPanel.tsx";
import { type AppConfig, connect, loadConfig, type Session } from "./config.ts";
import { selectHistoryOf } from "./history.ts";
import { GeneratePage } from "./pages/GeneratePage.tsx";
import { NetworkPage } from "./pages/NetworkPage.tsx";
import { NodePage } from "./pages/NodePage.tsx";
import { TaskPage } from "./pages/TaskPage.tsx";

type Page = "generate" | "network" | "task" | "node";

function pageOf(path: string): Page {
  if (path.startsWith("/network")) return "network";
  if (/^\/node\/0x[0-9a-fA-F]{40}$/.test(path)) return "node";
  return /^\/task\/\d+$/.test(path) ? "task" : "generate";
}

/** The task id of a `/task/<id>` page, the address of a `/node/<address>` page. */
const taskIdOf = (path: string) => path.split("/")[2] ?? "";

export function App() {
  const [page, setPage] = useState<Page>(pageOf(window.location.pathname));
  const [session, setSession] = useState<Session>();
  const [config, setConfig] = useState<AppConfig>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    loadConfig()
      .then(async (loaded) => {
        selectHistoryOf(loaded.deployment);
        setConfig(loaded);
        setSession(await connect(loaded));
      })
      .catch((e: Error) => setError(e.message));
    const onPop = () => setPage(pageOf(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const go = (next: Page) => {
    window.history.pushState(null, "", next === "network" ? "/network" : "/");
    setPage(next);
  };

  return (
    <div className="app">
      <header>
        <h1>Hydrogen</h1>
        <nav>
          <button type="button" className={page === "generate" ? "active" : ""} onClick={() => go("generate")}>
            Generate
          </button>
          <button type="button" className={page === "network" ? "active" : ""} onClick={() => go("network")}>
            Network
          </button>
        </nav>
        <span className="wallet" data-testid="wallet">
          {session?.account
            ? `${session.wallet} wallet ${session.account.slice(0, 8)}…${session.account.slice(-4)}`
            : ""}
        </span>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!error && !session && <p>Connecting…</p>}
      {session && config && <AccountPanel session={session} faucet={config.faucet} />}
      {session && config && page === "generate" && <GeneratePage session={session} />}
      {session && config && page === "network" && <NetworkPage session={session} />}
      {session && config && page === "node" && (
        <NodePage session={session} address={taskIdOf(window.location.pathname)} />
      )}
      {session && config && page === "task" && (
        <TaskPage session={session} taskId={taskIdOf(window.location.pathname)} />
      )}
    </div>
  );
}
