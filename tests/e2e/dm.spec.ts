import { expect, test, type Browser, type Page } from "@playwright/test";
import { apiFetch, apiToken } from "../helpers/api-token";
import { startInstance, type Instance } from "../helpers/instances";
import { expectAccessible, loggedIn as logInBrowser, shot } from "./browser";

// Two real instances; each owner in their own browser context. Everything
// happens through the UI, and the other side must update without a reload.

// A real 2×2 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
  "base64",
);

let alice: Instance;
let bob: Instance;

test.beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
});
test.afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
});

/** Every Content-Security-Policy violation any page reports; the test ends by expecting none. */
const cspViolations: string[] = [];
/** React reports hydration mismatches (server and browser rendering differently) as console errors. */
const reactErrors: string[] = [];

function loggedIn(browser: Browser, who: Instance): Promise<Page> {
  return logInBrowser(browser, who, {
    watch: (page) => {
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
        if (m.type() === "error" && /hydrat|did not match|React/i.test(m.text())) reactErrors.push(m.text());
      });
      page.on("pageerror", (e) => reactErrors.push(String(e)));
    },
  });
}

test("a DM round trip between two instances, live on both sides", async ({ browser }) => {
  // The whole life of a conversation in one scenario: ~40 s on two idle cores, twice that when busy.
  test.setTimeout(240_000);
  const a = await loggedIn(browser, alice);
  const b = await loggedIn(browser, bob);
  await b.goto(bob.url + "/messages?tab=requests");
  await expect(b.getByText("No message requests.")).toBeVisible();

  // Alice writes to Bob: the recipient is resolved and shown before sending.
  await a.getByRole("link", { name: "New message" }).first().click();
  await a.getByLabel("To").fill(bob.actor);
  await a.getByRole("button", { name: "Find" }).click();
  const chip = a.getByRole("list", { name: "Recipients" });
  await expect(chip.getByText("Bob", { exact: true })).toBeVisible();
  await expect(chip.getByText(`@bob@${new URL(bob.url).host}`)).toBeVisible();
  await expect(a.getByText("does not follow you")).toBeVisible();
  await a.getByLabel("Message").fill("Hello Bob! See https://example.com");
  // Bob's server offers end-to-end encryption and it is on by default; this scenario is the plaintext DM.
  await a.getByLabel("End-to-end encrypt").uncheck();
  await expect(a.getByText(`Off: the admins of ${new URL(bob.url).host} will be able to read it.`)).toBeVisible();
  await shot(a, "dm-compose");
  await a.getByRole("button", { name: "Send" }).click();
  await expect(a).toHaveURL(/\/messages\/[0-9a-z]+$/);
  const thread = a.getByRole("log", { name: "Messages" });
  await expect(thread.getByText("Hello Bob! See")).toBeVisible();
  await expect(thread.locator("[data-delivery-state=delivered]")).toBeVisible();
  await expect(a.getByText(`Readable by: you, the admins of ${new URL(bob.url).host}`)).toBeVisible();

  // Bob, a stranger to Alice, gets it as a request — without reloading.
  await expect(b.getByRole("link", { name: /Alice/ })).toBeVisible();
  await b.getByRole("link", { name: /Alice/ }).click();
  await expect(b.getByRole("region", { name: "Message request" })).toBeVisible();
  await shot(b, "dm-request");
  await b.getByRole("button", { name: "Accept" }).click();
  await expect(b.getByRole("region", { name: "Message request" })).toHaveCount(0);
  const bThread = b.getByRole("log", { name: "Messages" });
  await expect(bThread.getByRole("link", { name: "https://example.com" })).toHaveAttribute("rel", "nofollow noopener noreferrer");

  // Bob replies with the keyboard; Alice sees it arrive live.
  await b.getByLabel("End-to-end encrypt").uncheck();
  await b.getByLabel("Write a message").fill("Hi Alice, got it.");
  await b.getByLabel("Write a message").press("Enter");
  await expect(bThread.getByText("Hi Alice, got it.")).toBeVisible();
  await expect(thread.getByText("Hi Alice, got it.")).toBeVisible();
  await expect(a).toHaveTitle(/Bob/);
  await shot(a, "dm-thread-alice");

  // Alice edits her first message; Bob sees the edit.
  await thread.getByRole("button", { name: "Edit" }).first().click();
  await a.getByLabel("Edit message").fill("Hello Bob! (edited)");
  await a.getByRole("button", { name: "Save edit" }).click();
  await expect(thread.getByText("Hello Bob! (edited)")).toBeVisible();
  await expect(bThread.getByText("Hello Bob! (edited)")).toBeVisible();
  await expect(bThread.getByText("· edited")).toBeVisible();

  // And deletes it, after confirming; Bob sees the placeholder.
  await thread.getByRole("button", { name: "Delete" }).first().click();
  await a.getByRole("group", { name: "Confirm delete" }).getByRole("button", { name: "Delete" }).click();
  await expect(thread.getByText("This message was deleted.")).toBeVisible();
  await expect(bThread.getByText("This message was deleted.")).toBeVisible();
  await shot(b, "dm-thread-bob");

  // An image with alt text arrives and displays on the other side.
  await a.getByLabel("End-to-end encrypt").uncheck();
  await a.getByText("Attach image").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: PNG });
  await a.getByLabel("Alt text for image 1").fill("A tiny test square");
  await a.getByLabel("Write a message").fill("Here is a picture");
  await a.getByRole("button", { name: "Send" }).click();
  const received = bThread.getByRole("img", { name: "A tiny test square" });
  await expect(received).toBeVisible();
  await expect(received).toHaveJSProperty("naturalWidth", 2);
  expect(await received.getAttribute("src")).toMatch(/^\/media\/proxy\?url=/);

  // Search finds a message and jumps to it in its thread.
  await b.getByRole("link", { name: "Search" }).click();
  await b.getByLabel("Search all messages").fill("got it");
  await b.getByRole("button", { name: "Search" }).click();
  const results = b.getByRole("list", { name: "Results" });
  await expect(results.locator("mark").first()).toHaveText(/got/i);
  await shot(b, "search");
  await expectAccessible(b, "search");
  await results.getByRole("link").first().click();
  await expect(b).toHaveURL(/\/messages\/[0-9a-z]+\?m=/);
  await expect(b.getByRole("log", { name: "Messages" }).getByText("Hi Alice, got it.")).toBeInViewport();

  // The main pages have no serious accessibility problems.
  await expectAccessible(a, "thread");
  await a.goto(alice.url + "/messages/new");
  await expectAccessible(a, "new message");
  await a.goto(alice.url + "/people");
  await expect(a.getByRole("heading", { name: "People" })).toBeVisible();
  await shot(a, "people");
  await expectAccessible(a, "people");
  await a.goto(alice.url + "/settings");
  await shot(a, "settings-full");
  await expectAccessible(a, "settings");
  await a.goto(alice.url + "/messages");
  await expectAccessible(a, "messages");

  // On a phone, the thread is usable at 360 px.
  await b.setViewportSize({ width: 360, height: 740 });
  await expect(bThread.getByText("Hi Alice, got it.")).toBeVisible();
  expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await shot(b, "dm-thread-360");

  // The pages ran under a nonce-based CSP without tripping it.
  const res = await b.request.get(bob.url + "/messages");
  expect(res.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(cspViolations).toEqual([]);
  expect(reactErrors).toEqual([]);
});

