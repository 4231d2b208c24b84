import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { type DevnetProcess, spawnDevnet } from "./devnet.ts";
import { injectTestWallet } from "./test-wallet.ts";

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH points elsewhere. */
/** docs/web.md shows what this test sees. */
const SCREENSHOTS = fileURLToPath(new URL("../../../docs/screenshots/", import.meta.url));

const CHROMIUM = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);

describe("web app on a running devnet (real Chromium)", () => {
  let devnet: DevnetProcess;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    assert.ok(CHROMIUM, "Chromium is not installed (apt-get install -y chromium)");
    devnet = await spawnDevnet();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  });
  after(async () => {
    await browser?.close();
    if (devnet) assert.equal(await devnet.interrupt(), 0, "Ctrl-C stops the devnet cleanly");
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      // The relay answers 404 "not yet" while it catches up with the chain or the upload; the
      // SDK waits those out, but the browser still logs each one.
      const retry =
        /Failed to load resource/.test(message.text()) && /\/v1\/inference_tasks/.test(message.location().url);
      if (message.type() === "error" && !retry) pageErrors.push(`${message.text()} (${message.location().url})`);
    });
    await page.goto(new URL(path, devnet.webUrl).href);
    await page.getByTestId("wallet").filter({ hasText: "burner wallet" }).waitFor({ timeout: 20_000 });
    return page;
  }

  it("generates an image from the form and shows it in the gallery, phase by phase", async () => {
    const page = await open("/");
    await page.getByTestId("prompt").fill("a lighthouse at dawn");
    await page.getByTestId("width").fill("128");
    await page.getByTestId("height").fill("128");
    await page.getByTestId("num-images").fill("2");
    await page.getByTestId("steps").fill("12");
    await page.getByTestId("generate").click();
    const gallery = page.getByTestId("gallery").locator("img");
    await gallery.nth(1).waitFor({ timeout: 60_000 });
    assert.equal(await gallery.count(), 2);
    // The images are real decoded PNGs, not broken links.
    const widths = await gallery.evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
    assert.deepEqual(widths, [128, 128]);
    const states = await page
      .getByTestId("phases")
      .locator("li")
      .evaluateAll((items) => items.map((li) => `${li.getAttribute("data-phase")}:${li.getAttribute("data-state")}`));
    assert.deepEqual(states, [
      "created:done",
      "argsUploaded:done",
      "executing:done",
      "committed:done",
      "disclosed:done",
      "success:done",
      "images:done",
    ]);
    const taskId = (await page.getByTestId("task-id").textContent())?.replace("Task ", "");
    assert.match(taskId ?? "", /^\d+$/);
    const history = page.getByTestId("history").locator("li");
    assert.equal(await history.first().getAttribute("data-status"), "success");
    assert.match((await history.first().textContent()) ?? "", new RegExp(`#${taskId}`));
    await page.close();

    // Another browser (a new context: nothing in its storage) finds the task in the relay's index.
    const elsewhere = await open("/");
    const entry = elsewhere.getByTestId("history").locator("li", { hasText: `#${taskId}` });
    await entry.waitFor({ timeout: 10_000 });
    assert.equal(await entry.getAttribute("data-status"), "success");
    await elsewhere.close();

    // The task's page: its chain timeline, what each node did, the images verified again.
    const details = await open(`/task/${taskId}`);
    await details.locator('[data-testid="timeline"] li[data-event="TaskResultUploaded"]').waitFor({ timeout: 15_000 });
    const timeline = await details
      .getByTestId("timeline")
      .locator("li")
      .evaluateAll((items) => items.map((item) => item.getAttribute("data-event")));
    assert.deepEqual(timeline.slice(0, 3), ["TaskCreated", "TaskCreated", "TaskCreated"]);
    for (const name of ["TaskResultCommitmentsReady", "TaskSuccess", "NodePaid"])
      assert.ok(timeline.includes(name), name);
    const outcomes = await details.getByTestId("node-outcome").allTextContents();
    assert.equal(outcomes.length, 3);
    assert.ok(
      outcomes.every((outcome) => /^paid /.test(outcome)),
      outcomes.join(),
    );
    assert.match((await details.getByTestId("timeline").textContent()) ?? "", /tx 0x/);
    await details.getByTestId("show-images").click();
    await details.getByTestId("gallery").locator("img").first().waitFor({ timeout: 15_000 });
    await details.close();
  });

  it("fills the form from a preset, and from a past task (remix)", async () => {
    const page = await open("/");
    await page.getByTestId("preset").selectOption("SDXL with refiner");
    assert.equal(await page.getByTestId("model").inputValue(), "stabilityai/stable-diffusion-xl-base-1.0");
    assert.equal(await page.getByTestId("refiner-model").inputValue(), "stabilityai/stable-diffusion-xl-refiner-1.0");
    assert.equal(await page.getByTestId("width").inputValue(), "1024");
    // The first test's task, read back from the relay (the session signs; no wallet prompt).
    const remix = page.getByTestId("history").locator("li").last().getByTestId("remix");
    await remix.waitFor({ timeout: 10_000 });
    await remix.click();
    for (let i = 0; i < 100 && (await page.getByTestId("prompt").inputValue()) !== "a lighthouse at dawn"; i++)
      await page.waitForTimeout(100);
    assert.equal(await page.getByTestId("prompt").inputValue(), "a lighthouse at dawn");
    assert.equal(await page.getByTestId("width").inputValue(), "128");
    assert.equal(await page.getByTestId("steps").inputValue(), "12");
    assert.equal(await page.getByTestId("refiner-model").inputValue(), "", "the task had no refiner");
    await page.close();
  });

  it("shows the account's ETH, CNX, allowance and the fee from the chain; the devnet faucet funds it", async () => {
    const page = await open("/");
    const cnxOf = async () => Number(((await page.getByTestId("cnx").textContent()) ?? "").replace(/[^0-9.]/g, ""));
    await page
      .getByTestId("fee")
      .filter({ hasText: /a task costs \d/ })
      .waitFor({ timeout: 10_000 });
    assert.match((await page.getByTestId("fee").textContent()) ?? "", /a task costs 30 CNX/);
    assert.match((await page.getByTestId("generate").textContent()) ?? "", /Generate \(30 CNX\)/);
    const before = await cnxOf();
    await page.getByTestId("faucet").click();
    await page.getByText("Funded: 1 ETH and 1,000 CNX").waitFor({ timeout: 10_000 });
    for (let i = 0; i < 100 && (await cnxOf()) < before + 1000; i++) await page.waitForTimeout(100);
    assert.equal(await cnxOf(), before + 1000);
    await page.close();
  });

  it("a browser wallet (EIP-6963) is put on the chain, then asked once for the session and once per task", async () => {
    const context = await browser.newContext();
    const wallet = await injectTestWallet(context, devnet.rpcUrl);
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(devnet.webUrl);
    await page.getByTestId("wallet").filter({ hasText: "injected wallet" }).waitFor({ timeout: 20_000 });
    assert.deepEqual(wallet.prompts, ["eth_requestAccounts", "wallet_switchEthereumChain", "wallet_addEthereumChain"]);
    wallet.prompts.length = 0;
    // Funds from the devnet's faucet (no prompt), then the approval: its own step, one transaction.
    await page.getByTestId("faucet").click();
    await page.getByTestId("approve").waitFor({ timeout: 10_000 });
    await page.getByTestId("approve").click();
    await page.getByText(/Approved: the next 10 tasks/).waitFor({ timeout: 20_000 });
    assert.deepEqual(wallet.prompts, ["eth_sendTransaction"]);
    wallet.prompts.length = 0;
    let previous = "none";
    for (const prompt of ["a lighthouse at dawn", "a harbour at night"]) {
      await page.getByTestId("prompt").fill(prompt);
      await page.getByTestId("width").fill("128");
      await page.getByTestId("height").fill("128");
      await page.getByTestId("num-images").fill("2");
      await page.getByTestId("generate").click();
      // This task's id, not the last one's; then both of its images.
      const heading = page.getByTestId("task-id").filter({ hasNotText: previous });
      await heading.waitFor({ timeout: 30_000 });
      previous = (await heading.textContent()) ?? "";
      await page.getByTestId("gallery").locator("img").nth(1).waitFor({ timeout: 60_000 });
      await page
        .getByTestId("generate")
        .filter({ hasText: /^Generate/ })
        .waitFor({ timeout: 10_000 });
    }
    // Two tasks: one transaction each, one session signature for every upload, image and retry.
    assert.deepEqual(
      [...wallet.prompts].sort(),
      ["eth_sendTransaction", "eth_sendTransaction", "eth_signTypedData_v4"],
      wallet.prompts.join(),
    );
    // A reload keeps the day's session (stored in the browser): the next task asks for its
    // transaction and signs nothing.
    wallet.prompts.length = 0;
    await page.reload();
    await page.getByTestId("wallet").filter({ hasText: "injected wallet" }).waitFor({ timeout: 20_000 });
    await page.getByTestId("prompt").fill("a field of poppies");
    await page.getByTestId("width").fill("128");
    await page.getByTestId("height").fill("128");
    await page.getByTestId("num-images").fill("1");
    await page.getByTestId("generate").click();
    await page.getByTestId("gallery").locator("img").first().waitFor({ timeout: 60_000 });
    const asked = wallet.prompts.filter((p) => p.startsWith("eth_s") || p === "personal_sign");
    assert.deepEqual(asked, ["eth_sendTransaction"], wallet.prompts.join());
    await context.close();
  });

  it("holds its layout from phone width to desktop, and takes the docs' screenshots", async () => {
    const task =
      (await (await open("/")).getByTestId("history").locator("li a.details").first().getAttribute("href")) ?? "";
    assert.match(task, /^\/task\/\d+$/);
    for (const [width, height] of [
      [375, 812],
      [768, 1024],
      [1280, 800],
    ] as const) {
      for (const [name, path] of [
        ["generate", "/"],
        ["network", "/network"],
        ["task", task],
        ["node", `/node/${devnet.nodes[0]?.address.toLowerCase()}`],
      ] as const) {
        const page = await open(path);
        await page.setViewportSize({ width, height });
        if (name === "task") await page.getByTestId("timeline").waitFor({ timeout: 10_000 });
        if (name === "network") await page.waitForTimeout(500);
        if (name === "node") await page.getByTestId("node-history").waitFor({ timeout: 10_000 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} at ${width} px is ${overflow} px wider than the screen`);
        if (name === "generate") {
          // A task's seven phase dots stay on one line.
          await page.getByTestId("prompt").fill("a lighthouse at dawn");
          await page.getByTestId("width").fill("128");
          await page.getByTestId("height").fill("128");
          await page.getByTestId("num-images").fill("1");
          await page.getByTestId("generate").click();
          await page.locator('[data-phase="images"][data-state="done"]').waitFor({ timeout: 60_000 });
          const tops = await page
            .getByTestId("phases")
            .locator(".dot")
            .evaluateAll((dots) => dots.map((dot) => Math.round(dot.getBoundingClientRect().top)));
          assert.equal(tops.length, 7);
          assert.equal(new Set(tops).size, 1, `phase dots at ${width} px: ${tops.join()}`);
          const overflowAfter = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflowAfter <= 0, `generate with a task at ${width} px is ${overflowAfter} px too wide`);
        }
        if (width !== 768) await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`) });
        await page.close();
      }
    }
  });

  it("shows an invalid argument's error on the form and creates no task", async () => {
    const page = await open("/");
    // The account's history (the relay's index) has the first test's task once it has loaded.
    await page.getByTestId("history").locator("li").first().waitFor({ timeout: 10_000 });
    const historyBefore = await page.getByTestId("history").locator("li").count();
    await page.getByTestId("prompt").fill("a cat");
    await page.getByTestId("width").fill("100");
    await page.getByTestId("generate").click();
    const error = page.getByTestId("form-error");
    await error.waitFor({ timeout: 10_000 });
    assert.match((await error.textContent()) ?? "", /image_width/);
    assert.equal(await page.getByTestId("task-id").count(), 0);
    assert.equal(await page.getByTestId("history").locator("li").count(), historyBefore);
    // A field over its bound: the field and the limit, before anything is paid.
    await page.getByTestId("width").fill("128");
    await page.getByTestId("prompt").fill("x".repeat(20_001));
    await page.getByTestId("generate").click();
    await page
      .getByTestId("error-prompt")
      .getByText(/more than 20000 characters/)
      .waitFor({ timeout: 10_000 });
    assert.match((await error.textContent()) ?? "", /prompt/);
    assert.equal(await page.getByTestId("task-id").count(), 0);
    // An optional part's field shows its own error, at the field.
    await page.getByTestId("prompt").fill("a cat");
    await page.locator('[data-testid="advanced"] summary').click();
    await page.getByTestId("lora-model").fill("owner/lora");
    await page.getByTestId("lora-weight").fill("500");
    await page.getByTestId("generate").click();
    const loraError = page.getByTestId("error-loraWeight");
    await loraError.waitFor({ timeout: 10_000 });
    assert.match((await loraError.textContent()) ?? "", /lora\.weight/);
    assert.equal(await page.getByTestId("task-id").count(), 0);
    await page.close();
  });

  it("draws the network: every node, stakes, outcomes and tasks over time", async () => {
    const page = await open("/network");
    const nodes = page.getByTestId("node");
    await nodes.nth(devnet.nodes.length - 1).waitFor({ timeout: 20_000 });
    assert.equal(await nodes.count(), devnet.nodes.length);
    const titles = await nodes.evaluateAll((els) => els.map((el) => el.getAttribute("title")?.toLowerCase()));
    assert.deepEqual(new Set(titles), new Set(devnet.nodes.map((n) => n.address.toLowerCase())));
    for (const status of await nodes.evaluateAll((els) => els.map((el) => el.getAttribute("data-status")))) {
      assert.ok(["Available", "Busy"].includes(status ?? ""), `node status ${status}`);
    }
    assert.equal(await page.getByTestId("stakes").locator("rect").count(), devnet.nodes.length);
    // The task generated above is counted among the outcomes and drawn in the timeline.
    await page
      .getByTestId("outcomes")
      .locator("text", { hasText: /^[1-9]/ })
      .waitFor({ timeout: 10_000 });
    assert.ok((await page.getByTestId("tasks-over-time").locator("rect").count()) > 0);
    // A node opens its page from the relay's index: its stake, earnings and paid tasks.
    const busiest = devnet.nodes[0]?.address.toLowerCase() ?? "";
    await page.locator(`a[href="/node/${busiest}"]`).click();
    const summary = page.getByTestId("node-summary");
    await summary.waitFor({ timeout: 10_000 });
    assert.match((await summary.textContent()) ?? "", /Stake\s*[1-9][0-9]* CNX/);
    await page.getByTestId("node-history").locator("li").first().waitFor({ timeout: 10_000 });
    await page.close();
  });

  after(() => {
    assert.deepEqual(pageErrors, [], "the pages log no errors");
  });
});
