// Takes screenshots of the main pages at desktop and phone widths:
//   node end2end/screenshots.js http://127.0.0.1:3000 OUTDIR
const { chromium } = require("@playwright/test");
const base = process.argv[2] || "http://127.0.0.1:3000";
const out = process.argv[3] || "target/screenshots";
(async () => {
  const browser = await chromium.launch({
    executablePath: "/usr/lib/chromium/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const sizes = {
    desktop: { viewport: { width: 1280, height: 860 } },
    phone: {
      viewport: { width: 390, height: 844 },
      userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    },
  };
  for (const [name, opts] of Object.entries(sizes)) {
    const ctx = await browser.newContext(opts);
    const page = await ctx.newPage();
    const login = `shot-${name}-${Date.now().toString(36)}`;
    await page.goto(`${base}/`);
    await page.screenshot({ path: `${out}/${name}-home.png`, fullPage: true });
    await page.goto(`${base}/signup`);
    await page.fill("input[name=login]", login);
    await page.fill("input[name=password]", "pw-123456");
    await page.fill("input[name=password_confirm]", "pw-123456");
    await page.click("button[type=submit]:has-text('Create account')");
    await page.waitForURL(/deposit/);
    await page.waitForSelector("html[data-hydrated=true]", { state: "attached" });
    await page.fill("input[name=amount]", "2500");
    await page.screenshot({ path: `${out}/${name}-deposit.png`, fullPage: true });
    await page.click("button:has-text('Continue to payment')");
    await page.waitForURL(/deposits\//);
    await page.waitForSelector("html[data-hydrated=true]", { state: "attached" });
    await page.screenshot({ path: `${out}/${name}-payment.png`, fullPage: true });
    const href = await page.getAttribute("[data-testid=sandbox-pay]", "href");
    const app = await ctx.newPage();
    await app.goto(href);
    await app.screenshot({ path: `${out}/${name}-sandbox-app.png`, fullPage: true });
    await app.click("button:has-text('Pay ₹')");
    await page.waitForSelector("[data-status=credited]");
    await page.screenshot({ path: `${out}/${name}-credited.png`, fullPage: true });
    await page.goto(`${base}/balance`);
    await page.screenshot({ path: `${out}/${name}-balance.png`, fullPage: true });
    await ctx.close();
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
