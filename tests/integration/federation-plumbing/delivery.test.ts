import { createPublicKey } from "node:crypto";
import type http from "node:http";
import { getDocumentLoader, verifyRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareDatabase, readBody, removeDir, sleep, startHttpServer, waitFor, type TestHttpServer } from "./helpers";

// The delivery worker against a real inbox on 127.0.0.1 that verifies each
// POST's HTTP signature with Fedify, fetching our key from the actor document
// this same server serves at MOIETY_ORIGIN (so keyId resolves here).

type Received = { path: string; at: number; keyId: string | null; signature: string; headers: http.IncomingHttpHeaders; body: string };

let dataDir: string;
let server: TestHttpServer;
let publicKeyPem = "";
const received: Received[] = [];
const counts = new Map<string, number>();

let delivery: typeof import("@/lib/federation/outbound/delivery");
let dbModule: typeof import("@/lib/db");
const db = () => dbModule.db();

const worker = new AbortController();
let workerDone: Promise<void>;
const events: { id: number; messageId: string | null; state: string }[] = [];

async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const body = await readBody(req);
  const origin = server.url;
  if (req.method === "GET" && req.url === "/users/alice") {
    res.writeHead(200, { "content-type": "application/activity+json" }).end(
      JSON.stringify({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        id: `${origin}/users/alice`,
        type: "Person",
        preferredUsername: "alice",
        inbox: `${origin}/users/alice/inbox`,
        publicKey: { id: `${origin}/users/alice#main-key`, owner: `${origin}/users/alice`, publicKeyPem },
      }),
    );
    return;
  }
  if (req.method !== "POST" || !req.url!.startsWith("/inbox/")) {
    res.writeHead(404).end();
    return;
  }
  // Verify as a receiving server would: the request exactly as it arrived.
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const request = new Request(`${origin}${req.url}`, { method: "POST", headers, body: new Uint8Array(body) });
  const key = await verifyRequest(request, { documentLoader: getDocumentLoader({ allowPrivateAddress: true }) });
  const scenario = req.url!.slice("/inbox/".length);
  received.push({ path: scenario, at: Date.now(), keyId: key?.id?.href ?? null, signature: String(req.headers.signature), headers: req.headers, body: body.toString() });
  if (!key) {
    res.writeHead(401, { "content-type": "application/json" }).end('{"error":"bad signature"}');
    return;
  }
  const n = (counts.get(scenario) ?? 0) + 1;
  counts.set(scenario, n);
  switch (scenario) {
    case "ok":
      res.writeHead(202).end();
      return;
    case "gone":
      res.writeHead(410, { "content-type": "text/plain" }).end("Gone\n  for good");
      return;
    case "flaky": // 500, then fine
    case "revived": // 410, then fine (for the retry button)
      if (n === 1) res.writeHead(scenario === "flaky" ? 500 : 410).end("not now");
      else res.writeHead(202).end();
      return;
    case "busy": // 429 asking for one second, then fine
      if (n === 1) res.writeHead(429, { "retry-after": "1" }).end();
      else res.writeHead(202).end();
      return;
    case "slow":
      await sleep(500);
      res.writeHead(202).end();
      return;
    default:
      res.writeHead(202).end();
  }
}

beforeAll(async () => {
  server = await startHttpServer((req, res) => void handle(req, res));
  dataDir = prepareDatabase({ MOIETY_ORIGIN: server.url, MOIETY_ALLOW_PRIVATE_ADDRESSES: "1" });
  dbModule = await import("@/lib/db");
  await dbModule.dbReady();
  const { createOwner } = await import("@/lib/domain/owner");
  await createOwner({ username: "alice", displayName: "Alice", password: "a long enough password", bio: "" });
  const key = await db().keyPair.findUniqueOrThrow({ where: { actor_algorithm: { actor: "owner", algorithm: "RSASSA-PKCS1-v1_5" } } });
  publicKeyPem = createPublicKey({ key: JSON.parse(key.publicJwk), format: "jwk" }).export({ type: "spki", format: "pem" }).toString();

  delivery = await import("@/lib/federation/outbound/delivery");
  delivery.deliveryEvents.on("updated", (e) => events.push(e));
  workerDone = delivery.startDeliveryWorker({ signal: worker.signal, concurrency: 2 });
});

afterAll(async () => {
  worker.abort();
  await workerDone;
  await server?.close();
  await dbModule?.db().$disconnect();
  removeDir(dataDir);
});

