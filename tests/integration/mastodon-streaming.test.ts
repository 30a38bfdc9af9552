import { createStreamingAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { apiFetch, apiToken } from "../helpers/api-token";
import { Client } from "../helpers/http";
import { PASSWORD, eventually, startInstance, type Instance } from "../helpers/instances";

// The streaming API against two real instances: bob writes to alice over real
// federation, and alice's WebSocket clients (masto.js 7, which sends the token
// as the subprotocol and subscribes by message, and a plain `ws` client with
// the token and stream in the query, as Tokodon and Pinafore connect) get the
// DM, its notification, the conversation, bob's edit and his delete.

let alice: Instance;
let bob: Instance;
let token: string;

beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
  token = await apiToken(alice);
});
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
});

const wsUrl = () => alice.url.replace(/^http/, "ws");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Frame = { stream: string[]; event: string; payload: string };

/** A plain `ws` client that records every frame, and how it closed. */
function plainClient(url: string, protocols?: string[]) {
  const ws = new WebSocket(url, protocols);
  const frames: Frame[] = [];
  let closed: { code: number; reason: string; at: number } | null = null;
  ws.on("message", (data) => frames.push(JSON.parse(data.toString())));
  ws.on("close", (code, reason) => (closed = { code, reason: reason.toString(), at: Date.now() }));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, frames, opened, closed: () => closed };
}

/** What an upgrade that is refused answers: its status and JSON body. */
function refused(url: string, protocols?: string[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.on("open", () => reject(new Error("the upgrade was accepted")));
    ws.on("error", () => undefined);
  });
}

/** Collect a masto.js subscription's events in the background. */
function collect(subscription: mastodon.streaming.Subscription) {
  const events: mastodon.streaming.Event[] = [];
  void (async () => {
    try {
      for await (const e of subscription) events.push(e);
    } catch {
      // closed
    }
  })();
  return events;
}

