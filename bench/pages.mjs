#!/usr/bin/env node
// Page weight and paint time of every user page, as a phone on a slow mobile
// network gets them: Debian's Chromium through Playwright, a Pixel 5 viewport,
// Lighthouse's "slow 4G" throttling (150 ms RTT x 3.75 = 562.5 ms latency,
// 1.6 Mbit/s x 0.9 down, 750 kbit/s x 0.9 up) and a 4x slower CPU, each load
// cold (a fresh browser context: empty cache). Per page and language: bytes
// transferred by type (compressed, as sent, headers included; and the decoded
// size), and the largest contentful paint; the median of RUNS loads.
//
//   node bench/pages.mjs                 (make bench-pages: the release build)
//   BENCH_LABEL=before node bench/pages.mjs   (also: after, release)
//
// Starts the portal (PORTAL_BIN, default target/release/portal if built, else
// target/debug/portal) on BENCH_PORT (3710) with its sandbox on
// BENCH_SANDBOX_PORT (3810) and a fresh SQLite database. Writes
// bench/pages.<label>.json and the "pages" section of bench/RESULTS.md (the
// "before" figures beside the latest ones, when bench/pages.before.json exists).
import { createRequire } from "node:module";
import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const require = createRequire(path.join(root, "end2end", "package.json"));
const { chromium, devices } = require("@playwright/test");

const RUNS = Number(process.env.RUNS ?? 5);
const LABEL = process.env.BENCH_LABEL ?? "after";
const PORT = process.env.BENCH_PORT ?? "3710";
const SANDBOX_PORT = process.env.BENCH_SANDBOX_PORT ?? "3810";
const BASE = `http://127.0.0.1:${PORT}`;
const release = path.join(root, "target", "release", "portal");
const BIN = process.env.PORTAL_BIN ?? (fs.existsSync(release) ? release : path.join(root, "target", "debug", "portal"));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/lib/chromium/chromium";
const LANGS = (process.env.LANGS ?? "en,hi").split(",");

// Lighthouse's mobile "slow 4G" (devtools throttling) and a mid-range phone's CPU.
const SLOW_4G = {
  offline: false,
  latency: 150 * 3.75,
  downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8,
  uploadThroughput: (750 * 1024 * 0.9) / 8,
};
const CPU_SLOWDOWN = 4;

const { defaultBrowserType: _ignored, ...PHONE } = devices["Pixel 5"];

// `require` resolves from end2end/ (see above)
const { kindOf } = require("./resource-kind.cjs");

