import AxeBuilder from "@axe-core/playwright";
import { expect, type Browser, type Page } from "@playwright/test";
import fs from "node:fs";
import path from "node:path";
import { PASSWORD, type Instance } from "../helpers/instances";

// What the browser specs share: screenshots to look at, the axe check, and
// logging an owner in through the real login form.

const SHOTS = path.join(import.meta.dirname, "..", ".output", "screenshots");
fs.mkdirSync(SHOTS, { recursive: true });

export function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  return page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: opts.fullPage });
}

/** No serious or critical accessibility violations on the page as it is now. */
export async function expectAccessible(page: Page, name: string) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.map((v) => `${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
}

/** Log `who` in on `page` through the login form; ends on the messages page. */
export async function logIn(page: Page, who: Pick<Instance, "url" | "username">) {
  await page.goto(who.url + "/login");
  await page.getByLabel("Username").fill(who.username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/messages/);
}

/** A fresh browser context (own cookies) with `who` logged in; `watch` sees the page before it loads anything. */
export async function loggedIn(browser: Browser, who: Instance, opts: { width?: number; watch?: (page: Page) => void } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 800 } });
  const page = await context.newPage();
  opts.watch?.(page);
  await logIn(page, who);
  return page;
}
