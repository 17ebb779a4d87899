import { test, expect, Page, BrowserContext } from "@playwright/test";
import { SANDBOX, openSandboxApp, signUp, startDeposit, uniqueLogin, waitForHydration } from "./helpers";

/** Deposits `rupees` by QR and pays it in the sandbox's UPI app. */
async function deposit(page: Page, context: BrowserContext, rupees: number) {
  await startDeposit(page, String(rupees));
  await waitForHydration(page);
  const app = await openSandboxApp(context, page);
  await app.getByRole("button", { name: /^Pay ₹/ }).click();
  await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "credited");
  await app.close();
}

async function fillWithdrawal(page: Page, amount: string, name = "Sita Devi", ifsc = "HDFC0001234") {
  await page.goto("/withdraw");
  await waitForHydration(page);
  await page.getByLabel("Amount in rupees").fill(amount);
  await page.getByLabel("Bank account number").fill("000123456789");
  await page.getByLabel("Account holder's name").fill(name);
  await page.getByLabel("IFSC code").fill(ifsc);
  await page.getByTestId("withdraw-review").click();
}

/** Withdraws through the form and its confirmation; the withdrawal's id. */
async function withdraw(page: Page, amount: string) {
  await fillWithdrawal(page, amount);
  await expect(page.getByTestId("withdraw-confirm")).toBeVisible();
  await expect(page.getByTestId("confirm-account")).toHaveText("000123456789");
  await expect(page.getByTestId("confirm-ifsc")).toHaveText("HDFC0001234");
  await page.getByTestId("withdraw-confirm-button").click();
  await expect(page).toHaveURL(/\/balance\?notice=withdrawal_submitted/);
  const id = await page.locator("[data-withdrawal]").first().getAttribute("data-withdrawal");
  expect(id).toMatch(/^wd_/);
  return id!;
}

async function decide(page: Page, id: string, decision: "paid" | "rejected") {
  const r = await page.request.post(`${SANDBOX}/sandbox/api/withdrawals/${id}/${decision}`);
  expect(r.ok()).toBeTruthy();
}

async function waitForWithdrawal(page: Page, status: string) {
  await expect
    .poll(async () => {
      await page.goto("/balance");
      return page.getByTestId("withdrawal-status").first().getAttribute("data-status");
    })
    .toBe(status);
}

test("deposit ₹1,000, withdraw ₹400: ₹600 available while pending, then paid out", async ({ page, context }) => {
  await signUp(page, uniqueLogin("wd"));
  await deposit(page, context, 1000);
  const id = await withdraw(page, "400");
  await expect(page.getByTestId("available")).toHaveText("₹600.00");
  await expect(page.getByTestId("balance")).toHaveText("₹1,000.00");
  await expect(page.getByTestId("withdrawal-status").first()).toHaveText("With the bank");

  // The sandbox lists it for the operator; it pays it.
  const list = await (await page.request.get(`${SANDBOX}/sandbox/api/withdrawals`)).json();
  expect(list[0].id).toBe(id);
  await decide(page, id, "paid");
  await waitForWithdrawal(page, "paid");
  await expect(page.getByTestId("balance")).toHaveText("₹600.00");
  await expect(page.getByTestId("available")).toHaveText("₹600.00");
  await expect(page.getByTestId("ledger")).toContainText("Withdrawal paid");
});

test("a rejected withdrawal gives the ₹400 back", async ({ page, context }) => {
  await signUp(page, uniqueLogin("wdr"));
  await deposit(page, context, 1000);
  const id = await withdraw(page, "400");
  await expect(page.getByTestId("available")).toHaveText("₹600.00");
  await decide(page, id, "rejected");
  await waitForWithdrawal(page, "rejected");
  await expect(page.getByTestId("available")).toHaveText("₹1,000.00");
  await expect(page.getByTestId("ledger")).toContainText("Withdrawal returned");
});

test("an invalid IFSC and name are refused next to the fields, and nothing is held", async ({ page, context }) => {
  await signUp(page, uniqueLogin("wdi"));
  await deposit(page, context, 1000);
  await fillWithdrawal(page, "400", "Sita D.", "HDFC1234");
  // Checked in the browser: the form is not sent.
  await expect(page.getByTestId("error-account_name")).toHaveText(
    "The account holder's name may contain only English letters and spaces.",
  );
  await expect(page.getByTestId("error-ifsc")).toContainText("The IFSC code must look like HDFC0001234");
  await expect(page.getByTestId("withdraw-confirm")).toHaveCount(0);
  await expect(page.getByLabel("IFSC code")).toHaveAttribute("aria-invalid", "true");
  // And on the server, for a browser without JavaScript.
  const js = await context.browser()!.newContext({ javaScriptEnabled: false, storageState: await context.storageState() });
  const plain = await js.newPage();
  await plain.goto("/withdraw");
  await plain.getByLabel("Amount in rupees").fill("400");
  await plain.getByLabel("Bank account number").fill("000123456789");
  await plain.getByLabel("Account holder's name").fill("Sita D.");
  await plain.getByLabel("IFSC code").fill("HDFC1234");
  await plain.getByTestId("withdraw-review").click();
  await expect(plain.getByTestId("error-ifsc")).toContainText("The IFSC code must look like HDFC0001234");
  await expect(plain.getByTestId("error-account_name")).toContainText("English letters and spaces");
  await expect(plain.getByTestId("withdraw-confirm")).toHaveCount(0);
  await js.close();
  await page.goto("/withdraw");
  await expect(page.getByTestId("available")).toHaveText("₹1,000.00");
  await expect(page.getByTestId("held")).toHaveText("₹0.00");
});