async function startPortal(dir) {
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${dir}/portal.db`,
    SANDBOX_DATABASE_URL: `sqlite://${dir}/sandbox.db`,
    LEPTOS_SITE_ADDR: `127.0.0.1:${PORT}`,
    LEPTOS_SITE_ROOT: process.env.BENCH_SITE_ROOT ?? path.join(root, "target", "site"),
    SANDBOX_ADDR: `127.0.0.1:${SANDBOX_PORT}`,
    RUST_LOG: "warn",
    SIGNUP_MAX_PER_ADDRESS_PER_HOUR: "1000",
  };
  const server = spawn(BIN, ["serve"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${BASE}/readyz`)).ok) return server;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  server.kill();
  throw new Error(`the portal did not answer on ${BASE}`);
}

/** A signed-in user with one open deposit: the pages that need a session. */
async function makeUser(browser) {
  const context = await browser.newContext({ baseURL: BASE });
  const page = await context.newPage();
  const login = `bench-${Date.now().toString(36)}`;
  await page.goto("/signup");
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password", { exact: true }).fill("pw-123456");
  await page.getByLabel("Repeat the password").fill("pw-123456");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByTestId("signed-in-user").waitFor();
  await page.goto("/deposit");
  await page.getByLabel("Amount in rupees").fill("250");
  await page.locator("input[name=method][value=qr]").check();
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await page.waitForURL(/\/deposits\/dep_/);
  const deposit = page.url().split("/deposits/")[1].split("?")[0];
  const state = await context.storageState();
  await context.close();
  return { state, deposit };
}

/** One cold load of `url`: bytes by type and the largest contentful paint. */
async function load(browser, url, storageState) {
  const context = await browser.newContext({
    ...PHONE,
    baseURL: BASE,
    storageState,
    extraHTTPHeaders: { "Accept-Encoding": "br, gzip" },
  });
  await context.addInitScript(() => {
    window.__lcp = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__lcp = e.startTime;
    }).observe({ type: "largest-contentful-paint", buffered: true });
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  await cdp.send("Network.emulateNetworkConditions", SLOW_4G);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  const requests = new Map();
  cdp.on("Network.responseReceived", (e) => {
    const r = requests.get(e.requestId) ?? { decoded: 0 };
    r.kind = kindOf(e.response.url, e.response.mimeType ?? "", e.type);
    requests.set(e.requestId, r);
  });
  cdp.on("Network.dataReceived", (e) => {
    const r = requests.get(e.requestId) ?? { decoded: 0 };
    r.decoded += e.dataLength;
    requests.set(e.requestId, r);
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = requests.get(e.requestId) ?? { decoded: 0 };
    r.encoded = e.encodedDataLength;
    requests.set(e.requestId, r);
  });
  await page.goto(url, { waitUntil: "load", timeout: 120_000 });
  // the islands' JS and WASM load when the page is idle: wait until they ran
  await page.locator("html[data-hydrated=true]").waitFor({ state: "attached", timeout: 120_000 });
  await page.waitForTimeout(500);
  const lcp = await page.evaluate(() => window.__lcp);
  await context.close();
  const bytes = { html: 0, css: 0, js: 0, wasm: 0, font: 0, other: 0 };
  const decoded = { html: 0, css: 0, js: 0, wasm: 0, font: 0, other: 0 };
  for (const r of requests.values()) {
    if (r.kind === undefined || r.encoded === undefined) continue; // still open (the live-status stream)
    bytes[r.kind] += r.encoded;
    decoded[r.kind] += r.decoded;
  }
  return { bytes, decoded, lcp };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-pages-"));
  const server = await startPortal(dir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const { state, deposit } = await makeUser(browser);
    const pages = [
      ["home", "/", undefined],
      ["sign in", "/signin", undefined],
      ["sign up", "/signup", undefined],
      ["deposit", "/deposit", state],
      ["payment", `/deposits/${deposit}`, state],
      ["balance", "/balance", state],
      ["withdraw", "/withdraw", state],
    ];
    const results = [];
    for (const [name, url, storage] of pages) {
      for (const lang of LANGS) {
        const runs = [];
        for (let i = 0; i < RUNS; i++) {
          runs.push(await load(browser, `${url}?lang=${lang}`, storage));
        }
        const pick = (f) => median(runs.map(f));
        const row = {
          page: name,
          lang,
          bytes: Object.fromEntries(Object.keys(runs[0].bytes).map((k) => [k, pick((r) => r.bytes[k])])),
          decoded: Object.fromEntries(Object.keys(runs[0].decoded).map((k) => [k, pick((r) => r.decoded[k])])),
          total: pick((r) => Object.values(r.bytes).reduce((a, b) => a + b, 0)),
          decoded_total: pick((r) => Object.values(r.decoded).reduce((a, b) => a + b, 0)),
          lcp_ms: Math.round(pick((r) => r.lcp)),
          lcp_runs_ms: runs.map((r) => Math.round(r.lcp)),
        };
        results.push(row);
        console.log(`${name.padEnd(8)} ${lang}  ${(row.total / 1024).toFixed(1).padStart(6)} KB sent ` +
          `(html ${row.bytes.html}, css ${row.bytes.css}, js ${row.bytes.js}, wasm ${row.bytes.wasm}, font ${row.bytes.font}) ` +
          `${(row.decoded_total / 1024).toFixed(1)} KB decoded, LCP ${row.lcp_ms} ms`);
      }
    }
    const commit = process.env.BENCH_COMMIT ??
      execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root }).toString().trim();
    const out = {
      label: LABEL,
      commit,
      binary: process.env.BENCH_BINARY_NOTE ?? path.relative(root, BIN),
      date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
      runs: RUNS,
      results,
    };
    fs.writeFileSync(path.join(here, `pages.${LABEL}.json`), JSON.stringify(out, null, 2) + "\n");
    writeSection();
  } finally {
    await browser.close();
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const kb = (n) => (n / 1024).toFixed(1);

/** The "pages" section of RESULTS.md from the saved figures. */
function writeSection() {
  const read = (label) => {
    const f = path.join(here, `pages.${label}.json`);
    return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : null;
  };
  const before = read("before");
  const after = read("after");
  const lines = [];
  lines.push("# Page weight and paint time (user pages, phone, slow 4G)");
  lines.push("");
  lines.push(`Command: \`make bench-pages\` (bench/pages.mjs): Debian Chromium ${chromiumVersion()} through Playwright, ` +
    "Pixel 5 viewport, `Accept-Encoding: br, gzip`, Lighthouse's slow-4G throttling over the DevTools protocol " +
    "(562.5 ms latency, 1.44 Mbit/s down, 675 kbit/s up) and CPU slowed 4x; every load cold (fresh context, empty cache), " +
    "median of the runs. Bytes are as transferred (compressed, headers included; `Network.loadingFinished` " +
    "encodedDataLength), in KB of 1,024 bytes, until the islands have hydrated; \"decoded\" is the same resources' size " +
    "after decompression. LCP = largest contentful paint. The live-status stream (open) is not counted. " +
    "Hindi pages (`?lang=hi`) also download the Devanagari web font on a machine that has none installed (this one); a phone with a system Devanagari font takes it locally (`local()` in the `@font-face`). Machine: " +
    `${os.cpus().length} cores, shared.` + (process.env.BENCH_NOTE ? ` ${process.env.BENCH_NOTE}` : ""));
  const table = (run, title) => {
    lines.push("");
    lines.push(`## ${title}`);
    lines.push("");
    lines.push(`${run.date}, commit ${run.commit}, \`${run.binary}\`, ${run.runs} runs each.`);
    lines.push("");
    lines.push("| page | lang | HTML | CSS | JS | WASM | font | total sent | decoded | LCP ms |");
    lines.push("|---|---|---|---|---|---|---|---|---|---|");
    for (const r of run.results) {
      const b = r.bytes;
      lines.push(`| ${r.page} | ${r.lang} | ${kb(b.html)} | ${kb(b.css)} | ${kb(b.js)} | ${kb(b.wasm)} | ${kb(b.font)} | ` +
        `**${kb(r.total)}** | ${kb(r.decoded_total)} | ${r.lcp_ms} |`);
    }
  };
  if (before && after) {
    lines.push("");
    lines.push("## Before and after (total sent, KB / LCP ms)");
    lines.push("");
    lines.push("| page | lang | before | after | LCP before | LCP after |");
    lines.push("|---|---|---|---|---|---|");
    for (const a of after.results) {
      // main before the Hindi translation ignored ?lang: its English figures stand for both
      const b = before.results.find((x) => x.page === a.page && x.lang === a.lang) ??
        before.results.find((x) => x.page === a.page && x.lang === "en");
      if (!b) continue;
      lines.push(`| ${a.page} | ${a.lang} | ${kb(b.total)} | **${kb(a.total)}** | ${b.lcp_ms} | **${a.lcp_ms}** |`);
    }
  }
  if (after) table(after, "After");
  const release = read("release");
  if (release) table(release, "After, release build");
  if (before) table(before, "Before");
  const section = path.join(os.tmpdir(), `pages-section-${process.pid}.md`);
  fs.writeFileSync(section, lines.join("\n") + "\n");
  execFileSync(path.join(here, "put_section.py"), ["pages", section], { stdio: "inherit" });
  fs.rmSync(section);
}

function chromiumVersion() {
  try {
    return execFileSync(CHROMIUM, ["--version"]).toString().trim().replace(/^Chromium\s*/, "");
  } catch {
    return "";
  }
}

if (process.argv[2] === "--section-only") {
  writeSection();
} else {
  await main();
}
