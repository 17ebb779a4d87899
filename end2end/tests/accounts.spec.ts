import { test, expect } from "@playwright/test";
import { signIn, signUp, uniqueLogin, waitForHydration } from "./helpers";

test("sign up, sign out, sign in, and the hydrated shell reacts to a click", async ({ page }) => {
  const login = uniqueLogin("e2e");
  await signUp(page, login);
  await expect(page).toHaveURL(/\/deposit$/);

  // The header is an island: after hydration the phone menu opens and closes.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  await waitForHydration(page);
  const toggle = page.getByRole("button", { name: "Menu" });
  await expect(toggle).toBeVisible();
  await expect(page.locator("#main-nav")).toBeHidden();
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(page.locator("#main-nav")).toBeVisible();
  await expect(page.locator("#main-nav").getByRole("link", { name: "Balance" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId("signed-in-user")).toHaveCount(0);

  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, login);
  await expect(page).toHaveURL(/\/deposit$/);
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  const login = uniqueLogin("e2e-wrong");
  await signUp(page, login);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/signin");
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong login or password.");
  await expect(page.getByTestId("signed-in-user")).toHaveCount(0);
});

test("a page shows only its own messages, never text written into the URL", async ({ page }) => {
  await page.goto("/signin?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("alert")).toHaveCount(0);
  await page.goto("/signin?error=wrong_credentials");
  await expect(page.getByRole("alert")).toHaveText("Wrong login or password.");
});