let seq = 0;
function activity(inboxPath: string) {
  const id = `${server.url}/activities/${++seq}`;
  const body = JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id,
    type: "Create",
    actor: `${server.url}/users/alice`,
    to: ["https://remote.example/users/bob"],
    object: { id: `${id}/note`, type: "Note", content: "<p>hi ✉️</p>" },
  });
  const inbox = inboxPath.includes("://") ? inboxPath : `${server.url}/inbox/${inboxPath}`;
  return { activityId: id, body, inbox, recipient: "https://remote.example/users/bob" };
}

const row = (activityId: string) => db().delivery.findFirstOrThrow({ where: { activityId } });
const settled = (activityId: string, state: string, timeoutMs = 5000) =>
  waitFor(async () => {
    const r = await row(activityId);
    return r.state === state && r.lockedUntil === null ? r : null;
  }, timeoutMs, `${activityId} to be ${state}`);

describe("delivery worker", () => {
  it("POSTs a signed activity that the inbox verifies, and records it delivered", async () => {
    const a = activity("ok");
    await delivery.enqueueDeliveries([a]);
    const r = await settled(a.activityId, "delivered");
    expect(r).toMatchObject({ attempts: 1, lastStatus: 202, lastError: null, recipient: a.recipient });

    const got = received.filter((x) => x.path === "ok");
    expect(got).toHaveLength(1);
    expect(got[0].keyId).toBe(`${server.url}/users/alice#main-key`);
    expect(got[0].body).toBe(a.body);
    expect(got[0].headers["content-type"]).toBe("application/activity+json");
    expect(got[0].headers.accept).toBe("application/activity+json");
    expect(got[0].headers.digest).toMatch(/^SHA-256=[A-Za-z0-9+/]+=*$/);
    expect(new Date(got[0].headers.date!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const signed = /headers="([^"]+)"/.exec(got[0].signature)![1].split(" ");
    expect(signed).toEqual(expect.arrayContaining(["(request-target)", "host", "date", "digest", "content-type"]));
    expect(got[0].signature).toContain('algorithm="rsa-sha256"');

    expect(events).toEqual(expect.arrayContaining([
      { id: r.id, messageId: null, state: "queued" },
      { id: r.id, messageId: null, state: "delivered" },
    ]));
  });

  it("ignores a second enqueue of the same activity to the same inbox", async () => {
    const a = activity("ok");
    await delivery.enqueueDeliveries([a, a]);
    await delivery.enqueueDeliveries([a]);
    await settled(a.activityId, "delivered");
    await sleep(300);
    expect(await db().delivery.count({ where: { activityId: a.activityId } })).toBe(1);
    expect(received.filter((x) => x.body === a.body)).toHaveLength(1);
  });

  it("fails for good on 410, keeping the status and what the server said", async () => {
    const a = activity("gone");
    await delivery.enqueueDeliveries([a]);
    const r = await settled(a.activityId, "failed");
    expect(r).toMatchObject({ attempts: 1, lastStatus: 410 });
    expect(r.lastError).toBe("HTTP 410: the inbox is gone — Gone for good");
    await sleep(700);
    expect(received.filter((x) => x.body === a.body)).toHaveLength(1); // never tried again
  });

  it("retries after a 500 with backoff, then delivers", async () => {
    const a = activity("flaky");
    await delivery.enqueueDeliveries([a]);
    const first = await waitFor(async () => {
      const r = await row(a.activityId);
      return r.lastStatus === 500 && r.lockedUntil === null ? r : null;
    });
    expect(first).toMatchObject({ state: "queued", attempts: 1 });
    const wait = first.nextAttemptAt.getTime() - first.updatedAt.getTime();
    expect(wait).toBeGreaterThanOrEqual(0.75 * 30_000 - 50);
    expect(wait).toBeLessThanOrEqual(30_000 + 50);
    expect(first.lastError).toContain("HTTP 500");

    // Let the clock "pass" the backoff instead of waiting 30 s.
    await db().delivery.update({ where: { id: first.id }, data: { nextAttemptAt: new Date() } });
    const done = await settled(a.activityId, "delivered");
    expect(done).toMatchObject({ attempts: 2, lastStatus: 202, lastError: null });
    expect(received.filter((x) => x.body === a.body)).toHaveLength(2);
  });

  it("honours Retry-After on 429", async () => {
    const a = activity("busy");
    await delivery.enqueueDeliveries([a]);
    const done = await settled(a.activityId, "delivered", 5000);
    expect(done.attempts).toBe(2);
    const tries = received.filter((x) => x.body === a.body);
    expect(tries).toHaveLength(2);
    const gap = tries[1].at - tries[0].at;
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(3000);
  });

  it("takes over a row whose worker died (lease expired), and leaves a live lease alone", async () => {
    const dead = activity("ok");
    const busy = activity("ok");
    const now = Date.now();
    await db().delivery.create({
      data: { ...dead, state: "queued", attempts: 1, nextAttemptAt: new Date(now - 60_000), lockedUntil: new Date(now - 1), createdAt: new Date(now - 60_000) },
    });
    await db().delivery.create({
      data: { ...busy, state: "queued", attempts: 1, nextAttemptAt: new Date(now - 60_000), lockedUntil: new Date(now + 60_000), createdAt: new Date(now - 60_000) },
    });
    const r = await settled(dead.activityId, "delivered");
    expect(r).toMatchObject({ attempts: 2, lastStatus: 202 });
    await sleep(700);
    expect(await row(busy.activityId)).toMatchObject({ state: "queued", attempts: 1 });
    expect(received.filter((x) => x.body === busy.body)).toHaveLength(0);
  });

  it("gives up on a delivery still failing two days after it was queued", async () => {
    // An inbox that refuses connections (retryable), queued 49 h ago and tried 16 times since.
    const closed = await startHttpServer(() => {});
    await closed.close();
    const a = activity(`${closed.url}/inbox`);
    const old = new Date(Date.now() - 49 * 60 * 60_000);
    await db().delivery.create({ data: { ...a, state: "queued", attempts: 16, nextAttemptAt: old, createdAt: old } });
    const r = await settled(a.activityId, "failed");
    expect(r.attempts).toBe(17);
    expect(r.lastStatus).toBeNull();
    expect(r.lastError).toMatch(/^gave up after 17 attempts over two days; last: .* refused the connection: its server may be down\./);
  });

  it("keeps retrying a refused connection, and fails a forbidden URL at once", async () => {
    const closed = await startHttpServer(() => {});
    await closed.close();
    const refused = activity(`${closed.url}/inbox`);
    const forbidden = activity("ftp://127.0.0.1/inbox");
    await delivery.enqueueDeliveries([refused, forbidden]);
    const f = await settled(forbidden.activityId, "failed");
    expect(f.lastError).toBe("Their inbox address is not a web (https://) address.");
    const r = await waitFor(async () => {
      const x = await row(refused.activityId);
      return x.attempts === 1 && x.lockedUntil === null ? x : null;
    });
    expect(r.state).toBe("queued");
    expect(r.lastError).toBe(`${new URL(closed.url).host} refused the connection: its server may be down. Try again later.`);
    expect(r.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 15_000);
  });

  it("sends a failed delivery again when asked (the UI's retry button)", async () => {
    const a = activity("revived");
    await delivery.enqueueDeliveries([{ ...a, messageId: null }]);
    const failed = await settled(a.activityId, "failed");
    expect(failed.lastStatus).toBe(410);
    expect(await delivery.retryDelivery(failed.id)).toBe(true);
    const done = await settled(a.activityId, "delivered");
    expect(done).toMatchObject({ lastStatus: 202, attempts: 1 });
    expect(await delivery.retryDelivery(done.id)).toBe(false); // only failed rows
    expect(await delivery.retryDelivery(999_999)).toBe(false);
  });

  it("signs with a fresh key after the cache is invalidated", async () => {
    // Swap the owner's username: deliveries must use the new keyId only after invalidation.
    await db().owner.update({ where: { id: 1 }, data: { username: "alice2" } });
    delivery.invalidateSigningKeyCache();
    const a = activity("ok");
    await delivery.enqueueDeliveries([a]);
    await waitFor(() => received.find((x) => x.body === a.body));
    const got = received.find((x) => x.body === a.body)!;
    expect(got.signature).toContain(`keyId="${server.url}/users/alice2#main-key"`);
    expect(got.keyId).toBeNull(); // our test server only serves alice's document: 401, retried later
    await db().owner.update({ where: { id: 1 }, data: { username: "alice" } });
    delivery.invalidateSigningKeyCache();
    await db().delivery.updateMany({ where: { activityId: a.activityId }, data: { nextAttemptAt: new Date() } });
    const done = await settled(a.activityId, "delivered");
    expect(done.attempts).toBe(2);
  });

  it("stops when the signal aborts, letting the POST in flight finish", async () => {
    const a = activity("slow");
    await delivery.enqueueDeliveries([a]);
    await waitFor(() => received.find((x) => x.body === a.body), 3000, "the slow POST to arrive");
    worker.abort();
    await workerDone;
    expect(await row(a.activityId)).toMatchObject({ state: "delivered", lastStatus: 202 });

    const b = activity("ok");
    await delivery.enqueueDeliveries([b]);
    await sleep(700);
    expect(await row(b.activityId)).toMatchObject({ state: "queued", attempts: 0 }); // nobody sends any more
  });
});
