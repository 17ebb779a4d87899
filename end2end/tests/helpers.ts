import { expect, Page } from "@playwright/test";

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
