import { expect, test, type BrowserContext, type CDPSession, type Page, type Worker } from "@playwright/test";
import Database from "better-sqlite3";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { expectAccessible, logIn, shot } from "./browser";

// Moiety as an installed app in real Chromium: the manifest and icons, the
// service worker (offline page, nothing else cached), Settings → Notifications,
// and a push delivered to the worker through the DevTools protocol that shows
// a notification which opens its conversation.

let alice: Instance;
let bob: Instance;
let conversation: string;
/** Stands in for a browser vendor's push service: it only accepts and counts POSTs, on loopback. */
let pushService: http.Server;
const pushed: string[] = [];

test.beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
  pushService = http.createServer((req, res) => {
    pushed.push(req.url ?? "");
    req.resume();
    res.writeHead(201).end();
  });
  await new Promise<void>((resolve) => pushService.listen(0, "127.0.0.1", resolve));
  const sent = await bob.json(["dm", "send", alice.actor, "--text", "Are we still on for Friday?"]);
  expect(sent).toBeTruthy();
  conversation = await eventually(async () => {
    const rows = query<{ id: string }>(`SELECT "id" FROM "Conversation"`);
    return rows[0]?.id;
  }, "alice to receive bob's DM");
});
test.afterAll(async () => {
  pushService?.close();
  await Promise.all([alice?.stop(), bob?.stop()]);
});

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(alice.dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

type ShownNotification = { title: string; body: string; tag: string; icon: string; badge: string; data: { url: string } };

/** The notifications this origin's service worker shows right now, as the page's registration reports them. */
function shownNotifications(page: Page): Promise<ShownNotification[]> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon, badge: n.badge, data: n.data }));
  });
}

async function serviceWorkerOf(context: BrowserContext): Promise<Worker> {
  const found = context.serviceWorkers().find((w) => w.url() === `${alice.url}/sw.js`);
  return found ?? (await context.waitForEvent("serviceworker", { predicate: (w) => w.url() === `${alice.url}/sw.js` }));
}

/** The id Chromium gave our registration, from the ServiceWorker domain's events. */
async function registrationId(cdp: CDPSession): Promise<string> {
  const seen: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
  cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => seen.push(...e.registrations));
  await cdp.send("ServiceWorker.enable");
  return eventually(async () => seen.find((r) => r.scopeURL === `${alice.url}/` && !r.isDeleted)?.registrationId, "the service worker's registration id", 10_000);
}

/** A push as Moiety's server sends it to a browser (the payload lib/ code encrypts; Chromium decrypts before the worker sees it). */
function payload(over: Record<string, unknown> = {}) {
  return {
    notification_id: 41,
    notification_type: "mention",
    title: "New message from Bob",
    body: "Are we still on for Friday?",
    icon: "/icons/icon-192.png",
    url: `/messages/${conversation}`,
    conversation_id: conversation,
    ...over,
  };
}

