import { NODE_LOSS_REASONS } from "@hydrogen/protocol";

/**
 * The node's dashboard: one static page, no build step, no external assets. It asks for the
 * API token once (kept in sessionStorage), then polls `/api/status` and `/api/logs`.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hydrogen node</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #0f1115; color: #e6e6e6; }
  header { padding: 12px 20px; background: #181b22; display: flex; gap: 16px; align-items: center; }
  main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
  section { background: #181b22; border-radius: 8px; padding: 12px 16px; }
  h1 { font-size: 16px; margin: 0; } h2 { font-size: 14px; margin: 0 0 8px; color: #9aa4b2; }
  table { width: 100%; border-collapse: collapse; } td, th { padding: 3px 6px; text-align: left; border-bottom: 1px solid #262a33; }
  code, pre { font: 12px ui-monospace, monospace; } pre { max-height: 320px; overflow: auto; margin: 0; white-space: pre-wrap; }
  button { background: #2b6cb0; color: white; border: 0; border-radius: 4px; padding: 6px 12px; cursor: pointer; }
  .error { color: #f87171; } .muted { color: #9aa4b2; }
</style>
</head>
<body>
<header><h1>Hydrogen node</h1><span id="address" class="muted"></span><span id="message" class="error"></span></header>
<main>
  <section><h2>Node</h2><table id="node"></table>
    <p><button data-action="join">Join</button> <button data-action="pause">Pause</button>
       <button data-action="resume">Resume</button> <button data-action="quit">Quit</button></p></section>
  <section><h2>Earnings</h2><table id="earnings"></table></section>
  <section><h2>Current tasks</h2><table id="current"></table></section>
  <section><h2>Recent tasks</h2><table id="recent"></table></section>
  <section><h2>Missed through this node's own failures (last 100 tasks)</h2><table id="missed"></table></section>
  <section style="grid-column: 1 / -1"><h2>Every slash and unpaid task, with why (last 100)</h2><table id="lost"></table></section>
  <section style="grid-column: 1 / -1"><h2>As the relay's index sees this node (from the chain)</h2><table id="index"></table></section>
  <section style="grid-column: 1 / -1"><h2>Logs</h2><pre id="logs"></pre></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const cnx = (wei) => (Number(BigInt(wei) / 10n ** 14n) / 1e4).toString();
function token() {
  let t = sessionStorage.getItem("hydrogen-node-token");
  if (!t) { t = prompt("API token (see <dataDir>/api-token)") || ""; sessionStorage.setItem("hydrogen-node-token", t); }
  return t;
}
async function api(path, init = {}) {
  const response = await fetch(path, { ...init, headers: { authorization: "Bearer " + token() } });
  const body = await response.json();
  if (response.status === 401) sessionStorage.removeItem("hydrogen-node-token");
  if (!response.ok) throw new Error(body.error ? body.error.code + ": " + body.error.message : response.statusText);
  return body;
}
function rows(table, pairs) {
  table.replaceChildren(...pairs.map(([k, v]) => { const tr = document.createElement("tr");
    const a = document.createElement("th"); a.textContent = k; const b = document.createElement("td"); b.textContent = v;
    tr.append(a, b); return tr; }));
}
function tasks(table, list) {
  rows(table, list.length ? list.map((t) => ["#" + t.taskId, t.phase + (t.outcome ? " · " + t.outcome : "") +
    (t.paidWei !== "0" ? " · +" + cnx(t.paidWei) + " CNX" : "") + (t.error ? " · " + t.error.code : "") +
    (t.lastFailure && t.paidWei === "0" ? " · failed " + t.lastFailure.count + "× at " + t.lastFailure.step + ": " +
      t.lastFailure.code + " — " + t.lastFailure.reason : "")]) : [["—", "none"]]);
}
async function refresh() {
  try {
    const s = await api("/api/status");
    $("address").textContent = s.address + " · " + s.engine + " engine · chain " + s.chain.chainId;
    const n = s.node;
    rows($("node"), n.error ? [["error", n.error]] : [["status", n.status], ["stake", cnx(n.stakeWei) + " CNX"],
      ["balance", cnx(n.cnxWei) + " CNX"], ["gas", cnx(n.gasWei)], ["block", s.chain.cursor + " (lag " + s.chain.lagBlocks + ")"]]);
    rows($("earnings"), [["earned", cnx(s.earnings.earnedWei) + " CNX"], ["paid tasks", s.earnings.paidTasks],
      ["slashes", s.earnings.slashes], ["transactions", s.earnings.transactions], ["fees", cnx(s.earnings.feesWei)]]);
    tasks($("current"), s.currentTasks); tasks($("recent"), s.recentTasks);
    const missed = Object.entries(s.missedByCode);
    rows($("missed"), missed.length ? missed.map(([code, n]) => [code, n + " task" + (n === 1 ? "" : "s")]) : [["—", "none"]]);
    rows($("lost"), s.lostTasks.length ? s.lostTasks.map((t) => ["#" + t.taskId, t.outcome + " · " + t.lossReason]) : [["—", "none"]]);
    const ix = s.index, reasons = ${JSON.stringify(NODE_LOSS_REASONS)};
    rows($("index"), ix.error ? [["error", ix.error]] : [["summary", ix.node.status + " · stake " + cnx(ix.node.stake) +
      " CNX · earned " + cnx(ix.node.earned) + " CNX in " + ix.node.paid_tasks + " tasks · " + ix.node.slashes +
      " slashed · " + ix.node.missed + " missed"], ...ix.events.map((e) => ["block " + e.block, e.kind +
      (e.task_id ? " task " + e.task_id : "") + (e.amount ? " " + cnx(e.amount) + " CNX" : "") +
      (e.detail ? " · " + (reasons[e.detail] || e.detail) : "")])]);
    const logs = await api("/api/logs?limit=50");
    $("logs").textContent = logs.logs.map((l) => new Date(l.time).toISOString().slice(11, 19) + " " + (l.msg || "") +
      (l.taskId ? " task=" + l.taskId : "")).reverse().join("\\n");
    $("message").textContent = s.lastError || "";
  } catch (e) { $("message").textContent = e.message; }
}
document.querySelectorAll("button[data-action]").forEach((b) => b.addEventListener("click", async () => {
  try { await api("/api/actions/" + b.dataset.action, { method: "POST" }); } catch (e) { $("message").textContent = e.message; }
  refresh();
}));
refresh(); setInterval(refresh, 3000);
</script>
</body>
</html>
`;