describe("Mastodon streaming", () => {
  it("health answers OK", async () => {
    const r = await fetch(`${alice.url}/api/v1/streaming/health`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await r.text()).toBe("OK");
  });

  it("serves the streams as Server-Sent Events too, with the token in the header or the query", async () => {
    const sse = await fetch(`${alice.url}/api/v1/streaming/user/notification?access_token=${token}`);
    expect(sse.status).toBe(200);
    expect(sse.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = sse.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^:/);
    await reader.cancel();
    const byHeader = await fetch(`${alice.url}/api/v1/streaming/direct`, { headers: { authorization: `Bearer ${token}` } });
    expect(byHeader.status).toBe(200);
    await byHeader.body!.cancel();
    const none = await fetch(`${alice.url}/api/v1/streaming/user`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ error: "Missing access token" });
    const unknown = await fetch(`${alice.url}/api/v1/streaming/public/local`, { headers: { authorization: `Bearer ${token}` } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "Unknown stream type" });
  });

  it("a bad or missing token is refused with 401 before the upgrade; the subprotocol is echoed", async () => {
    const bad = await refused(`${wsUrl()}/api/v1/streaming?access_token=nope&stream=user`);
    expect(bad).toEqual({ status: 401, body: { error: "Invalid access token" } });
    expect(await refused(`${wsUrl()}/api/v1/streaming`, ["nope"])).toEqual({ status: 401, body: { error: "Invalid access token" } });
    expect(await refused(`${wsUrl()}/api/v1/streaming?stream=user`)).toEqual({ status: 401, body: { error: "Missing access token" } });
    // A token without the notifications scope cannot open user:notification.
    const statusesOnly = await apiToken(alice, "read:statuses");
    expect((await refused(`${wsUrl()}/api/v1/streaming?access_token=${statusesOnly}&stream=user:notification`)).status).toBe(401);

    const c = plainClient(`${wsUrl()}/api/v1/streaming`, [token]);
    await c.opened;
    expect(c.ws.protocol).toBe(token);
    c.ws.close();
  });

  it("delivers bob's DM, edit and delete to masto.js and to a query-string client", async () => {
    const masto = createStreamingAPIClient({ streamingApiUrl: wsUrl(), accessToken: token, retry: false });
    const user = collect(masto.user.subscribe());
    const notifications = collect(masto.user.notification.subscribe());
    const direct = collect(masto.direct.subscribe());
    const plain = plainClient(`${wsUrl()}/api/v1/streaming?access_token=${token}&stream=user:notification`);
    await plain.opened;
    // The streams start at "now" once their subscription reaches the server.
    await sleep(2_000);

    const sent = await bob.json(["dm", "send", alice.actor, "--text", "hello over the stream"]);
    await eventually(async () => user.some((e) => e.event === "update") && user.some((e) => e.event === "notification"), "update and notification on user");
    const update = user.find((e) => e.event === "update") as mastodon.streaming.UpdateEvent;
    expect(update.stream).toEqual(["user"]);
    expect(update.payload.content).toContain("hello over the stream");
    expect(update.payload.visibility).toBe("direct");
    expect(update.payload.account.acct).toBe(`bob@${new URL(bob.url).host}`);
    const onUser = user.find((e) => e.event === "notification") as mastodon.streaming.NotificationEvent;
    expect(onUser.payload).toMatchObject({ type: "mention", status: { id: update.payload.id } });

    await eventually(async () => notifications.length > 0 && direct.length > 0, "user:notification and direct events");
    expect(notifications[0]).toMatchObject({ stream: ["user:notification"], event: "notification", payload: { id: onUser.payload.id, type: "mention" } });
    const conversation = direct[0] as mastodon.streaming.ConversationEvent;
    expect(conversation.stream).toEqual(["direct"]);
    expect(conversation.event).toBe("conversation");
    expect(conversation.payload.lastStatus?.id).toBe(update.payload.id);
    expect(conversation.payload.unread).toBe(true);

    await eventually(async () => plain.frames.length > 0, "the plain client's notification");
    expect(plain.frames[0].stream).toEqual(["user:notification"]);
    expect(plain.frames[0].event).toBe("notification");
    expect(typeof plain.frames[0].payload).toBe("string");
    expect(JSON.parse(plain.frames[0].payload)).toMatchObject({ id: onUser.payload.id, type: "mention", status: { content: expect.stringContaining("hello over the stream") } });

    // Bob edits, then deletes: status.update, then delete with the bare id.
    expect((await bob.cli(["dm", "edit", sent.messageId, "--text", "hello, edited"])).code).toBe(0);
    await eventually(async () => user.find((e) => e.event === "status.update"), "status.update");
    const edited = user.find((e) => e.event === "status.update") as mastodon.streaming.StatusUpdateEvent;
    expect(edited.payload.id).toBe(update.payload.id);
    expect(edited.payload.content).toContain("hello, edited");
    expect(edited.payload.editedAt).toBeTruthy();

    expect((await bob.cli(["dm", "delete", sent.messageId])).code).toBe(0);
    const deleted = await eventually(async () => user.find((e) => e.event === "delete") as mastodon.streaming.DeleteEvent | undefined, "delete");
    expect(deleted.payload).toBe(update.payload.id);

    // Each event went out once per subscription.
    expect(user.filter((e) => e.event === "update")).toHaveLength(1);
    expect(user.filter((e) => e.event === "notification")).toHaveLength(1);
    expect(notifications).toHaveLength(1);
    expect(plain.frames).toHaveLength(1);
    masto.close();
    plain.ws.close();
    await eventually(async () => plain.closed(), "the plain client to close");
    // The server counts a socket out when its close reaches it.
    await sleep(1_000);
  });

  it("one token holds at most 16 sockets; the 17th upgrade is refused until one closes", async () => {
    const sockets = Array.from({ length: 16 }, () => plainClient(`${wsUrl()}/api/v1/streaming?access_token=${token}`));
    await Promise.all(sockets.map((s) => s.opened));
    const over = await refused(`${wsUrl()}/api/v1/streaming?access_token=${token}`);
    expect(over.status).toBe(429);
    expect(over.body.error).toMatch(/16 streaming connections/);
    sockets[0].ws.close();
    await eventually(async () => sockets[0].closed(), "the first socket to close");
    await sleep(500);
    const again = plainClient(`${wsUrl()}/api/v1/streaming?access_token=${token}`);
    await again.opened;
    for (const s of [...sockets, again]) s.ws.close();
    await eventually(async () => [...sockets, again].every((s) => s.closed()), "every socket to close");
    await sleep(1_000);
  });

  it("a socket that subscribes and unsubscribes in a loop is closed", async () => {
    const own = await apiToken(alice);
    const c = plainClient(`${wsUrl()}/api/v1/streaming?access_token=${own}`);
    await c.opened;
    for (let i = 0; i < 70 && c.ws.readyState === WebSocket.OPEN; i++) {
      c.ws.send(JSON.stringify({ type: "subscribe", stream: "user" }));
      c.ws.send(JSON.stringify({ type: "unsubscribe", stream: "user" }));
    }
    const closed = await eventually(async () => c.closed(), "the flooding socket to close", 10_000);
    expect(closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/Too many subscribe messages/) });
  });

  it("revoking the token closes an open stream within seconds", async () => {
    const app = await registered(alice);
    const plain = plainClient(`${wsUrl()}/api/v1/streaming?access_token=${app.token}&stream=user`);
    await plain.opened;
    const revoked = await fetch(`${alice.url}/oauth/revoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: app.clientId, client_secret: app.clientSecret, token: app.token }),
    });
    expect(revoked.status).toBe(200);
    const at = Date.now();
    const closed = await eventually(async () => plain.closed(), "the stream to close", 10_000);
    expect(closed.code).toBe(1008);
    console.log(`revoked token: stream closed ${closed.at - at} ms after /oauth/revoke answered`);
    expect(closed.at - at).toBeLessThan(6_000);
    expect((await apiFetch(alice, app.token)("/api/v1/accounts/verify_credentials")).status).toBe(401);
    expect((await refused(`${wsUrl()}/api/v1/streaming?access_token=${app.token}&stream=user`)).status).toBe(401);
  });
});

/** An app and its token, keeping the client credentials that /oauth/revoke needs. */
async function registered(instance: Instance): Promise<{ token: string; clientId: string; clientSecret: string }> {
  const redirect = "urn:ietf:wg:oauth:2.0:oob";
  const scopes = "read";
  const app = await (
    await fetch(`${instance.url}/api/v1/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_name: "revoke test", redirect_uris: redirect, scopes }),
    })
  ).json();
  const owner = new Client(instance.url);
  if (!(await owner.login(instance.username, PASSWORD)).ok) throw new Error("owner login failed");
  const query = { client_id: app.client_id, redirect_uri: redirect, response_type: "code", scope: scopes };
  const approved = await owner.action(`/oauth/authorize?${new URLSearchParams(query)}`, "approveAuthorization", [query]);
  const code = new URL((approved.result as { value: string }).value, instance.url).searchParams.get("code");
  const answer = await fetch(`${instance.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "authorization_code", client_id: app.client_id, client_secret: app.client_secret, redirect_uri: redirect, code }),
  });
  return { token: ((await answer.json()) as { access_token: string }).access_token, clientId: app.client_id, clientSecret: app.client_secret };
}
