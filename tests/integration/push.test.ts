import path from "node:path";
import Database from "better-sqlite3";
import { createRestAPIClient } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFetch, apiToken } from "../helpers/api-token";
import { Client } from "../helpers/http";
import { eventually, PASSWORD, startInstance, type Instance } from "../helpers/instances";
import { startPushService, type Device, type PushService } from "../helpers/push-service";

// Web Push end to end (issue 14): Mastodon apps subscribe through the push API
// with their tokens (JSON, and Ice Cubes' query string), a browser
// subscription of the owner's sits next to them, and bob on a second instance
// writes to alice. A push service on loopback, written in
// tests/helpers/push-service.ts, checks every POST's VAPID JWT against
// alice's public key and decrypts it as the phone would (aesgcm and aes128gcm).

/** The owner's logged-in browser session (it made the browser subscription). */
let ownerSession: Client | undefined;
let alice: Instance;
let bob: Instance;
let service: PushService;
let serverKey = "";

let tokenA: string; // JSON subscription, legacy aesgcm
let tokenB: string; // query-string subscription, standard aes128gcm
let devA: Device;
let devB: Device;
let devW: Device; // the owner's browser (no token), standard
let conversationId = "";

function sql<T = Record<string, unknown>>(instance: Instance, query: string, ...args: unknown[]): T[] {
  const db = new Database(path.join(instance.dataDir, "moiety.db"));
  try {
    const statement = db.prepare(query);
    return (statement.reader ? statement.all(...args) : (statement.run(...args), [])) as T[];
  } finally {
    db.close();
  }
}

/** Every queued push handled (sent, dropped or given up). */
async function pushesSettled() {
  await eventually(async () => sql<{ n: number }>(alice, `SELECT count(*) AS n FROM "PushDelivery"`)[0].n === 0, "the push queue to empty");
}

/** bob writes to alice; resolves with the message's id on bob's side. */
async function bobWrites(text: string): Promise<string> {
  const sent = await bob.json<{ messageId: string }>(["dm", "send", alice.actor, "--text", text]);
  return sent.messageId;
}

const delivered = (d: Device) => d.pushes.filter((p) => p.status === 201);

