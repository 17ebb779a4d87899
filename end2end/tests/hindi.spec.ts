import { test, expect, devices, Page } from "@playwright/test";
import * as fs from "fs";
import * as path from "path";
import { SANDBOX, openSandboxApp, setChaos, signUp, uniqueLogin, waitForHydration } from "./helpers";

// A 360 px Android phone (the narrowest common width in India), in Hindi.
const { defaultBrowserType: _browserType, ...pixel } = devices["Pixel 5"];
const phone = {
  ...pixel,
  viewport: { width: 360, height: 780 },
  screen: { width: 360, height: 780 },
};
const shots = path.resolve(__dirname, "..", "..", "target", "e2e", "screenshots");

async function signUpHindi(page: Page, login: string, password = "pw-123456") {
  await page.goto("/signup");
  await expect(page.locator("html")).toHaveAttribute("lang", "hi");
  await page.getByLabel("लॉगिन").fill(login);
  await page.getByLabel("पासवर्ड", { exact: true }).fill(password);
  await page.getByLabel("पासवर्ड दोबारा लिखें").fill(password);
  await page.getByRole("button", { name: "खाता बनाएँ" }).click();
  await expect(page.getByTestId("signed-in-user")).toHaveText(login);
}

/** Nothing wider than the screen, and every control big enough for a thumb. */
async function fitsThePhone(page: Page, what: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${what}: page wider than the screen`).toBeLessThanOrEqual(0);
  const small = await page.evaluate(() => {
    const out: string[] = [];
    const sel = "button, .button, input:not([type=hidden]):not([type=radio]), select, .app-buttons a, .main-nav a, .lang-switch a, summary";
    for (const el of Array.from(document.querySelectorAll<HTMLElement>(sel))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue; // not shown
      if (r.height < 44 - 0.5) out.push(`${el.tagName.toLowerCase()} "${(el.textContent || "").trim().slice(0, 30)}" ${r.height.toFixed(1)}px`);
    }
    return out;
  });
  expect(small, `${what}: tap targets under 44 px`).toEqual([]);
}

test.describe("in Hindi on a phone", () => {
  test.use({ ...phone, locale: "hi-IN" });

  test.afterEach(async ({ page }) => {
    await setChaos(page, { duplicate_postbacks: 0, concurrent: false, out_of_order: false, delay_ms: 0 });
  });

  test("deposit ₹1,00,000 by UPI, paid in the app, credited live — all in Hindi", async ({ page, context }) => {
    await signUpHindi(page, uniqueLogin("hindi"));
    await page.goto("/deposit");
    await expect(page.getByRole("heading", { name: "पैसे जोड़ें" })).toBeVisible();
    await waitForHydration(page);
    // the amount island checks as you type, in Hindi
    await page.getByLabel("राशि (रुपये में)").fill("12.345");
    await expect(page.getByTestId("amount-error")).toHaveText("दशमलव के बाद ज़्यादा से ज़्यादा दो अंक (पैसे) लिखें।");
    await page.getByLabel("राशि (रुपये में)").fill("100000");
    await expect(page.getByTestId("amount-error")).toHaveCount(0);
    // the Devanagari face arrived and every text was shaped again with it
    await expect(page.locator("html")).toHaveClass(/fonts-ready/);
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, "deposit-hi-phone.png"), fullPage: true });
    await page.getByRole("button", { name: "भुगतान पर आगे बढ़ें" }).click();
    await expect(page).toHaveURL(/\/deposits\/dep_/);
    await waitForHydration(page);

    await expect(page.getByTestId("deposit-amount")).toHaveText("₹1,00,000.00");
    await expect(page.getByTestId("deposit-status")).toContainText("भुगतान का इंतज़ार");
    await expect(page.getByTestId("upi-generic")).toHaveText("UPI ऐप से भुगतान करें");
    // the QR sits behind "show", with its text alternative
    await page.getByText("QR कोड दिखाएँ").click();
    await expect(page.getByRole("img", { name: /UPI QR कोड: .* को ₹1,00,000\.00 का भुगतान करें/ })).toBeVisible();
    await fitsThePhone(page, "payment page");
    await page.screenshot({ path: path.join(shots, "payment-hi-phone.png"), fullPage: true });

    const app = await openSandboxApp(context, page);
    await app.getByRole("button", { name: /^Pay ₹1,00,000/ }).click();
    await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "credited");
    await expect(page.getByTestId("deposit-status")).toContainText("₹1,00,000.00 जमा हो गया");
    await expect(page.getByTestId("deposit-status")).toHaveAttribute("aria-live", "polite");
    await page.screenshot({ path: path.join(shots, "credited-hi-phone.png"), fullPage: true });

    await page.goto("/balance");
    await expect(page.getByTestId("balance")).toHaveText("₹1,00,000.00");
    await expect(page.getByTestId("ledger")).toContainText("UPI जमा");
    await fitsThePhone(page, "balance page");
    await page.screenshot({ path: path.join(shots, "balance-hi-phone.png"), fullPage: true });
  });

  test("withdraw by IMPS in Hindi: messages beside the fields, confirmation, money reserved", async ({ page }) => {
    const login = uniqueLogin("hiwd");
    await signUpHindi(page, login);
    // money to withdraw: a deposit paid through the sandbox's hooks
    await page.goto("/deposit");
    await page.getByLabel("राशि (रुपये में)").fill("1000");
    await page.getByRole("button", { name: "भुगतान पर आगे बढ़ें" }).click();
    await expect(page).toHaveURL(/\/deposits\/dep_/);
    const href = await page.getByTestId("sandbox-pay").getAttribute("href");
    const order = href!.split("/pay/")[1];
    const paid = await page.request.post(`${SANDBOX}/sandbox/api/orders/${order}/pay`, { data: {} });
    expect(paid.ok()).toBeTruthy();
    await expect(page.getByTestId("deposit-status")).toHaveAttribute("data-status", "credited");

    await page.goto("/withdraw");
    await waitForHydration(page);
    await expect(page.getByRole("heading", { name: "IMPS से पैसे निकालें" })).toBeVisible();
    await page.getByTestId("amount").fill("400");
    await page.getByTestId("account_number").fill("0001 2345 6789");
    await page.getByTestId("account_name").fill("Sita Devi");
    await page.getByTestId("ifsc").fill("hdfc1");
    await page.getByTestId("ifsc").blur();
    await expect(page.getByTestId("error-ifsc")).toContainText("IFSC कोड HDFC0001234 जैसा होना चाहिए");
    await fitsThePhone(page, "withdraw page");
    await page.screenshot({ path: path.join(shots, "withdraw-hi-phone.png"), fullPage: true });
    await page.getByTestId("ifsc").fill("hdfc0001234");
    await page.getByRole("button", { name: "निकासी की जाँच करें" }).click();
    await expect(page.getByRole("heading", { name: "अपनी निकासी की पुष्टि करें" })).toBeVisible();
    await expect(page.getByTestId("confirm-amount")).toHaveText("₹400.00");
    await fitsThePhone(page, "withdraw confirmation");
    await page.getByRole("button", { name: "₹400.00 निकालें" }).click();
    await expect(page).toHaveURL(/\/balance/);
    await expect(page.getByText("आपकी निकासी IMPS से बैंक को भेज दी गई है।")).toBeVisible();
    await expect(page.getByTestId("available")).toHaveText("₹600.00");
  });
});

test("the header switches the language, and the choice is remembered", async ({ page }) => {
  await page.goto("/signin");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await page.getByTestId("lang-hi").click();
  await expect(page).toHaveURL(/\/signin\?lang=hi$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "hi");
  await expect(page.getByRole("heading", { name: "साइन इन करें" })).toBeVisible();
  await page.goto("/signup");
  await expect(page.getByRole("heading", { name: "अपना खाता बनाएँ" })).toBeVisible();
  await page.getByTestId("lang-en").click();
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  await page.goto("/");
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
});

test.describe("every user page fits a 360 px phone", () => {
  test.use(phone);
  for (const lang of ["en", "hi"]) {
    test(`in ${lang}`, async ({ page }) => {
      await page.goto(`/?lang=${lang}`);
      for (const p of ["/", "/signin", "/signup", "/no-such-page"]) {
        await page.goto(p);
        await expect(page.locator("html")).toHaveAttribute("lang", lang);
        // before the islands wake up (or without JavaScript) and after
        await fitsThePhone(page, `${p} (${lang}, not yet hydrated)`);
        await waitForHydration(page);
        await fitsThePhone(page, `${p} (${lang})`);
      }
      await (lang === "hi" ? signUpHindi : signUp)(page, uniqueLogin(`fit${lang}`));
      for (const p of ["/deposit", "/balance", "/withdraw"]) {
        await page.goto(p);
        await waitForHydration(page);
        await fitsThePhone(page, `${p} (${lang})`);
      }
      await page.goto("/deposit");
      await page.locator("#deposit-amount").fill("250");
      await page.locator("form[data-testid=deposit-form] button[type=submit]").click();
      await expect(page).toHaveURL(/\/deposits\/dep_/);
      await waitForHydration(page);
      await fitsThePhone(page, `payment page (${lang})`);
      // the menu folds behind its button on a phone and opens with a tap
      await page.locator(".menu-toggle").click();
      await expect(page.locator("#main-nav")).toBeVisible();
      await fitsThePhone(page, `open menu (${lang})`);
    });
  }
});
