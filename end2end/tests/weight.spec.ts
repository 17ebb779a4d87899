import { test, expect, devices, Browser, BrowserContext, Page } from "@playwright/test";
import { signUp, startDeposit, uniqueLogin, waitForHydration } from "./helpers";

// What a phone downloads for each user page: HTML, CSS, JS and WASM as sent
// (compressed, headers included), on a cold cache; the payment, deposit and
// balance pages within 100 KB. Each page's figure is printed.
const BUDGET = 102_400;
const BUDGETED = new Set(["deposit", "payment", "balance"]);
const { defaultBrowserType: _browserType, ...PHONE } = devices["Pixel 5"];
const HASHED = /\.[0-9a-f]{12}\.[a-z0-9]+$/;

type Kind = "html" | "css" | "js" | "wasm" | "font" | "other";
type Transfer = { url: string; kind: Kind; bytes: number; headers: Record<string, string>; cached: boolean };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const kindOf: (url: string, mime: string, cdpType: string) => Kind = require("../resource-kind.cjs").kindOf;

/** Opens `url` in `page` and records every finished transfer until the islands hydrated. */
async function visit(context: BrowserContext, page: Page, url: string): Promise<Transfer[]> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const seen = new Map<string, Partial<Transfer>>();
  cdp.on("Network.responseReceived", (e) => {
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.response.headers)) lower[k.toLowerCase()] = String(v);
    seen.set(e.requestId, {
      ...seen.get(e.requestId),
      url: e.response.url,
      kind: kindOf(e.response.url, e.response.mimeType ?? "", e.type),
      headers: lower,
      cached: Boolean(e.response.fromDiskCache || e.response.fromPrefetchCache || (e.response as { fromMemoryCache?: boolean }).fromMemoryCache),
    });
  });
  cdp.on("Network.requestServedFromCache", (e) => {
    seen.set(e.requestId, { ...seen.get(e.requestId), cached: true });
  });
  cdp.on("Network.loadingFinished", (e) => {
    seen.set(e.requestId, { ...seen.get(e.requestId), bytes: e.encodedDataLength });
  });
  await page.goto(url);
  await waitForHydration(page);
  await page.waitForTimeout(300);
  await cdp.detach();
  return [...seen.values()].filter((t): t is Transfer => t.kind !== undefined && t.bytes !== undefined);
}

async function phone(browser: Browser, storageState?: Awaited<ReturnType<BrowserContext["storageState"]>>) {
  const context = await browser.newContext({
    ...PHONE,
    baseURL: test.info().project.use.baseURL,
    storageState,
    extraHTTPHeaders: { "Accept-Encoding": "br, gzip" },
  });
  return { context, page: await context.newPage() };
}

const sum = (ts: Transfer[], kinds: Kind[]) =>
  ts.filter((t) => kinds.includes(t.kind)).reduce((a, t) => a + t.bytes, 0);