test("New message resolves the address the way people type: Enter, leaving the field, or Send", async ({ browser }) => {
  const a = await loggedIn(browser, alice);
  const bobHandle = `@bob@${new URL(bob.url).host}`;
  const recipients = a.getByRole("list", { name: "Recipients" });
  await a.goto(alice.url + "/messages/new");

  // Enter in To resolves the address, without sending anything.
  await a.getByLabel("To").fill(bob.actor);
  await a.getByLabel("To").press("Enter");
  await expect(recipients.getByText(bobHandle)).toBeVisible();
  await expect(a.getByLabel("To")).toHaveValue("");
  await expect(a).toHaveURL(/\/messages\/new$/);

  // Leaving the field (Tab) resolves it too.
  await a.getByRole("button", { name: `Remove ${bobHandle}` }).click();
  await expect(recipients).toHaveCount(0);
  await a.getByLabel("To").fill(bob.actor);
  await a.getByLabel("To").press("Tab");
  await expect(recipients.getByText(bobHandle)).toBeVisible();

  // An address nobody answers for says so where the address is typed.
  await a.getByRole("button", { name: `Remove ${bobHandle}` }).click();
  await a.getByLabel("To").fill("@nobody@does-not-exist.invalid");
  await a.getByLabel("To").press("Enter");
  await expect(a.locator("#to-error")).toHaveText("No server answers at does-not-exist.invalid — check the address for typos.");
  await expect(recipients).toHaveCount(0);

  // A typed but unresolved recipient is resolved and the message sent, in one click.
  await a.getByLabel("To").fill(bob.actor);
  await a.getByLabel("Message").fill("Sent in one click");
  await a.getByRole("button", { name: "Send" }).click();
  await expect(a).toHaveURL(/\/messages\/[0-9a-z]+$/);
  const thread = a.getByRole("log", { name: "Messages" });
  await expect(thread.getByText("Sent in one click")).toBeVisible();
  await expect(thread.locator("[data-delivery-state=delivered]").last()).toBeVisible();
  await shot(a, "dm-compose-one-click");
});

