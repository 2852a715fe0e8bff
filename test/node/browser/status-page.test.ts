/**
 * The status page end to end in a real browser (Chromium, found or installed by `npm test`, driven by playwright-core)
 * against a real local server: token prompt, live counts and events, a failed entry, retry.
 *
 * The failure is a real one, not an injected row: the server's embedder runs in its Node process
 * while workerd (the API, D1, the EmbedWorker) is a separate process. Freezing the Node process
 * with SIGSTOP makes the embedder stop answering; the worker's deadline (0.8 × EMBED_LEASE_MS)
 * fails the attempt, and with EMBED_MAX_ATTEMPTS=1 the row is `failed` at once, with the error
 * the worker wrote. SIGCONT brings the embedder back, and a retry then embeds the entry.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBrowser, NO_BROWSER_HINT } from "../../../scripts/browser/find.js";
import { ROOT, removeDir, startServer, type TestServer } from "../../support/server.js";

const ARTIFACTS = join(ROOT, "test-artifacts");
const TOKEN = "browser-test-token";
/** Wait for the page this long: it polls every 2 s and hears events at once. */
const UI_TIMEOUT_MS = 15_000;

let browser: Browser;
const servers: TestServer[] = [];

async function launchBrowser(): Promise<Browser> {
  // `npm test` provisions a browser first (scripts/browser/provision.ts); a bare `vitest run` on
  // a machine without one fails here with the one line that says how to get one.
  const executablePath = findBrowser();
  if (!executablePath) throw new Error(NO_BROWSER_HINT);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

async function start(env: Record<string, string>): Promise<TestServer> {
  const server = await startServer({ env });
  servers.push(server);
  return server;
}

/** An API call with the token, failing loudly. */
async function call<T>(server: TestServer, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Opens the page, collecting script errors and console errors. */
async function openPage(url: string): Promise<{ page: Page; problems: () => string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 940 } });
  const seen: string[] = [];
  page.on("pageerror", (error) => seen.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") seen.push(message.text());
  });
  await page.goto(url);
  // Expected noise only: the 401s before the token is given, and the WebSocket they refuse.
  return {
    page,
    problems: () => seen.filter((p) => !/\b401\b|Unauthorized|Authentication failed/i.test(p)),
  };
}

/** The number a stat card shows. */
function stat(page: Page, name: string) {
  return page.getByTestId(`stat-${name}`);
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) {
    // A frozen server can't take SIGTERM: thaw it first whatever happened.
    server.process.kill("SIGCONT");
    await server.stop();
    await removeDir(server.stateDir);
  }
});

