import { expect, Page, BrowserContext } from "@playwright/test";

/** A login unique to this run, so tests never collide with each other. */
export function uniqueLogin(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.slice(0, 36);
}

/** Islands hydrate on idle: wait for the marker the header island sets. */
export async function waitForHydration(page: Page) {
  await expect(page.locator("html[data-hydrated=true]")).toHaveCount(1);
}

export async function signUp(page: Page, login: string, password = "pw-123456") {
  await page.goto("/signup");
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Repeat the password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("signed-in-user")).toHaveText(login);
}

export async function signIn(page: Page, login: string, password = "pw-123456") {
  await page.goto("/signin");
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-user")).toHaveText(login);
}

export const SANDBOX = process.env.E2E_SANDBOX_URL ?? `http://127.0.0.1:${process.env.E2E_SANDBOX_PORT ?? "3400"}`;

export async function startDeposit(page: Page, amount: string, method: "qr" | "window" = "qr") {
  await page.goto("/deposit");
  // the amount field is an island: typing before it hydrates would be lost
  await waitForHydration(page);
  await page.getByLabel("Amount in rupees").fill(amount);
  await page.locator(`input[name=method][value=${method}]`).check();
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await expect(page).toHaveURL(/\/deposits\/dep_/);
  return page.url().split("/deposits/")[1].split("?")[0];
}

/** The sandbox's UPI-app page for this deposit, opened like the user's phone would. */
export async function openSandboxApp(context: BrowserContext, page: Page) {
  const href = await page.getByTestId("sandbox-pay").getAttribute("href");
  expect(href).toContain("/pay/");
  const app = await context.newPage();
  await app.goto(href!);
  return app;
}

export async function setChaos(page: Page, chaos: object) {
  const r = await page.request.post(`${SANDBOX}/sandbox/api/chaos`, { data: chaos });
  expect(r.ok()).toBeTruthy();
}

