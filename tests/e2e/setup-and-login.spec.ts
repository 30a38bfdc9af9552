import { expect, test, type Page } from "@playwright/test";
import { startServer, type TestServer } from "../helpers/server";
import { shot as screenshot } from "./browser";

// The whole first-run experience in a real browser: the setup URL from the
// log, every wizard step with its validation, landing signed in, logging out
// and in again. Screenshots of each page go to tests/.output/screenshots.

const shot = (page: Page, name: string) => screenshot(page, name, { fullPage: true });

// A real 1×1 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

let server: TestServer;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server?.stop();
});

test("a fresh instance is set up through the wizard, then logged out and in", async ({ page }) => {
  // No page may ask for something that is not there (a missing favicon used to 404 on every page).
  const missing: string[] = [];
  page.on("response", (r) => {
    if (r.status() === 404 && new URL(r.url()).origin === server.url) missing.push(r.url());
  });
  // Before setup every page leads to the wizard.
  await page.goto(server.url + "/messages");
  await expect(page).toHaveURL(/\/setup$/);

  // Wrong code first: an inline error, and we stay on the step.
  await page.getByLabel("Setup code").fill("AAAA-BBBB-CCCC");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByText("That setup code is not right")).toBeVisible();
  await expect(page.getByLabel("Setup code")).toHaveAttribute("aria-invalid", "true");
  await shot(page, "setup-1-code-error");
  // One font for every label, whatever the field holds.
  const labelFont = (name: string) => page.locator(`label:text-is("${name}")`).evaluate((el) => getComputedStyle(el).fontFamily);
  expect(await labelFont("Setup code")).not.toMatch(/mono/i);

  // The printed URL pre-fills the code.
  expect(server.setupCode).toBeTruthy();
  await page.goto(`${server.url}/setup?code=${server.setupCode}`);
  await expect(page.getByLabel("Setup code")).toHaveValue(server.setupCode!);
  await page.getByRole("button", { name: "Continue" }).click();

  // The address step warns that http://127.0.0.1 cannot be reached by other servers.
  await expect(page.getByRole("heading", { name: "Your public address" })).toBeVisible();
  // The new step's heading gets the focus for screen readers, without a focus ring drawn around it.
  await expect(page.getByRole("heading", { name: "Your public address" })).toBeFocused();
  expect(await page.getByRole("heading", { name: "Your public address" }).evaluate((el) => getComputedStyle(el).outlineStyle)).toBe("none");
  await expect(page.getByText(`@name@127.0.0.1:${server.port}`)).toBeVisible();
  await expect(page.getByText("Other servers cannot reach you at this address").first()).toBeVisible();
  await shot(page, "setup-2-address");
  await page.getByRole("button", { name: "Continue" }).click();

  // Account: server-side validation shows inline errors for every bad field.
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  await page.getByLabel("Username").fill("Admin!");
  // The hint never shows an address that cannot exist.
  await expect(page.getByText("@Admin!@")).toHaveCount(0);
  await expect(page.getByText(`Your address will be @name@127.0.0.1:${server.port}`)).toBeVisible();
  expect(await labelFont("Username")).toBe(await page.locator('label:text-is("Display name")').evaluate((el) => getComputedStyle(el).fontFamily));
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat the password").fill("different");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByText("Use only lowercase letters a–z, digits and _.")).toBeVisible();
  await expect(page.getByText("Enter a display name.")).toBeVisible();
  await expect(page.getByText("Use at least 12 characters.")).toBeVisible();
  await shot(page, "setup-3-account-errors");

  await page.getByLabel("Username").fill("alice");
  await expect(page.getByText(`@alice@127.0.0.1:${server.port}`)).toBeVisible();
  await page.getByLabel("Display name").fill("Alice Example");
  await page.getByLabel("Password", { exact: true }).fill("a long enough password");
  await page.getByLabel("Repeat the password").fill("a long enough password");
  await page.getByRole("button", { name: "Continue" }).click();

  // Profile: a non-image is refused, a real PNG is accepted.
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await page.getByLabel("Bio").fill("I write here.\nSecond line.");
  await page.getByLabel("Avatar").setInputFiles({ name: "evil.png", mimeType: "text/html", buffer: Buffer.from("<script>") });
  await expect(page.getByText("Use a PNG, JPEG, WebP or GIF image.")).toBeVisible();
  await page.getByLabel("Avatar").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: PNG });
  await expect(page.getByAltText("Avatar preview")).toBeVisible();
  await shot(page, "setup-4-profile");
  await page.getByRole("button", { name: "Finish setup" }).click();

  // Signed in, on the empty messages home that says what to do next.
  await expect(page).toHaveURL(/\/messages/);
  await expect(page.getByRole("heading", { name: "No conversations yet" })).toBeVisible();
  await expect(page.getByText(/No conversations yet/)).toHaveCount(1);
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Messages" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByText(`@alice@127.0.0.1:${server.port}`).first()).toBeVisible();
  await shot(page, "messages-empty");

  // The last step checks the address as other servers see it: here it is http on loopback.
  await page.getByRole("button", { name: "Check my address" }).click();
  await expect(page.getByText(`Other servers cannot reach ${server.url} yet.`)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText(/Fix:/).first()).toBeVisible();
  await shot(page, "setup-5-address-check");

  // The setup is closed now, and the code cannot be used again.
  await page.goto(`${server.url}/setup?code=${server.setupCode}`);
  await expect(page).toHaveURL(/\/messages/);

  // Settings shows the profile, with the avatar served from our media route.
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  await expect(page.getByLabel("Display name")).toHaveValue("Alice Example");
  const avatar = page.locator("main img").first();
  await expect(avatar).toHaveJSProperty("naturalWidth", 1);
  await shot(page, "settings");

  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Messages" })).not.toHaveAttribute("aria-current");
  // The address check can be run again at any time from Settings.
  await expect(page.getByRole("button", { name: "Check my address" })).toBeVisible();
  // Where you are logged in: this browser, named by browser and system.
  await expect(page.getByRole("list", { name: "Sessions" }).getByRole("listitem")).toHaveCount(1);
  await expect(page.getByRole("list", { name: "Sessions" })).toContainText(/Chrome on Linux\s*this browser/);
  await page.getByRole("region", { name: "Where you are logged in" }).screenshot({ path: "tests/.output/screenshots/settings-sessions.png" });
  await page.getByRole("region", { name: "Your address" }).screenshot({ path: "tests/.output/screenshots/settings-address.png" });

  // Icons made from the logo are served, and the page points at them.
  const icon = await page.request.get(server.url + "/favicon.ico");
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toMatch(/image\/(x-icon|vnd\.microsoft\.icon)/);
  for (const href of await page.locator('link[rel="icon"], link[rel="apple-touch-icon"]').evaluateAll((els) => els.map((e) => (e as HTMLLinkElement).href))) {
    expect((await page.request.get(href)).status(), href).toBe(200);
  }
  expect(missing).toEqual([]);

  // An unknown conversation is a real 404 with the not-found page, not an empty 200.
  const gone = await page.goto(server.url + "/messages/no-such-conversation");
  expect(gone?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
  await page.goto(server.url + "/settings");

  // Log out, then back in.
  await page.getByRole("button", { name: "Log out", exact: true }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto(server.url + "/messages");
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Username").fill("alice");
  await page.getByLabel("Password").fill("wrong password here");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByText("Wrong username or password.")).toBeVisible();
  await shot(page, "login-error");
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/messages/);
  await expect(page.getByRole("heading", { name: "Messages" })).toBeVisible();
});