test("a content warning folds a message away and sensitive images stay hidden, until opened", async ({ browser }) => {
  test.setTimeout(150_000);
  // Carol, on a third instance, so this conversation starts here and in the clear whatever ran before.
  const carol = await startInstance("carol");
  try {
    // Carol writes from a Mastodon app (the API), as people with a content warning habit do.
    const carolApi = apiFetch(carol, await apiToken(carol));
    const to = `@alice@${new URL(alice.url).host}`;
    const form = new FormData();
    form.set("file", new Blob([PNG], { type: "image/png" }), "dot.png");
    form.set("description", "a tiny picture");
    const media = await carolApi("/api/v2/media", { body: form });
    const marked = await carolApi("/api/v1/statuses", { body: { status: `${to} Not for everyone's eyes.`, visibility: "direct", media_ids: [media.json.id], sensitive: true } });
    expect(marked.status, marked.text).toBe(200);
    // Last, so the conversation list shows it: the warning, never the text it covers.
    const warned = await carolApi("/api/v1/statuses", { body: { status: `${to} The butler did it.`, visibility: "direct", spoiler_text: "Film ending" } });
    expect(warned.status, warned.text).toBe(200);

    const a = await loggedIn(browser, alice);
    const row = a.getByRole("link", { name: /Carol/ }).filter({ hasText: "Content warning: Film ending" });
    await expect
      .poll(async () => {
        await a.goto(`${alice.url}/messages?tab=requests`);
        return (await row.count()) > 0;
      }, { message: "Carol's warned message in alice's list" })
      .toBe(true);
    await expect(row).not.toContainText("butler");
    await row.first().click();
    const thread = a.getByRole("log", { name: "Messages" });
    const warning = thread.getByText("Content warning: Film ending");
    await expect(warning).toBeVisible();
    await expect(thread.getByText("The butler did it.")).toBeHidden();
    // The sensitive picture's text shows; the picture waits behind its own button.
    await expect(thread.getByText("Not for everyone's eyes.")).toBeVisible();
    await expect(thread.getByText("Sensitive image")).toBeVisible();
    await expect(thread.getByRole("img", { name: "a tiny picture" })).toBeHidden();
    await expectAccessible(a, "thread with a content warning");
    await shot(a, "dm-content-warning-closed");

    await warning.click();
    await expect(thread.getByText("The butler did it.")).toBeVisible();
    await thread.getByText("Sensitive image").click();
    await expect(thread.getByRole("img", { name: "a tiny picture" })).toBeVisible();
    await shot(a, "dm-content-warning-open");
    // And closed again from the keyboard.
    await thread.locator("summary", { hasText: "Content warning: Film ending" }).focus();
    await a.keyboard.press("Enter");
    await expect(thread.getByText("The butler did it.")).toBeHidden();

    // Alice answers with a warning of her own. Carol has opened no browser, so nothing can be encrypted
    // to her and the message goes in the clear (an encrypted one cannot carry a warning yet).
    await expect(a.getByLabel("End-to-end encrypt")).toHaveCount(0);
    await a.getByRole("button", { name: "Content warning" }).click();
    await a.getByLabel("Content warning", { exact: true }).fill("Spoilers too");
    await a.getByLabel("Write a message").fill("I guessed the gardener.");
    await shot(a, "dm-content-warning-compose");
    await a.getByRole("button", { name: "Send", exact: true }).click();
    await expect(thread.getByText("Content warning: Spoilers too")).toBeVisible();
    await expect(thread.getByText("I guessed the gardener.")).toBeHidden();
    await expect(a.getByLabel("Content warning", { exact: true })).toHaveCount(0);
    await expect
      .poll(async () => ((await carolApi("/api/v1/timelines/home?limit=40")).json as any[]).find((s) => s.content.includes("gardener"))?.spoiler_text, {
        message: "carol to get alice's warned reply",
      })
      .toBe("Spoilers too");
    expect(cspViolations).toEqual([]);
    expect(reactErrors).toEqual([]);
  } finally {
    await carol.stop();
  }
});