/** An app token with its client credentials (for /oauth/revoke), the way an app logs in. */
async function appLogin(name: string): Promise<{ token: string; clientId: string; clientSecret: string }> {
  const redirect = "urn:ietf:wg:oauth:2.0:oob";
  const scopes = "read write follow push";
  const app = await (
    await fetch(`${alice.url}/api/v1/apps`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_name: name, redirect_uris: redirect, scopes }) })
  ).json();
  const owner = new Client(alice.url);
  expect((await owner.login(alice.username, PASSWORD)).ok).toBe(true);
  const query = { client_id: app.client_id, redirect_uri: redirect, response_type: "code", scope: scopes };
  const approved = await owner.action(`/oauth/authorize?${new URLSearchParams(query)}`, "approveAuthorization", [query]);
  const code = new URL((approved.result as { value: string }).value, alice.url).searchParams.get("code");
  const token = await (
    await fetch(`${alice.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "authorization_code", client_id: app.client_id, client_secret: app.client_secret, redirect_uri: redirect, code }),
    })
  ).json();
  return { token: token.access_token, clientId: app.client_id, clientSecret: app.client_secret };
}

function subscribeJson(d: Device, extra: Record<string, unknown> = {}) {
  return { subscription: { endpoint: d.endpoint, keys: { p256dh: d.p256dh, auth: d.auth } }, data: { alerts: { mention: true, follow: true, follow_request: true } }, policy: "all", ...extra };
}

function subscribeQuery(d: Device, standard: boolean): string {
  const q = new URLSearchParams({
    "subscription[endpoint]": d.endpoint,
    "subscription[keys][p256dh]": d.p256dh,
    "subscription[keys][auth]": d.auth,
    "subscription[standard]": String(standard),
    "data[alerts][mention]": "true",
    "data[alerts][follow]": "true",
    "data[policy]": "all",
  });
  return `/api/v1/push/subscription?${q}`;
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
  service = await startPushService(() => serverKey);
  [tokenA, tokenB] = await Promise.all([apiToken(alice), apiToken(alice)]);
  devA = service.device("a");
  devB = service.device("b");
  devW = service.device("w");
});
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop(), service?.close()]);
});

describe("Mastodon push API", () => {
  it("gives the VAPID key; creates, shows, changes and deletes a token's subscription; refuses bad ones", async () => {
    const instance = await (await fetch(`${alice.url}/api/v2/instance`)).json();
    serverKey = instance.configuration.vapid.public_key;
    expect(Buffer.from(serverKey, "base64url")).toHaveLength(65);
    const app = await (await fetch(`${alice.url}/api/v1/apps`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_name: "x", redirect_uris: "urn:ietf:wg:oauth:2.0:oob" }) })).json();
    expect(app.vapid_key).toBe(serverKey);

    const a = apiFetch(alice, tokenA);
    const none = await a("/api/v1/push/subscription");
    expect(none.status).toBe(404);
    expect(none.json).toEqual({ error: "Record not found" });
    expect((await a("/api/v1/push/subscription", { method: "PUT", body: { policy: "all" } })).status).toBe(404);

    const created = await a("/api/v1/push/subscription", { method: "POST", body: subscribeJson(devA) });
    expect(created.status).toBe(200);
    expect(typeof created.json.id).toBe("number");
    expect(created.json).toMatchObject({ endpoint: devA.endpoint, standard: false, policy: "all", server_key: serverKey });
    expect(created.json.alerts).toMatchObject({ mention: true, follow: true, follow_request: true, favourite: false, reblog: false, poll: false, status: false, update: false });
    expect((await a("/api/v1/push/subscription")).json).toEqual(created.json);

    // Ice Cubes: everything in the query string, no body.
    const b = apiFetch(alice, tokenB);
    const byQuery = await b(subscribeQuery(devB, true), { method: "POST" });
    expect(byQuery.status).toBe(200);
    expect(byQuery.json).toMatchObject({ endpoint: devB.endpoint, standard: true, policy: "all", alerts: { mention: true, follow: true, follow_request: false } });

    // PUT as a form, policy under data; then back.
    const changed = await a("/api/v1/push/subscription", {
      method: "PUT",
      body: "data[alerts][mention]=true&data[alerts][follow]=false&data[policy]=followed",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ id: created.json.id, policy: "followed", alerts: { mention: true, follow: false } });
    const back = await a("/api/v1/push/subscription", { method: "PUT", body: { data: { alerts: { mention: true, follow: true, follow_request: true } }, policy: "all" } });
    expect(back.json).toMatchObject({ policy: "all", alerts: { mention: true, follow: true } });

    // Refusals, in plain words.
    const bad = async (body: unknown) => a("/api/v1/push/subscription", { method: "POST", body });
    const badKey = await bad(subscribeJson({ ...devA, p256dh: Buffer.alloc(65, 1).toString("base64url") }));
    expect(badKey.status).toBe(422);
    expect(badKey.json.error).toMatch(/p256dh/);
    const offCurve = await bad(subscribeJson({ ...devA, p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString("base64url") }));
    expect(offCurve.status).toBe(422);
    expect(offCurve.json.error).toBe("The p256dh key is not a point on the P-256 curve.");
    const shortAuth = await bad({ subscription: { endpoint: devA.endpoint, keys: { p256dh: devA.p256dh, auth: Buffer.alloc(15).toString("base64url") } } });
    expect(shortAuth.status).toBe(422);
    expect(shortAuth.json.error).toBe("The auth secret must be 16 bytes.");
    expect((await bad(subscribeJson({ ...devA, endpoint: "ftp://127.0.0.1/x" }))).json.error).toMatch(/https/);
    expect((await bad(subscribeJson(devA, { policy: "sometimes" }))).status).toBe(422);
    expect((await bad({ subscription: { endpoint: devA.endpoint } })).status).toBe(400);
    // The failed attempts left the subscription as it was.
    expect((await a("/api/v1/push/subscription")).json).toMatchObject({ id: created.json.id, endpoint: devA.endpoint });

    expect((await apiFetch(alice, null)("/api/v1/push/subscription")).status).toBe(401);
    const readOnly = apiFetch(alice, await apiToken(alice, "read"));
    expect((await readOnly("/api/v1/push/subscription")).status).toBe(403);
    expect((await readOnly("/api/v1/push/subscription", { method: "POST", body: subscribeJson(service.device("ro")) })).status).toBe(403);

    // DELETE, then subscribe again (a new one replaces the old).
    expect((await a("/api/v1/push/subscription", { method: "DELETE" })).json).toEqual({});
    expect((await a("/api/v1/push/subscription")).status).toBe(404);
    expect((await a("/api/v1/push/subscription", { method: "POST", body: subscribeJson(devA) })).status).toBe(200);

    // masto.js (Elk, Phanpy) round trip: camelCase in, snake_case on the wire, serverKey back.
    const masto = createRestAPIClient({ url: alice.url, accessToken: await apiToken(alice) });
    const devM = service.device("masto");
    const made = await masto.v1.push.subscription.create({
      subscription: { endpoint: devM.endpoint, keys: { p256dh: devM.p256dh, auth: devM.auth } },
      data: { alerts: { mention: true, follow: true, admin: { signUp: true, report: false } } },
      policy: "all",
    });
    expect(made).toMatchObject({ endpoint: devM.endpoint, serverKey, policy: "all", alerts: { mention: true, follow: true, favourite: false } });
    expect((await masto.v1.push.subscription.fetch()).id).toBe(made.id);
    expect((await masto.v1.push.subscription.update({ data: { alerts: { mention: false } } })).alerts.mention).toBe(false);
    await masto.v1.push.subscription.remove();
    await expect(masto.v1.push.subscription.fetch()).rejects.toThrow(/Record not found/);

    // The token is kept only encrypted next to the subscription.
    const rows = sql<{ tokenCipher: string }>(alice, `SELECT "tokenCipher" FROM "PushSubscription"`);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.tokenCipher).toMatch(/^v1\./);
      expect(r.tokenCipher).not.toContain(tokenA);
      expect(r.tokenCipher).not.toContain(tokenB);
    }

    // The owner's browser, through Settings → Notifications with the owner's session:
    // DMs and followers, but no message requests.
    const owner = new Client(alice.url);
    expect((await owner.login(alice.username, PASSWORD)).ok).toBe(true);
    const saved = await owner.action("/settings", "subscribePushAction", [
      { endpoint: devW.endpoint, p256dh: devW.p256dh, auth: devW.auth, choices: { mention: true, request: false, follow: true } },
    ]);
    expect(saved.result).toMatchObject({ ok: true });
    ownerSession = owner;
  });
});

describe("sending pushes", () => {
  it("a DM from bob → exactly one push per subscription, aesgcm and aes128gcm, naming bob without the text", async () => {
    const started = Date.now();
    await bobWrites("lunch at noon? (first)");
    await eventually(async () => delivered(devA).length === 1 && delivered(devB).length === 1, "a push to each app");
    const latency = Date.now() - started;
    await pushesSettled();
    expect(devA.pushes).toHaveLength(1);
    expect(devB.pushes).toHaveLength(1);
    // bob is a stranger, so this is a message request, which the browser asked not to hear about.
    expect(devW.pushes).toHaveLength(0);
    expect(service.problems).toEqual([]);

    const notifications = await apiFetch(alice, tokenA)("/api/v1/notifications");
    const mention = notifications.json[0];
    expect(mention.type).toBe("mention");

    const [a] = devA.pushes;
    expect(a.encoding).toBe("aesgcm");
    expect(a.headers.authorization).toMatch(/^WebPush /);
    expect(a.headers.ttl).toBe(String(48 * 3600));
    expect(a.headers.urgency).toBe("high");
    expect(a.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(a.jwt.aud).toBe(service.url);
    expect(a.payload).toMatchObject({
      access_token: tokenA,
      preferred_locale: "en",
      notification_id: Number(mention.id),
      notification_type: "mention",
      title: "Message request from Bob",
      body: "Open Moiety to read it.",
    });
    expect(typeof a.payload.notification_id).toBe("number");
    expect(a.payload.icon).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(a.payload.url).toBeUndefined();
    expect(JSON.stringify(a.payload)).not.toContain("lunch");

    const [b] = devB.pushes;
    expect(b.encoding).toBe("aes128gcm");
    expect(b.headers.authorization).toMatch(/^vapid t=/);
    expect(b.headers.topic).toBe(a.headers.topic);
    expect(b.payload).toMatchObject({ access_token: tokenB, notification_id: Number(mention.id), title: "Message request from Bob" });
    // From the DM being stored at alice's (its notification's time) to the push service: the
    // inbox's pushes are queued with it and sent by the worker, which the inbox wakes.
    const stored = new Date(mention.created_at).getTime();
    const afterStore = Math.max(a.at, b.at) - stored;
    expect(afterStore).toBeLessThan(5000);
    console.log(`push: DM sent by bob's CLI → both pushes received in ${latency} ms; ${afterStore} ms after alice's server stored it`);
  });

  it("alice's own messages push nothing; bob's next DM reaches the browser too, with where to go", async () => {
    const mine = await alice.json<{ conversationId: string }>(["dm", "send", bob.actor, "--text", "yes, noon (from alice)"]);
    conversationId = mine.conversationId;
    // The sentinel: bob's answer arrives after alice's message was stored and sent.
    await eventually(async () => sql(bob, `SELECT 1 FROM "Message" WHERE "text" LIKE '%from alice%'`).length === 1, "alice's message at bob's");
    await bobWrites("see you there (second)");
    await eventually(async () => delivered(devA).length === 2 && delivered(devB).length === 2 && delivered(devW).length === 1, "the second pushes");
    await pushesSettled();
    expect([devA, devB, devW].map((d) => d.pushes.length)).toEqual([2, 2, 1]);
    expect(sql(alice, `SELECT 1 FROM "Notification"`)).toHaveLength(2); // bob's two DMs, nothing for alice's

    const [w] = devW.pushes;
    expect(w.encoding).toBe("aes128gcm");
    expect(w.payload).toMatchObject({
      access_token: null,
      notification_type: "mention",
      title: "New message from Bob",
      body: "Open Moiety to read it.",
      url: `/messages/${conversationId}`,
      conversation_id: conversationId,
    });
    expect(devA.pushes[1].payload.title).toBe("New message from Bob"); // alice wrote back: no longer a request
    expect(service.problems).toEqual([]);
  });

  it("with “show message text” on, the push carries the text", async () => {
    // The owner turns it on in Settings → Notifications.
    expect((await ownerSession!.action("/settings", "setPushShowTextAction", [true])).result).toEqual({ ok: true });
    await bobWrites("the text shows now (third)");
    await eventually(async () => delivered(devA).length === 3 && delivered(devB).length === 3 && delivered(devW).length === 2, "the third pushes");
    for (const d of [devA, devB, devW]) expect(d.pushes.at(-1)!.payload.body).toBe("the text shows now (third)");
  });

  it("429 with Retry-After: 1 → tried again after a second and delivered once; 410 → the subscription is removed", async () => {
    devA.answers.push({ status: 429, headers: { "retry-after": "1" } });
    devB.answers.push({ status: 410 });
    await bobWrites("busy push services (fourth)");
    await eventually(async () => delivered(devA).length === 4, "the retried push");
    await eventually(async () => (await apiFetch(alice, tokenB)("/api/v1/push/subscription")).status === 404, "B's subscription to go");
    await pushesSettled();
    const [limited, retried] = devA.pushes.slice(-2);
    expect(limited.status).toBe(429);
    expect(retried.status).toBe(201);
    expect(retried.payload.notification_id).toBe(limited.payload.notification_id);
    expect(retried.at - limited.at).toBeGreaterThanOrEqual(900);
    expect(devA.pushes).toHaveLength(5); // 3 + the 429 + the retry
    expect(devB.pushes.at(-1)!.status).toBe(410);
    expect(devB.pushes).toHaveLength(4);
    expect(sql(alice, `SELECT 1 FROM "PushSubscription" WHERE "endpoint" = ?`, devB.endpoint)).toHaveLength(0);
    console.log(`push: 429 Retry-After 1 → retried after ${retried.at - limited.at} ms`);

    // Nothing more goes to B.
    await bobWrites("after the 410 (fifth)");
    await eventually(async () => delivered(devA).length === 5, "the fifth push");
    await pushesSettled();
    expect(devB.pushes).toHaveLength(4);
  });

  it("a push service that never answers delays neither the inbox nor other devices; that push is retried after the 10 s timeout", async () => {
    devA.answers.push({ status: 0 }); // hold the request open, answer nothing
    await bobWrites("a hanging push service (hang)");
    const toW = await eventually(async () => delivered(devW).find((p) => p.payload.body === "a hanging push service (hang)"), "the browser's push");
    const mention = (await apiFetch(alice, tokenA)("/api/v1/notifications?limit=1")).json[0];
    expect(mention.status.content).toContain("a hanging push service");
    const wAfterStore = toW.at - new Date(mention.created_at).getTime();
    expect(wAfterStore).toBeLessThan(5000);
    const toA = await eventually(async () => delivered(devA).find((p) => p.payload.body === "a hanging push service (hang)"), "A's push, retried", 60_000);
    const hung = devA.pushes.find((p) => p.status === 0)!;
    expect(hung.payload.notification_id).toBe(toA.payload.notification_id);
    expect(toA.at - hung.at).toBeGreaterThanOrEqual(10_000);
    console.log(`push: with A's push service hanging, the browser's push arrived ${wAfterStore} ms after the DM was stored; A's retry came ${toA.at - hung.at} ms after the hung attempt`);
    await pushesSettled();
  });

  it("a blocked sender gets no push through; after unblocking, one push", async () => {
    expect((await alice.cli(["block", bob.actor])).code).toBe(0);
    const blockedId = await bobWrites("while blocked (sixth)");
    // bob's server gave up: alice's inbox refused it.
    await eventually(async () => sql<{ state: string }>(bob, `SELECT "state" FROM "Delivery" WHERE "messageId" = ?`, blockedId)[0]?.state === "failed", "the refused delivery");
    expect((await alice.cli(["unblock", bob.actor])).code).toBe(0);
    await bobWrites("after unblocking (seventh)");
    await eventually(async () => delivered(devA).length === 7 && delivered(devW).length === 6, "the push after unblocking");
    await pushesSettled();
    const bodies = devA.pushes.map((p) => p.payload.body);
    expect(bodies.filter((b) => b.includes("sixth"))).toEqual([]);
    expect(bodies.at(-1)).toBe("after unblocking (seventh)");
    expect(devW.pushes.map((p) => p.payload.body).filter((b) => b.includes("sixth"))).toEqual([]);
  });

  it("policy: `followed` skips bob, whom alice does not follow; `follower` lets him through once he follows; the follow is pushed", async () => {
    const a = apiFetch(alice, tokenA);
    expect((await a("/api/v1/push/subscription", { method: "PUT", body: { policy: "followed" } })).json.policy).toBe("followed");
    await bobWrites("policy followed (eighth)");
    await eventually(async () => delivered(devW).length === 7, "the browser's push");
    await pushesSettled();
    expect(devA.pushes.map((p) => p.payload.body)).not.toContain("policy followed (eighth)");

    expect((await a("/api/v1/push/subscription", { method: "PUT", body: { data: { policy: "follower" } } })).json.policy).toBe("follower");
    expect((await bob.cli(["follow", alice.actor])).code).toBe(0);
    const follow = await eventually(async () => delivered(devA).find((p) => p.payload.notification_type === "follow"), "the follow push");
    expect(follow.payload.title).toBe("Bob followed you");
    expect(follow.headers.urgency).toBe("normal");
    expect(follow.headers.topic).toBeUndefined();
    await eventually(async () => delivered(devW).some((p) => p.payload.notification_type === "follow" && p.payload.url === "/people"), "the browser's follow push");
    await bobWrites("policy follower (ninth)");
    await eventually(async () => delivered(devA).some((p) => p.payload.body === "policy follower (ninth)"), "the follower's DM pushed");
    expect((await a("/api/v1/push/subscription", { method: "PUT", body: { policy: "all" } })).json.policy).toBe("all");
    await pushesSettled();
  });

  it("a revoked token's subscription is removed, whether the app logs out or the owner revokes it", async () => {
    const devC = service.device("c");
    const devD = service.device("d");
    const personal = await alice.json<{ id: number; token: string }>(["token", "create", "--name", "phone", "--scopes", "read write follow push"]);
    const app = await appLogin("Revoked app");
    expect((await apiFetch(alice, personal.token)("/api/v1/push/subscription", { method: "POST", body: subscribeJson(devC) })).status).toBe(200);
    expect((await apiFetch(alice, app.token)("/api/v1/push/subscription", { method: "POST", body: subscribeJson(devD) })).status).toBe(200);

    expect((await alice.cli(["token", "revoke", String(personal.id)])).code).toBe(0);
    const revoked = await fetch(`${alice.url}/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret, token: app.token }),
    });
    expect(revoked.status).toBe(200);
    expect(sql(alice, `SELECT 1 FROM "PushSubscription" WHERE "endpoint" IN (?, ?)`, devC.endpoint, devD.endpoint)).toHaveLength(0);

    const before = delivered(devA).length;
    await bobWrites("after the revocations (tenth)");
    await eventually(async () => delivered(devA).length === before + 1, "A's push");
    await pushesSettled();
    expect(devC.pushes).toHaveLength(0);
    expect(devD.pushes).toHaveLength(0);
    expect(service.problems).toEqual([]);
  });
});
