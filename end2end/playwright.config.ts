import { defineConfig, devices } from "@playwright/test";
import * as path from "path";
import * as fs from "fs";

// The portal and its sandbox run from the debug build on ports of their own,
// against a fresh SQLite file per run (a leftover `make run` on 3000 is untouched).
const root = path.resolve(__dirname, "..");
const dataDir = path.join(root, "target", "e2e");
// Workers load this file again: clean only once, in the main process, before
// the server starts (workers inherit the marker through the environment).
if (!process.env.PORTAL_E2E_DATA_READY) {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  process.env.PORTAL_E2E_DATA_READY = "1";
}

// Ports by env, so two checkouts on one machine can run their suites at once.
const portalPort = process.env.E2E_PORT ?? "3300";
const sandboxPort = process.env.E2E_SANDBOX_PORT ?? "3400";
export const PORTAL = process.env.E2E_PORTAL_URL ?? `http://127.0.0.1:${portalPort}`;
export const SANDBOX = process.env.E2E_SANDBOX_URL ?? `http://127.0.0.1:${sandboxPort}`;
const binary = process.env.PORTAL_BIN ?? path.join(root, "target", "debug", "portal");

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: path.join(root, "target", "e2e", "results"),
  use: {
    baseURL: PORTAL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/lib/chromium/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  webServer: {
    command: `${binary} serve`,
    cwd: root,
    url: `${PORTAL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      DATABASE_URL: `sqlite://${dataDir}/portal.db`,
      SANDBOX_DATABASE_URL: `sqlite://${dataDir}/sandbox.db`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${portalPort}`,
      LEPTOS_SITE_ROOT: path.join(root, "target", "site"),
      SANDBOX_ADDR: `127.0.0.1:${sandboxPort}`,
      SANDBOX_RETRY_SCHEDULE: "1s,2s,5s",
      RECONCILE_INTERVAL_SECONDS: "2",
      STATUS_CHECK_INTERVAL_SECONDS: "1",
      RUST_LOG: "portal=info,warn",
      // Every test signs up from 127.0.0.1: lift the per-address sign-up limit
      // (20 an hour by default) for this run only.
      SIGNUP_MAX_PER_ADDRESS_PER_HOUR: "1000",
    },
  },
});
