import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "../helpers/instances";
import { directMessage, Peer, strayKey, waitForInboxIdle, type PeerActor, type PostResult } from "../helpers/peer";
import { pool } from "./hostile-inbox-wire";

// Inbox POSTs that name a remote JSON-LD @context the sender chooses. Reading
// a body as JSON-LD loads every context it names, so before the signature is
// checked that let anyone make the server fetch any URL, and a huge chunked
// context was read whole: 24 unsigned POSTs grew the app past 2.7 GB.
//
// A "canary" server on loopback serves an endless chunked @context (cut off
// at 64 MiB so the test ends either way) and counts every request and byte.
// Unsigned and badly signed POSTs naming it must reach it zero times and be
// refused with 401; a correctly signed activity naming it is refused after
// at most a fetch capped at 256 KiB, one per URL; and meanwhile the app
// server's memory stays within a small budget.

const AS = "https://www.w3.org/ns/activitystreams";
const CANARY_CUTOFF = 64 * 1024 * 1024;
const MiB = 1024 * 1024;
/** Growth of the app server's resident memory allowed during an attack (it was 2.7 GB). */
const RSS_BUDGET = 150 * MiB;

type Hit = { path: string; bytesSent: number };

class Canary {
  readonly hits: Hit[] = [];
  url = "";
  private server!: http.Server;

  static async start(): Promise<Canary> {
    const c = new Canary();
    c.server = http.createServer((req, res) => c.serve(req, res));
    await new Promise<void>((r) => c.server.listen(0, "127.0.0.1", r));
    c.url = `http://127.0.0.1:${(c.server.address() as AddressInfo).port}`;
    return c;
  }