/** Every user page on a phone: what it transfers, by type, cold and then warm. */
async function measure(browser: Browser): Promise<{ report: string[]; over: string[] }> {
  const setup = await phone(browser);
  await signUp(setup.page, uniqueLogin("weight"));
  const deposit = await startDeposit(setup.page, "250");
  const signedIn = await setup.context.storageState();
  await setup.context.close();

  const pages: [string, string, boolean][] = [
    ["home", "/", false],
    ["signin", "/signin", false],
    ["signup", "/signup", false],
    ["deposit", "/deposit", true],
    ["payment", `/deposits/${deposit}`, true],
    ["balance", "/balance", true],
    ["withdraw", "/withdraw", true],
  ];
  const report: string[] = [];
  const over: string[] = [];
  for (const [name, url, auth] of pages) {
    const { context, page } = await phone(browser, auth ? signedIn : undefined);
    const first = await visit(context, page, url);
    if (name === "payment") {
      await expect(page.getByTestId("qr").locator("svg")).toBeAttached();
    }

    const doc = first.find((t) => t.kind === "html");
    expect(doc, `${name}: the document`).toBeTruthy();
    expect(["br", "gzip"], `${name}: HTML compressed`).toContain(doc!.headers["content-encoding"]);
    const assets = first.filter((t) => ["css", "js", "wasm"].includes(t.kind));
    expect(assets.map((t) => t.kind).sort(), `${name}: the JS and the WASM (the stylesheet is inline)`).toEqual([
      "js",
      "wasm",
    ]);
    await expect(page.locator("style#portal-css"), `${name}: the stylesheet inline in the page`).toHaveCount(1);
    for (const a of assets) {
      expect(new URL(a.url).pathname, `${a.url}: a content-hashed name`).toMatch(HASHED);
      expect(a.headers["cache-control"], `${a.url}: cached for good`).toContain("immutable");
      expect(["br", "gzip"], `${a.url}: compressed`).toContain(a.headers["content-encoding"]);
    }
    // English pages never download the Devanagari font
    expect(sum(first, ["font"]), `${name}: no web font for an English page`).toBe(0);

    const total = sum(first, ["html", "css", "js", "wasm"]);
    const by = (k: Kind) => sum(first, [k]);
    report.push(
      `${name.padEnd(9)} ${String(total).padStart(7)} B  (html ${by("html")}, css ${by("css")}, js ${by("js")}, wasm ${by("wasm")})`,
    );
    if (BUDGETED.has(name) && total > BUDGET) over.push(`${name}: ${total} B`);

    // a second visit downloads no JS, WASM or CSS again
    const second = await visit(context, page, url);
    const again = second.filter((t) => ["css", "js", "wasm"].includes(t.kind) && !t.cached && t.bytes > 0);
    expect(again.map((t) => t.url), `${name}: second visit served from the cache`).toEqual([]);
    await context.close();
  }
  console.log(`page weight (compressed, sent), budget ${BUDGET} B for ${[...BUDGETED].join(", ")}:\n  ${report.join("\n  ")}`);
  test.info().annotations.push({ type: "page weight", description: report.join("; ") });
  return { report, over };
}

// tests in a file run in order in one worker: the budget test reads these
let measured: { report: string[]; over: string[] } | undefined;

test("user pages on a phone: HTML compressed, hashed assets immutable and compressed, cached on the next visit", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  measured = await measure(browser);
});

test("payment, deposit and balance pages within 100 KB on a phone", async ({ browser }) => {
  test.setTimeout(180_000);
  const { over } = measured ?? (await measure(browser));
  expect(over, `over the ${BUDGET} B budget`).toEqual([]);
});

test("the live-status stream is not compressed; the plain bundle names revalidate", async ({ page, request }) => {
  await signUp(page, uniqueLogin("sse"));
  const deposit = await startDeposit(page, "150");
  await waitForHydration(page);
  const sse = await page.evaluate(async (url) => {
    const abort = new AbortController();
    const r = await fetch(url, { signal: abort.signal, headers: { accept: "text/event-stream" } });
    const out = { status: r.status, type: r.headers.get("content-type"), encoding: r.headers.get("content-encoding") };
    abort.abort();
    return out;
  }, `/api/deposits/${deposit}/events`);
  expect(sse.status).toBe(200);
  expect(sse.type).toContain("text/event-stream");
  expect(sse.encoding).toBeNull();

  for (const name of ["/pkg/portal.js", "/pkg/portal.wasm", "/pkg/portal.css"]) {
    const r = await request.get(name, { headers: { "Accept-Encoding": "br, gzip" } });
    expect(r.status(), name).toBe(200);
    expect(r.headers()["cache-control"], name).toBe("no-cache");
    expect(r.headers()["vary"], name).toContain("accept-encoding");
  }
  const wasm = await request.get("/pkg/portal.wasm");
  expect(wasm.headers()["content-type"]).toBe("application/wasm");
});
