import { test, expect, devices, Browser, BrowserContext } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { signUp, startDeposit, uniqueLogin, waitForHydration } from "./helpers";

// axe-core on every user page, desktop and phone, English and Hindi (`?lang=`):
// no serious or critical violation.
const { defaultBrowserType: _browserType, ...PHONE } = devices["Pixel 5"];
const VIEWS = [
  ["desktop", devices["Desktop Chrome"].viewport],
  ["phone", PHONE.viewport],
] as const;

type State = Awaited<ReturnType<BrowserContext["storageState"]>>;

async function audit(browser: Browser, view: string, url: string, storageState?: State) {
  const context = await browser.newContext({
    ...(view === "phone" ? PHONE : devices["Desktop Chrome"]),
    baseURL: test.info().project.use.baseURL,
    storageState,
  });
  const page = await context.newPage();
  await page.goto(url);
  await waitForHydration(page);
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  await context.close();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${view} ${url}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("no serious or critical accessibility violation on any user page", async ({ browser, page }) => {
  test.setTimeout(240_000);
  await signUp(page, uniqueLogin("a11y"));
  const deposit = await startDeposit(page, "250");
  const signedIn = await page.context().storageState();
  const pages: [string, boolean][] = [
    ["/", false],
    ["/signin", false],
    ["/signup", false],
    ["/", true],
    ["/deposit", true],
    [`/deposits/${deposit}`, true],
    ["/balance", true],
    ["/withdraw", true],
  ];
  const found: string[] = [];
  for (const [path, auth] of pages) {
    for (const lang of ["en", "hi"]) {
      for (const [view] of VIEWS) {
        found.push(...(await audit(browser, view, `${path}?lang=${lang}`, auth ? signedIn : undefined)));
      }
    }
  }
  expect(found).toEqual([]);
});