test("installable: manifest and icons, service worker, offline page, nothing of a conversation cached", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await logIn(page, alice);

  // The manifest every page links, and each of its icons at the size it states.
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  const manifestRes = await page.request.get(new URL(href!, alice.url).href);
  expect(manifestRes.status()).toBe(200);
  expect(manifestRes.headers()["content-type"]).toMatch(/^application\/manifest\+json/);
  const manifest = await manifestRes.json();
  expect(manifest).toMatchObject({ name: "Moiety", start_url: "/messages", display: "standalone", scope: "/" });
  for (const icon of manifest.icons as { src: string; sizes: string }[]) {
    const res = await page.request.get(new URL(icon.src, alice.url).href);
    expect([icon.src, res.status(), res.headers()["content-type"]]).toEqual([icon.src, 200, "image/png"]);
    const size = await page.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      return `${img.naturalWidth}x${img.naturalHeight}`;
    }, icon.src);
    expect(size).toBe(icon.sizes);
  }
  const touchIcon = page.locator('link[rel="apple-touch-icon"]');
  expect((await page.request.get(new URL((await touchIcon.getAttribute("href"))!, alice.url).href)).status()).toBe(200);
  await expect(page.locator('meta[name="apple-mobile-web-app-capable"]')).toHaveAttribute("content", "yes");

  // The service worker registers from the owner's pages and takes control of them.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(scope).toBe(`${alice.url}/`);

  // What Chromium itself says about installing this page (a manifest with icons, a worker with a fetch handler).
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  const { errors: manifestErrors } = await cdp.send("Page.getAppManifest");
  expect(manifestErrors).toEqual([]);
  // Playwright's contexts are incognito profiles, where Chromium never offers installation; nothing else may stand in the way.
  expect(installabilityErrors.filter((e) => e.errorId !== "in-incognito")).toEqual([]);

  // Read the conversation; then offline, a page load shows the offline page instead of the browser's error.
  await page.goto(`${alice.url}/messages/${conversation}`);
  await expect(page.getByText("Are we still on for Friday?").first()).toBeVisible();
  await context.setOffline(true);
  await page.goto(`${alice.url}/messages/${conversation}`).catch(() => undefined);
  await expect(page.getByRole("heading", { name: "You are offline" })).toBeVisible();
  await expect(page.getByText("Are we still on for Friday?")).toHaveCount(0);
  await shot(page, "push-offline-page");
  await expectAccessible(page, "offline page");

  // The worker keeps exactly one thing: the offline page. No page, message or API answer.
  const worker = await serviceWorkerOf(context);
  const cached = await worker.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    return urls;
  });
  expect(cached).toEqual([`${alice.url}/offline.html`]);

  await context.setOffline(false);
  await page.getByRole("link", { name: "Try again" }).click();
  await expect(page.getByText("Are we still on for Friday?").first()).toBeVisible();
  expect(cspViolations).toEqual([]);
  await context.close();
});