describe("status page", () => {
  it("asks for the token, shows entries being embedded live, and retries a failed entry", async () => {
    const server = await start({
      PYRITE_API_TOKEN: TOKEN,
      EMBED_MAX_ATTEMPTS: "1",
      EMBED_LEASE_MS: "5000",
    });
    const { page, problems } = await openPage(server.url);

    // 401 → the token prompt; once saved, polling and the WebSocket (token as subprotocol) work.
    await expect.poll(() => page.getByTestId("connection").textContent()).toBe("token required");
    await page.getByTestId("token-input").fill(TOKEN);
    await page.getByTestId("token-save").click();
    await expect
      .poll(() => page.getByTestId("connection").textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe("live");
    await expect.poll(() => stat(page, "entries").textContent()).toBe("0");
    // The generated test model is a real transformer with random weights: loaded, not semantic.
    expect(await page.getByTestId("semantic").textContent()).toBe("not semantic");
    expect(await page.getByTestId("model").textContent()).toContain("(transformers)");
    expect(await page.getByTestId("banner").textContent()).toMatch(/Not semantic/);

    // Entries written through the API appear, then get embedded, live.
    for (const title of ["Queue depth", "Lease expiry", "Batch size"]) {
      await call(server, "POST", "/api/entries", { kb: "live", title, body: `About ${title}.` });
    }
    await expect
      .poll(() => stat(page, "entries").textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe("3");
    await expect
      .poll(() => stat(page, "embedded").textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe("3");
    const events = page.getByTestId("events");
    await expect
      .poll(() => events.locator('li[data-type="embed_complete"]').count(), {
        timeout: UI_TIMEOUT_MS,
      })
      .toBe(3);
    expect(await events.locator('li[data-type="entry_created"]').count()).toBe(3);
    // Each short entry is one passage; the page counts them and each event says so.
    await expect
      .poll(() => page.getByTestId("passages").textContent(), { timeout: UI_TIMEOUT_MS })
      .toMatch(/^3 searchable/);
    expect(await events.locator('li[data-type="embed_complete"]').first().textContent()).toContain(
      "1 passages (1 embedded, 0 reused)",
    );

    // The embedder stops answering: the next entry fails (one attempt allowed).
    server.process.kill("SIGSTOP");
    try {
      await call(server, "POST", "/api/entries", { kb: "live", title: "Frozen embedder" });
      await expect
        .poll(() => stat(page, "failed").textContent(), { timeout: UI_TIMEOUT_MS })
        .toBe("1");
    } finally {
      server.process.kill("SIGCONT");
    }
    const failedRow = page.getByTestId("failed-rows").locator('tr[data-entry="frozen-embedder"]');
    await expect.poll(() => failedRow.count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    expect(await failedRow.locator(".error-text").textContent()).toMatch(/timed out/);
    await expect
      .poll(() =>
        events.locator('li[data-type="embed_failed"][data-entry="frozen-embedder"]').count(),
      )
      .toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, "status-page-failed.png"), fullPage: true });

    // Pause, so the retried entry is seen pending before the worker takes it.
    await page.getByTestId("pause").click();
    await expect.poll(() => page.getByTestId("worker-state").textContent()).toBe("paused");
    const retried = page.waitForResponse((r) => r.url().endsWith("/api/index/embed/retry-failed"));
    await failedRow.getByTestId("retry").click();
    const answer = await retried;
    expect(answer.status()).toBe(200);
    expect(await answer.json()).toEqual({ requeued: 1 });
    await expect
      .poll(() => stat(page, "pending").textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe("1");
    expect(await stat(page, "failed").textContent()).toBe("0");
    expect(await page.getByTestId("failed-rows").locator("tr").count()).toBe(0);

    // Resume: the worker embeds it, and the page hears it.
    await page.getByTestId("resume").click();
    await expect
      .poll(
        () =>
          events.locator('li[data-type="embed_complete"][data-entry="frozen-embedder"]').count(),
        { timeout: UI_TIMEOUT_MS },
      )
      .toBe(1);
    await expect
      .poll(() => stat(page, "embedded").textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe("4");
    expect(await stat(page, "pending").textContent()).toBe("0");
    const read = await call<{ embedding: { status: string } }>(
      server,
      "GET",
      "/api/entries/frozen-embedder?kb=live",
    );
    expect(read.embedding.status).toBe("done");
    // A chart sample or two more and the toast gone, then the picture.
    await page.waitForTimeout(4000);
    await page.screenshot({ path: join(ARTIFACTS, "status-page.png"), fullPage: true });
    expect(problems()).toEqual([]);
    await page.close();
  }, 120_000);

  it("says clearly when search is a lexical fallback", async () => {
    // PYRITE_MODEL=hash: the lexical embedder (without it, no model means the bundled one).
    const server = await start({ PYRITE_MODEL: "hash" });
    const { page, problems } = await openPage(server.url);
    await expect
      .poll(() => page.getByTestId("semantic").textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe("lexical fallback");
    expect(await page.getByTestId("banner").textContent()).toMatch(/Lexical fallback/);
    expect(await page.getByTestId("model").textContent()).toContain("(hash)");
    expect(problems()).toEqual([]);
    await page.close();
  }, 90_000);
});