test("login works at 360 px with the keyboard alone", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  await page.goto(server.url + "/login");
  await shot(page, "login-360");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  // Tab from the top of the page reaches the username field first.
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Username")).toBeFocused();
  await page.keyboard.type("alice");
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type("a long enough password");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/messages/);
  // A new owner on a phone sees what to do first, and that other servers cannot reach this address yet.
  await expect(page.getByRole("heading", { name: "No conversations yet" })).toBeVisible();
  await expect(page.getByText("Other servers cannot reach you yet")).toBeVisible();
  await expect(page.getByRole("link", { name: "Moiety" })).toBeVisible();
  await shot(page, "messages-360");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  // The welcome's address check too, and again in Settings.
  await page.goto(server.url + "/messages?welcome=1");
  await page.getByRole("button", { name: "Check my address" }).click();
  await expect(page.getByText(`Other servers cannot reach ${server.url} yet.`)).toBeVisible({ timeout: 30_000 });
  await shot(page, "welcome-360");
  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("button", { name: "Check my address" })).toBeVisible();
  await shot(page, "settings-360");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  // The header keeps the logo and the four sections on one line; logging out is in Settings.
  for (const name of ["Moiety", "Messages", "Search", "People", "Settings"]) {
    await expect(page.getByRole("banner").getByRole("link", { name, exact: true })).toBeInViewport({ ratio: 1 });
  }
  await page.getByRole("button", { name: "Log out of this browser" }).click();
  await expect(page).toHaveURL(/\/login/);
  await context.close();
});