test("Settings → Notifications subscribes this browser, and a push opens its conversation", async ({ browser }) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(["notifications"], { origin: alice.url });
  const page = await context.newPage();
  await logIn(page, alice);
  await page.goto(`${alice.url}/settings`);
  const section = page.getByRole("region", { name: "Notifications" });
  await expect(section.getByText("No device is notified yet.")).toBeVisible();

  // First the real thing: this Chromium's own PushManager, with the server's VAPID key. Playwright's
  // contexts are incognito profiles, where Chromium refuses every push subscription
  // ("AbortError: Registration failed - permission denied") although notifications are allowed;
  // the owner is told so in words. (A normal profile would ask Google's push service, which
  // this machine cannot reach: Chromium then never answers, and the page gives up after 30 s.)
  await section.getByRole("button", { name: "Notify me on this device" }).click();
  await expect(section.getByRole("alert")).toHaveText(
    "This browser refused a push subscription (Registration failed - permission denied). Private windows never get one; elsewhere, allow notifications for this site and try again.",
  );
  expect(query(`SELECT * FROM "PushSubscription"`)).toEqual([]);
  await shot(page, "push-settings-incognito-refused");

  // Then with a stand-in for the push service's answer: what a browser's PushManager
  // returns (an endpoint, a real P-256 key and an auth secret), on loopback.
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const jwk = publicKey.export({ format: "jwk" });
  const standIn = {
    endpoint: `http://127.0.0.1:${(pushService.address() as AddressInfo).port}/push/chromium-${randomBytes(4).toString("hex")}`,
    p256dh: Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]).toString("base64url"),
    auth: randomBytes(16).toString("base64url"),
  };
  await context.addInitScript((s) => {
    // Kept across page loads as the browser keeps a real one (the key as base64url).
    const STORE = "stand-in-push-key";
    const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const made = (key: Uint8Array) =>
      ({
        endpoint: s.endpoint,
        expirationTime: null,
        options: { userVisibleOnly: true, applicationServerKey: key.slice().buffer },
        toJSON: () => ({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }),
        unsubscribe: async () => {
          localStorage.removeItem(STORE);
          return true;
        },
        getKey: () => null,
      }) as unknown as PushSubscription;
    PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
      const key = new Uint8Array(options!.applicationServerKey as Uint8Array);
      localStorage.setItem(STORE, btoa(String.fromCharCode(...key)));
      return made(key);
    };
    PushManager.prototype.getSubscription = async () => {
      const stored = localStorage.getItem(STORE);
      return stored ? made(bytes(stored)) : null;
    };
  }, standIn);
  await page.reload();
  await section.getByRole("checkbox", { name: "Message requests" }).uncheck();
  await section.getByRole("button", { name: "Notify me on this device" }).click();
  await expect(section.getByText("This device is notified.")).toBeVisible();
  const devices = section.getByRole("list", { name: "Notified devices" });
  await expect(devices.getByText("Chrome on Linux")).toBeVisible();
  await expect(devices.getByText("this device", { exact: true })).toBeVisible();
  await expect(devices.getByText("last delivered never yet")).toBeVisible();
  const [row] = query<{ id: number; endpoint: string; standard: number; alerts: string; deviceName: string; sessionId: string }>(`SELECT * FROM "PushSubscription"`);
  expect(row).toMatchObject({ endpoint: standIn.endpoint, standard: 1, deviceName: "Chrome on Linux", sessionId: expect.any(String) });
  expect(JSON.parse(row.alerts)).toEqual({ mention: true, request: false, follow: true, follow_request: true });

  // Changing what to be told about, and the text setting with its lock-screen line.
  await devices.getByRole("checkbox", { name: "New followers" }).uncheck();
  await expect.poll(() => JSON.parse(query<{ alerts: string }>(`SELECT "alerts" FROM "PushSubscription"`)[0].alerts).follow).toBe(false);
  await expect(section.getByText("The lock screen shows only who wrote")).toBeVisible();
  await section.getByRole("checkbox", { name: "Show message text in notifications" }).check();
  await expect(section.getByText("the lock screen shows what was written")).toBeVisible();
  await expect.poll(() => query<{ value: string }>(`SELECT "value" FROM "Setting" WHERE "key" = 'pushShowText'`)[0]?.value).toBe("true");
  await section.getByRole("checkbox", { name: "Show message text in notifications" }).uncheck();
  await expect.poll(() => query<{ value: string }>(`SELECT "value" FROM "Setting" WHERE "key" = 'pushShowText'`)[0]?.value).toBe("false");
  await section.scrollIntoViewIfNeeded();
  await shot(page, "push-settings-desktop");
  await expectAccessible(page, "settings with notifications");

  // A push delivered to the worker by Chromium (DevTools' ServiceWorker.deliverPushMessage: the
  // decrypted payload, as after the push service) shows a notification for the conversation.
  const cdp = await context.newCDPSession(page);
  const id = await registrationId(cdp);
  await cdp.send("ServiceWorker.deliverPushMessage", { origin: alice.url, registrationId: id, data: JSON.stringify(payload({ body: "New message from Bob" })) });
  await expect.poll(() => shownNotifications(page).then((n) => n.length)).toBe(1);
  // The next message of the same conversation replaces it instead of stacking up (a full URL on this origin is as good as a path).
  await cdp.send("ServiceWorker.deliverPushMessage", {
    origin: alice.url,
    registrationId: id,
    data: JSON.stringify(payload({ notification_id: 42, url: `${alice.url}/messages/${conversation}` })),
  });
  await expect.poll(() => shownNotifications(page).then((n) => n[0]?.body)).toBe("Are we still on for Friday?");
  const [shown] = await shownNotifications(page);
  expect(shown).toMatchObject({
    title: "New message from Bob",
    tag: `conversation-${conversation}`,
    icon: `${alice.url}/icons/icon-192.png`,
    badge: `${alice.url}/icons/badge-96.png`,
    data: { url: `/messages/${conversation}` },
  });
  expect(await shownNotifications(page)).toHaveLength(1);

  // A follower is its own notification; a URL to another site is never opened, and a push that is not JSON still says something.
  await cdp.send("ServiceWorker.deliverPushMessage", {
    origin: alice.url,
    registrationId: id,
    data: JSON.stringify({ notification_id: 43, notification_type: "follow", title: "Carol followed you", body: "", icon: "", url: "//attacker.example/phish" }),
  });
  await cdp.send("ServiceWorker.deliverPushMessage", { origin: alice.url, registrationId: id, data: "not json" });
  await expect.poll(() => shownNotifications(page).then((n) => n.length)).toBe(3);
  const all = await shownNotifications(page);
  expect(all.find((n) => n.title === "Carol followed you")).toMatchObject({ tag: "moiety-follow", data: { url: "/messages" }, body: "You have something new." });
  expect(all.find((n) => n.title === "Moiety")).toMatchObject({ tag: "moiety-notice", data: { url: "/messages" } });

  // Clicking it: Chromium has no DevTools command to click a notification, so the worker gets
  // the notificationclick event for the shown notification dispatched to it, and its own
  // listener runs: it closes the notification and takes the open Moiety window to the conversation.
  const worker = await serviceWorkerOf(context);
  await page.goto(`${alice.url}/people`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await worker.evaluate(async (tag) => {
    // Worker globals, which the page-side DOM types do not describe.
    type Scope = EventTarget & { registration: ServiceWorkerRegistration; NotificationEvent: new (type: string, init: { notification: Notification }) => Event };
    const sw = globalThis as unknown as Scope;
    const [notification] = await sw.registration.getNotifications({ tag });
    // The listener's waitUntil throws for an event the browser did not send itself; by then its work has begun.
    sw.addEventListener("error", (e: Event) => e.preventDefault());
    sw.dispatchEvent(new sw.NotificationEvent("notificationclick", { notification }));
  }, `conversation-${conversation}`);
  await expect(page).toHaveURL(`${alice.url}/messages/${conversation}`);
  await expect(page.getByText("Are we still on for Friday?").first()).toBeVisible();
  await expect.poll(() => shownNotifications(page).then((n) => n.filter((x) => x.tag === `conversation-${conversation}`).length)).toBe(0);

  // Remove: the row goes and this browser forgets its subscription.
  await page.goto(`${alice.url}/settings`);
  await section.getByRole("button", { name: "Stop notifying Chrome on Linux (this device)" }).click();
  await expect(section.getByText("No device is notified yet.")).toBeVisible();
  await expect(section.getByRole("button", { name: "Notify me on this device" })).toBeVisible();
  expect(query(`SELECT * FROM "PushSubscription"`)).toEqual([]);
  expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).pushManager.getSubscription())).toBeNull();
  await context.close();
});

