import { test, expect, Page } from "@playwright/test";
import { execFileSync } from "child_process";
import * as path from "path";
import { signIn, signUp, uniqueLogin, waitForHydration } from "./helpers";

const root = path.resolve(__dirname, "..", "..");
const binary = process.env.PORTAL_BIN ?? path.join(root, "target", "debug", "portal");

/** An admin made by the CLI, as a merchant's operator would (`portal user add NAME --admin`). */
function addAdmin(login: string, password: string) {
  execFileSync(binary, ["user", "add", login, "--admin"], {
    input: `${password}\n`,
    env: { ...process.env, DATABASE_URL: `sqlite://${path.join(root, "target", "e2e", "portal.db")}` },
  });
}

async function payByQr(page: Page, amount: string) {
  await page.goto("/deposit");
  await waitForHydration(page);
  await page.getByLabel("Amount in rupees").fill(amount);
  await page.locator("input[name=method][value=qr]").check();
  await page.getByRole("button", { name: "Continue to payment" }).click();
  await expect(page).toHaveURL(/\/deposits\/dep_/);
  const id = page.url().split("/deposits/")[1].split("?")[0];
  await waitForHydration(page);
  const href = await page.getByTestId("sandbox-pay").getAttribute("href");
  const app = await page.context().newPage();
  await app.goto(href!);
  await app.getByRole("button", { name: new RegExp(`^Pay ₹${amount}`) }).click();
  await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "credited");
  await app.close();
  return id;
}

test("an admin finds a paid deposit by its UPI reference and reads its timeline", async ({ browser }) => {
  const payer = await browser.newContext();
  const page = await payer.newPage();
  const login = uniqueLogin("payer");
  await signUp(page, login);
  const deposit = await payByQr(page, "321");

  const staff = await browser.newContext();
  const admin = await staff.newPage();
  const adminLogin = uniqueLogin("ops");
  addAdmin(adminLogin, "pw-admin-123");
  await signIn(admin, adminLogin, "pw-admin-123");

  // the payer's deposits, filtered by user in the URL
  await admin.goto(`/admin/transactions?user=${login}`);
  const list = admin.getByTestId("transactions");
  await expect(list).toHaveAttribute("data-total-count", "1");
  await expect(list).toHaveAttribute("data-total-paise", "32100");
  const row = list.locator(`tr[data-id="${deposit}"]`);
  await expect(row).toContainText("Credited");
  const reference = (await row.locator("td.refs").innerText()).split("\n").pop()!.trim();
  expect(reference).toMatch(/^\d{6,}$/);

  // "did this user pay?": the dashboard's search box, by UPI reference
  await admin.goto("/admin");
  await expect(admin.getByTestId("hour-chart")).toBeVisible();
  await admin.getByLabel("Find a transaction").fill(reference);
  await admin.getByRole("button", { name: "Find" }).click();
  await expect(admin).toHaveURL(new RegExp(`/admin/transactions\\?q=${reference}`));
  await expect(admin.getByTestId("transactions")).toHaveAttribute("data-total-count", "1");
  await admin.locator(`a[href="/admin/deposits/${deposit}"]`).click();

  await expect(admin.getByTestId("deposit-status")).toHaveText("Credited");
  await expect(admin.getByTestId("upi-reference")).toHaveText(reference);
  const timeline = admin.getByTestId("timeline");
  await expect(timeline).toContainText("Created");
  await expect(timeline).toContainText("Provider answered");
  await expect(timeline).toContainText(`credited, UPI reference ${reference}`);
  await expect(admin.getByTestId("ledger")).toContainText(`payment:${reference}`);

  // a note lands on the timeline (a plain form post: no script needed)
  await admin.getByLabel("Add a note").fill("checked with the payer");
  await admin.getByRole("button", { name: "Add note" }).click();
  await expect(admin.getByRole("status")).toContainText("note was added");
  await expect(timeline).toContainText("checked with the payer");

  // the payer is no admin: the console refuses them
  await page.goto("/admin/transactions");
  await expect(page.getByRole("heading", { name: "Admins only" })).toBeVisible();
  await payer.close();
  await staff.close();
});
