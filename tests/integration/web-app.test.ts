import Database from "better-sqlite3";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { PASSWORD, startInstance, type Instance } from "../helpers/instances";

// The installable web app as a stranger and as the owner see it over real
// HTTP: the manifest, icons, offline page and service worker are public (an
// installing browser fetches them without cookies), and the Settings →
// Notifications actions refuse anyone without the owner's session.

let alice: Instance;

beforeAll(async () => {
  alice = await startInstance("alice");
});
afterAll(async () => {
  await alice?.stop();
});

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(alice.dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const pushRows = () => query<{ id: number; endpoint: string; standard: number; alerts: string; sessionId: string | null; deviceName: string }>(`SELECT * FROM "PushSubscription"`);
const showTextSetting = () => query<{ value: string }>(`SELECT "value" FROM "Setting" WHERE "key" = 'pushShowText'`)[0]?.value ?? null;

/** What a browser's PushManager hands over: an endpoint, its P-256 public key and a 16-byte auth secret. */
function browserSubscription(endpoint: string) {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const jwk = publicKey.export({ format: "jwk" });
  const p256dh = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]).toString("base64url");
  return { endpoint, p256dh, auth: randomBytes(16).toString("base64url") };
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(body: Buffer): { width: number; height: number } {
  expect(body.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: body.readUInt32BE(16), height: body.readUInt32BE(20) };
}

async function getBytes(pathname: string): Promise<{ status: number; type: string; body: Buffer }> {
  const res = await fetch(alice.url + pathname);
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: Buffer.from(await res.arrayBuffer()) };
}

const CHOICES = { mention: true, request: false, follow: true };

describe("installable web app", () => {
  it("has its push (VAPID) key from setup on, before anything asked for it", () => {
    // startInstance ran `moiety setup`; no request has been made yet.
    const rows = query<{ publicJwk: string }>(`SELECT "publicJwk" FROM "KeyPair" WHERE "actor" = 'push.vapid'`);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].publicJwk)).toMatchObject({ kty: "EC", crv: "P-256" });
  });

  it("serves the manifest, its icons, the offline page and the service worker to anyone", async () => {
    const stranger = new Client(alice.url);
    const manifest = await stranger.get("/manifest.webmanifest");
    expect(manifest.status).toBe(200);
    expect(manifest.headers["content-type"]).toMatch(/^application\/manifest\+json/);
    const m = JSON.parse(manifest.body);
    expect(m).toMatchObject({ name: "Moiety", short_name: "Moiety", start_url: "/messages", scope: "/", display: "standalone", theme_color: "#fafaf9", background_color: "#fafaf9" });
    const purposes = m.icons.map((i: { sizes: string; purpose: string }) => `${i.sizes} ${i.purpose}`);
    expect(purposes).toEqual(expect.arrayContaining(["192x192 any", "512x512 any", "512x512 maskable"]));
    for (const icon of m.icons as { src: string; sizes: string; type: string }[]) {
      const got = await getBytes(icon.src);
      expect([icon.src, got.status, got.type]).toEqual([icon.src, 200, "image/png"]);
      const [w, h] = icon.sizes.split("x").map(Number);
      expect(pngSize(got.body)).toEqual({ width: w, height: h });
    }

    // Every page names the manifest and the iOS icon and meta tags, the login page included.
    const login = await stranger.get("/login");
    expect(login.body).toContain('<link rel="manifest" href="/manifest.webmanifest"');
    expect(login.body).toMatch(/<meta name="apple-mobile-web-app-capable" content="yes"/);
    expect(login.body).toMatch(/<meta name="apple-mobile-web-app-title" content="Moiety"/);
    expect(login.body).toMatch(/<meta name="apple-mobile-web-app-status-bar-style" content="default"/);
    const touchIcon = /<link rel="apple-touch-icon"[^>]*? href="([^"]+)"/.exec(login.body)?.[1];
    expect(touchIcon).toBeTruthy();
    const apple = await getBytes(touchIcon!.replace(/&amp;/g, "&"));
    expect([apple.status, apple.type]).toEqual([200, "image/png"]);
    expect(pngSize(apple.body)).toEqual({ width: 180, height: 180 });
    // Pages may start a worker only from this origin.
    expect(login.headers["content-security-policy"]).toContain("worker-src 'self'");

    const offline = await stranger.get("/offline.html");
    expect(offline.status).toBe(200);
    expect(offline.headers["content-type"]).toMatch(/^text\/html/);
    expect(offline.body).toContain("You are offline");

    const sw = await stranger.get("/sw.js");
    expect(sw.status).toBe(200);
    expect(sw.headers["content-type"]).toMatch(/^(application|text)\/javascript/);
    // Browsers look for a new worker at every navigation at most once a day; no-cache makes each look ask us.
    expect(sw.headers["cache-control"]).toBe("no-cache");
    expect(sw.headers["service-worker-allowed"]).toBe("/");
    expect(sw.body).toContain('addEventListener("push"');
    expect(sw.body).toContain('addEventListener("notificationclick"');
  });
});