test("Settings → Notifications at phone width and in the dark, and when notifications are blocked", async ({ browser }) => {
  for (const colorScheme of ["light", "dark"] as const) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme });
    const page = await context.newPage();
    await logIn(page, alice);
    await page.goto(`${alice.url}/settings`);
    const section = page.getByRole("region", { name: "Notifications" });
    await section.scrollIntoViewIfNeeded();
    await expect(section.getByRole("button", { name: "Notify me on this device" })).toBeVisible();
    await section.screenshot({ path: path.join(import.meta.dirname, "..", ".output", "screenshots", `push-settings-phone-${colorScheme}.png`) });
    if (colorScheme === "dark") await expectAccessible(page, "notifications, dark, phone");
    if (colorScheme === "light") {
      // Without the permission (nobody allowed it), asking gets a plain answer instead of silence.
      await section.getByRole("button", { name: "Notify me on this device" }).click();
      // Headless Chromium answers requestPermission() with "denied" at once.
      await expect(section.getByRole("status").filter({ hasText: "This device cannot be notified" })).toContainText(
        "Notifications are blocked for this site. Allow them in the browser's site settings",
      );
      await expect(section.getByRole("button", { name: "Notify me on this device" })).toHaveCount(0);
      await shot(page, "push-settings-phone-not-allowed");
    }
    await context.close();
  }
});
