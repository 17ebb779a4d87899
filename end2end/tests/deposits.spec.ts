import { test, expect } from "@playwright/test";
import { SANDBOX, openSandboxApp, setChaos, signUp, startDeposit, uniqueLogin, waitForHydration } from "./helpers";

test.afterEach(async ({ page }) => {
  await setChaos(page, { duplicate_postbacks: 0, concurrent: false, out_of_order: false, delay_ms: 0 });
});

test("deposit ₹250 by QR, pay in the UPI app, see it credited live", async ({ page, context }) => {
  await signUp(page, uniqueLogin("pay"));
  await startDeposit(page, "250");
  await waitForHydration(page);
  await expect(page.getByTestId("deposit-amount")).toHaveText("₹250.00");
  await expect(page.getByTestId("qr").locator("svg")).toBeVisible();
  await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "pending");
  await expect(page.getByTestId("countdown")).toHaveText(/^1[0-4]:[0-5]\d$/);

  const app = await openSandboxApp(context, page);
  await app.getByRole("button", { name: /^Pay ₹250/ }).click();
  await expect(app.getByText(/paid|success/i).first()).toBeVisible();

  // No reload: the server pushes the change.
  await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "credited");
  await expect(page.getByTestId("deposit-status")).toContainText("Credited ₹250.00");
  await expect(page.getByTestId("payment-options")).toBeHidden();

  await page.goto("/balance");
  await expect(page.getByTestId("balance")).toHaveText("₹250.00");
  await expect(page.getByTestId("ledger")).toContainText("UPI deposit");
});

test("a declined payment ends failed and credits nothing", async ({ page, context }) => {
  await signUp(page, uniqueLogin("decline"));
  await startDeposit(page, "300");
  await waitForHydration(page);
  const app = await openSandboxApp(context, page);
  await app.getByRole("button", { name: "Decline" }).click();
  // The provider sends no postback for a declined payment: the status check finds it.
  await page.getByTestId("check-now").click();
  await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "failed");
  await expect(page.getByTestId("deposit-status")).toContainText("declined");
  await page.goto("/balance");
  await expect(page.getByTestId("balance")).toHaveText("₹0.00");
});

test("each postback duplicated 5 times, concurrently: credited once", async ({ page, context }) => {
  await signUp(page, uniqueLogin("dup"));
  await setChaos(page, { duplicate_postbacks: 5, concurrent: true });
  await startDeposit(page, "175.50");
  await waitForHydration(page);
  const app = await openSandboxApp(context, page);
  await app.getByRole("button", { name: /^Pay ₹175\.50/ }).click();
  await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "credited");
  const order = new URL(app.url()).pathname.split("/")[2];
  await expect
    .poll(async () => {
      const r = await page.request.get(`${SANDBOX}/sandbox/api/deliveries?order_id=${order}`);
      const body = await r.json();
      return body.postbacks.filter((p: { state: string }) => p.state === "delivered").length;
    })
    .toBeGreaterThanOrEqual(6);
  await page.goto("/balance");
  await expect(page.getByTestId("balance")).toHaveText("₹175.50");
  await expect(page.getByTestId("ledger").locator("tbody tr")).toHaveCount(1);
});

test("a payment-window deposit is credited", async ({ page, context }) => {
  await signUp(page, uniqueLogin("window"));
  await startDeposit(page, "400", "window");
  await waitForHydration(page);
  const href = await page.getByTestId("open-window").getAttribute("href");
  expect(href).toContain("wallet_type=upi_s");
  expect(href).toContain("fixed_amount=400");
  const win = await context.newPage();
  await win.goto(href!);
  await expect(win.locator("svg").first()).toBeVisible();
  const payHref = await win.locator('a[href*="/pay/"]').first().getAttribute("href");
  await win.goto(payHref!);
  await win.getByRole("button", { name: /^Pay ₹400/ }).click();
  await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "credited");
  await expect(page.getByTestId("deposit-status")).toContainText("Credited ₹400.00");
});

test("a phone shows the UPI app buttons, a desktop the QR", async ({ browser }) => {
  const iphone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
  });
  const phone = await iphone.newPage();
  await signUp(phone, uniqueLogin("phone"));
  await startDeposit(phone, "150");
  await expect(phone.getByTestId("upi-paytm")).toHaveAttribute("href", /^paytmmp:\/\/pay\?/);
  await expect(phone.getByTestId("upi-phonepe")).toHaveAttribute("href", /^phonepe:\/\/pay\?/);
  await expect(phone.getByTestId("upi-gpay")).toHaveAttribute("href", /^tez:\/\/upi\/pay\?/);
  await expect(phone.getByTestId("qr")).toBeHidden(); // folded under "Show QR code"
  const depositUrl = phone.url();
  await iphone.close();

  const android = await browser.newContext({
    viewport: { width: 412, height: 915 },
    userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
  });
  const a = await android.newPage();
  await signUp(a, uniqueLogin("android"));
  await startDeposit(a, "150");
  await expect(a.getByTestId("upi-generic")).toHaveAttribute("href", /^upi:\/\/pay\?/);
  await expect(a.getByTestId("upi-paytm")).toHaveCount(0);
  await android.close();

  const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const d = await desktop.newPage();
  await signUp(d, uniqueLogin("desk"));
  await startDeposit(d, "150");
  await expect(d.getByTestId("qr").locator("svg")).toBeVisible();
  await expect(d.getByTestId("app-buttons")).toHaveCount(0);
  await d.getByRole("link", { name: /Show all payment options/ }).click();
  await expect(d.getByTestId("upi-paytm")).toBeVisible();
  expect(depositUrl).toContain("/deposits/dep_");
  await desktop.close();
});

test("the amount is checked in the browser before anything is sent", async ({ page }) => {
  await signUp(page, uniqueLogin("amount"));
  await page.goto("/deposit");
  await waitForHydration(page);
  await page.getByLabel("Amount in rupees").fill("12.345");
  await expect(page.getByTestId("amount-error")).toHaveText("Use at most two decimals (paise).");
  await page.getByLabel("Amount in rupees").fill("50");
  await expect(page.getByTestId("amount-error")).toContainText("between ₹100.00 and ₹1,00,000.00");
  await page.getByRole("button", { name: "₹500" }).click();
  await expect(page.getByLabel("Amount in rupees")).toHaveValue("500");
  await expect(page.getByTestId("amount-error")).toHaveCount(0);
});