  /** An @context that never ends: {"@context": {"t0": "http://canary.test/0", …, written as fast as the reader takes it. */
  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const hit: Hit = { path: req.url ?? "", bytesSent: 0 };
    this.hits.push(hit);
    res.writeHead(200, { "content-type": "application/ld+json" }); // no Content-Length: chunked
    let i = 0;
    let closed = false;
    res.on("close", () => (closed = true));
    const pump = () => {
      while (!closed && hit.bytesSent < CANARY_CUTOFF) {
        const chunk = (i === 0 ? '{"@context": {' : ",") + Array.from({ length: 256 }, () => `"t${i++}": "http://canary.test/${i}"`).join(",");
        hit.bytesSent += Buffer.byteLength(chunk);
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      if (!closed) res.end("}}");
    };
    pump();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Resident memory of the server (`moiety serve`, one process with the app), in bytes. */
function appRss(instance: Instance): number {
  const app = instance.process.pid!;
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${app}/status`, "utf8"));
  return Number(m![1]) * 1024;
}

/** Run `attack` while sampling the app server's memory every 50 ms; the peak growth over the start. */
async function peakGrowth<T>(instance: Instance, attack: () => Promise<T>): Promise<{ result: T; growth: number; before: number; peak: number }> {
  const before = appRss(instance);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, appRss(instance))), 50);
  try {
    const result = await attack();
    await new Promise((r) => setTimeout(r, 300)); // anything still reading would show now
    peak = Math.max(peak, appRss(instance));
    return { result, growth: peak - before, before, peak };
  } finally {
    clearInterval(timer);
  }
}

let ivy: Instance;
let peer: Peer;
let pat: PeerActor;
let canary: Canary;

beforeAll(async () => {
  [peer, canary] = await Promise.all([Peer.start(), Canary.start()]);
  [ivy, pat] = await Promise.all([startInstance("ivy"), peer.addActor("pat")]);
}, 120_000);

afterAll(async () => {
  await Promise.all([ivy?.stop(), peer?.close(), canary?.close()]);
});

let n = 0;
/** A DM from pat to ivy whose @context also names `contexts`. */
function dmNaming(contexts: string[]) {
  const dm = directMessage(pat, ivy.actor, `context test ${++n}`, `${pat.id}/statuses/ctx-${n}`);
  return { ...dm, "@context": [AS, ...contexts] };
}

const inbox = () => `${ivy.actor}/inbox`;
const statuses = (results: PostResult[]) => [...new Set(results.map((r) => r.status))];

describe("remote @context documents named by inbox POSTs", () => {
  it("unsigned and badly signed POSTs naming a huge remote @context: 401, the context is never fetched, memory stays flat", async () => {
    const N = 24;
    const stray = strayKey();
    const keyFetchesBefore = peer.received("/users/pat", "GET").length;
    const attack = [
      ...Array.from({ length: N }, (_, i) => () => peer.post(inbox(), dmNaming([`${canary.url}/unsigned-${i}`]), pat, { unsigned: true })),
      // Signed with a key pat never published, under pat's keyId.
      ...Array.from({ length: N }, (_, i) => () => peer.post(inbox(), dmNaming([`${canary.url}/wrong-key-${i}`]), pat, { signingKey: stray })),
      // A keyId on a port nobody listens on.
      ...Array.from({ length: N }, (_, i) =>
        () => peer.post(inbox(), dmNaming([`${canary.url}/dead-key-${i}`]), pat, { keyId: "http://127.0.0.1:1/users/pat#main-key" }),
      ),
      // A garbage signature, for the shared inbox.
      ...Array.from({ length: N }, (_, i) => async () => {
        const activity = dmNaming([`${canary.url}/garbage-${i}`]);
        return peer.post(`${ivy.url}/inbox`, activity, pat, { signingKey: stray, algorithm: "hs2019" });
      }),
    ];
    const started = Date.now();
    const { result, growth, before, peak } = await peakGrowth(ivy, () => pool(attack, 8));
    console.log(
      `${attack.length} unsigned/badly signed POSTs in ${Date.now() - started} ms: canary hits ${canary.hits.length}, ` +
        `app RSS ${Math.round(before / MiB)} → peak ${Math.round(peak / MiB)} MiB (+${Math.round(growth / MiB)})`,
    );
    expect(statuses(result)).toEqual([401]);
    for (const r of result) expect(JSON.parse(r.body).error).toMatch(/signature|signed/i);
    expect(canary.hits).toEqual([]);
    expect(growth).toBeLessThan(RSS_BUDGET);
    // The only other fetch was pat's key (his actor document): at most twice per request (cached, then
    // fetched afresh in case pat rotated his key), for the 2N requests naming it.
    expect(peer.received("/users/pat", "GET").length - keyFetchesBefore).toBeLessThanOrEqual(4 * N);
  }, 120_000);

  it("a signed activity naming an endless @context is refused after reading at most 256 KiB of it, once per URL", async () => {
    const distinct = Array.from({ length: 12 }, (_, i) => `${canary.url}/signed-huge-${i}`);
    const attack = [
      ...distinct.map((url) => () => peer.post(inbox(), dmNaming([url]), pat)),
      // The same URLs again: a failed context is remembered for a while, not fetched again.
      ...distinct.map((url) => () => peer.post(inbox(), dmNaming([url]), pat)),
    ];
    const started = Date.now();
    const { result, growth, before, peak } = await peakGrowth(ivy, () => pool(attack, 6));
    const ms = Date.now() - started;
    const sent = canary.hits.map((h) => h.bytesSent);
    console.log(
      `${attack.length} signed POSTs naming an endless context in ${ms} ms: canary hits ${canary.hits.length}, ` +
        `bytes written per hit (socket buffers included) max ${Math.round(Math.max(...sent) / 1024)} KiB, ` +
        `app RSS ${Math.round(before / MiB)} → peak ${Math.round(peak / MiB)} MiB (+${Math.round(growth / MiB)})`,
    );
    expect(statuses(result)).toEqual([400]);
    expect(JSON.parse(result[0].body).error).toMatch(/context/);
    expect(canary.hits.map((h) => h.path).sort()).toEqual(distinct.map((u) => new URL(u).pathname).sort());
    // The reader stopped long before the canary's 64 MiB: what it wrote is the cap plus what the sockets buffered.
    for (const bytes of sent) expect(bytes).toBeLessThan(16 * MiB);
    expect(growth).toBeLessThan(RSS_BUDGET);
    // Nothing was stored.
    await waitForInboxIdle(ivy.dataDir);
    expect((await ivy.json(["dm", "list"])).conversations).toEqual([]);
  }, 120_000);

  it("a context that trickles in is given up within the request's time budget", async () => {
    const slow = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/ld+json" });
      res.write('{"@context": {');
      let i = 0;
      const timer = setInterval(() => res.write(`"s${i}": "http://slow.test/${i++}",`), 200);
      res.on("close", () => clearInterval(timer));
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const res = await peer.post(inbox(), dmNaming([`${slowUrl}/a`, `${slowUrl}/b`, `${slowUrl}/c`]), pat);
      const ms = Date.now() - started;
      console.log(`a signed POST naming three trickling contexts answered ${res.status} after ${ms} ms`);
      expect(res.status).toBe(400);
      expect(ms).toBeLessThan(15_000); // 5 s per fetch, 10 s per request; the trickle would go on forever
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  }, 60_000);

  it("gives one POST 10 s for all its fetches, however many slow documents it names", async () => {
    // A server that takes 4.5 s for each document: the key, then three small @context documents.
    // One at a time that would be 18 s; the request's budget stops it at about 10 s.
    const sluggish = await Peer.start();
    try {
      const sly = await sluggish.addActor("sly");
      const keyId = `${sluggish.url}/keys/sly`;
      sluggish.documents.set("/keys/sly", { "@context": [AS, "https://w3id.org/security/v1"], id: sly.id, type: "Person", publicKey: { id: keyId, owner: sly.id, publicKeyPem: sly.publicKeyPem } });
      const contexts = [1, 2, 3].map((i) => {
        sluggish.documents.set(`/ns/${i}`, { "@context": { [`term${i}`]: `http://example.org/ns#${i}` } });
        return `${sluggish.url}/ns/${i}`;
      });
      sluggish.documentDelayMs = 4_500;
      const activity = { ...directMessage(sly, ivy.actor, "slow everything", `${sly.id}/statuses/slow-1`), "@context": [AS, ...contexts] };
      const started = Date.now();
      const res = await sluggish.post(inbox(), activity, sly, { keyId });
      const ms = Date.now() - started;
      console.log(`a signed POST whose key and three contexts take 4.5 s each answered ${res.status} after ${ms} ms`);
      expect(res.status).toBe(400);
      expect(ms).toBeLessThan(14_000);
    } finally {
      await sluggish.close();
    }
  }, 60_000);

  it("still takes signed DMs naming a legitimate remote context (Pleroma's litepub), fetching it once", async () => {
    const litepub = `${peer.url}/schemas/litepub-0.1.jsonld`;
    const before = peer.received("/schemas/litepub-0.1.jsonld", "GET").length;
    const sent = [dmNaming([litepub]), dmNaming([litepub]), dmNaming([litepub])];
    for (const activity of sent) expect((await peer.post(inbox(), activity, pat)).status).toBe(202);
    await waitForInboxIdle(ivy.dataDir);
    const list = (await ivy.json(["dm", "list"])).conversations;
    const shown = await ivy.json(["dm", "show", list[0].id]);
    expect(shown.messages.map((m: { text: string }) => m.text)).toEqual(sent.map((a) => a.object.content.replace(/<\/?p>/g, "")));
    expect(peer.received("/schemas/litepub-0.1.jsonld", "GET").length - before).toBe(1);
  }, 60_000);
});