describe("Settings → Notifications actions", () => {
  it("refuse without the owner's session and change nothing", async () => {
    const stranger = new Client(alice.url);
    const attempts: [string, unknown[]][] = [
      ["subscribePushAction", [{ ...browserSubscription("https://push.test/stranger"), choices: CHOICES }]],
      ["setPushAlertsAction", [1, CHOICES]],
      ["removePushSubscriptionAction", [1]],
      ["setPushShowTextAction", [true]],
    ];
    for (const [name, args] of attempts) {
      const res = await stranger.action("/settings", name, args);
      // requireOwner sends a caller without a session to the login page; the action never ran.
      expect([name, res.redirect, res.result]).toEqual([name, "/login", null]);
    }
    expect(pushRows()).toEqual([]);
    expect(showTextSetting()).toBeNull();
  });

  it("save this browser for its session, and forget it when that session ends", async () => {
    const owner = new Client(alice.url);
    owner.headers["user-agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
    expect((await owner.login("alice", PASSWORD)).ok).toBe(true);
    const sub = browserSubscription("https://push.test/owner-laptop");

    // Bad keys get the plain reason, and nothing is saved.
    const bad = await owner.action("/settings", "subscribePushAction", [{ ...sub, p256dh: "AAAA", choices: CHOICES }]);
    expect(bad.result).toEqual({ ok: false, error: "The p256dh key is not an uncompressed P-256 public key (65 bytes)." });
    const noChoices = await owner.action("/settings", "subscribePushAction", [{ ...sub, choices: "all" }]);
    expect(noChoices.result).toEqual({ ok: false, error: "Choose what to be told about." });
    expect(pushRows()).toEqual([]);

    const saved = await owner.action("/settings", "subscribePushAction", [{ ...sub, choices: CHOICES }]);
    expect(saved.result).toMatchObject({ ok: true, value: expect.any(Number) });
    const [row] = pushRows();
    expect(row).toMatchObject({ endpoint: sub.endpoint, standard: 1, deviceName: "Firefox on Linux", sessionId: expect.any(String) });
    // The sender reads these keys (follow_request goes with follow).
    expect(JSON.parse(row.alerts)).toEqual({ mention: true, request: false, follow: true, follow_request: true });

    expect((await owner.action("/settings", "setPushAlertsAction", [row.id, { mention: false, request: true, follow: false }])).result).toEqual({ ok: true });
    expect(JSON.parse(pushRows()[0].alerts)).toEqual({ mention: false, request: true, follow: false, follow_request: false });
    expect((await owner.action("/settings", "setPushShowTextAction", [true])).result).toEqual({ ok: true });
    expect(showTextSetting()).toBe("true");
    expect((await owner.action("/settings", "setPushShowTextAction", ["yes"])).result).toEqual({ ok: false, error: "Invalid value." });

    // Subscribing again (same endpoint) updates the one row.
    expect((await owner.action("/settings", "subscribePushAction", [{ ...sub, choices: CHOICES }])).result).toMatchObject({ ok: true, value: row.id });
    expect(pushRows()).toHaveLength(1);

    // Log out: that browser is told nothing more.
    const csrf = JSON.parse((await owner.get("/api/auth/csrf")).body).csrfToken as string;
    const out = await owner.request("POST", "/api/auth/signout", {
      headers: { "content-type": "application/x-www-form-urlencoded", origin: alice.url },
      body: new URLSearchParams({ csrfToken: csrf, json: "true" }).toString(),
    });
    expect(out.status).toBe(200);
    expect(pushRows()).toEqual([]);

    // Remove: only what exists, and an id that is no number is refused in words.
    const again = new Client(alice.url);
    expect((await again.login("alice", PASSWORD)).ok).toBe(true);
    const second = await again.action("/settings", "subscribePushAction", [{ ...browserSubscription("https://push.test/phone"), choices: CHOICES }]);
    const id = (second.result as { value: number }).value;
    expect((await again.action("/settings", "removePushSubscriptionAction", ["1; DROP TABLE"])).result).toEqual({ ok: false, error: "No device was named." });
    expect((await again.action("/settings", "removePushSubscriptionAction", [id])).result).toEqual({ ok: true });
    expect((await again.action("/settings", "removePushSubscriptionAction", [id])).result).toEqual({ ok: false, error: "That device was not subscribed any more." });
    expect(pushRows()).toEqual([]);

    // A password change ends every session, and with them every browser's notifications.
    await again.action("/settings", "subscribePushAction", [{ ...browserSubscription("https://push.test/tablet"), choices: CHOICES }]);
    expect(pushRows()).toHaveLength(1);
    const changed = await again.action("/settings", "changePasswordAction", [{ currentPassword: PASSWORD, newPassword: "another long password", confirmPassword: "another long password" }]);
    expect(changed.result).toEqual({ ok: true });
    expect(pushRows()).toEqual([]);
  });
});
