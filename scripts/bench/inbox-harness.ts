// The inbox hot path without Next: the same Federation object, inbox guard,
// KV store, queue and listeners as the server, driven in one process so it
// can be profiled with plain `node --cpu-prof` and its database queries
// counted. Run by scripts/bench/harness.mjs (which prepares the data dir and
// the environment); prints one JSON line.
//
// Phase "accept": N signed POSTs through refuseBlockedInboxPost + federation().fetch
// (what proxy.ts does for an inbox POST), concurrency C, queue not running.
// Phase "process": the inbox queue worker drains those N messages.

import fs from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "../../lib/generated/prisma/client";
import { databaseUrl } from "../../lib/env";
import { dmActivity, presign, startPeer } from "./lib/peer.mjs";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const N = arg("n", 500);
const C = arg("c", 32);
const M = arg("actors", 20);

// Count queries: install the Prisma client lib/db.ts would create, with query events on.
const counts = new Map<string, number>();
let queries = 0;
const client = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: databaseUrl(), timeout: 5000 }), log: [{ emit: "event", level: "query" }] });
(client as any).$on("query", (e: { query: string }) => {
  queries++;
  const q = e.query.replace(/\s+/g, " ").replace(/`main`\./g, "").slice(0, 140);
  counts.set(q, (counts.get(q) ?? 0) + 1);
});
(globalThis as any).moietyPrisma = client;

const { dbReady } = await import("../../lib/db");
const { federation } = await import("../../lib/federation/federation");
const { refuseBlockedInboxPost } = await import("../../lib/federation/inbox-guard");
await dbReady();

const origin = process.env.MOIETY_ORIGIN!;
const owner = await client.owner.findUniqueOrThrow({ where: { id: 1 } });
const me = `${origin}/users/${owner.username}`;
const peer = await startPeer({ actors: M });
const inbox = `${origin}/inbox`;

async function accept(reqs: { path: string; headers: Record<string, string>; body: string }[]) {
  const statuses: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < reqs.length) {
        const r = reqs[next++];
        const request = new Request(`${origin}${r.path}`, { method: "POST", headers: r.headers, body: r.body });
        const res = (await refuseBlockedInboxPost(request)) ?? (await federation().fetch(request, { contextData: undefined }));
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

const stored = async () => client.message.count({ where: { direction: "in" } });

async function drain(target: number) {
  const ac = new AbortController();
  const running = federation().startQueue(undefined, { signal: ac.signal });
  while ((await client.queueMessage.count()) > 0 || (await stored()) < target) await new Promise((r) => setTimeout(r, 5));
  ac.abort();
  // startQueue resolves once the lanes stop; Fedify keeps a flag, so start only once.
  return running;
}

// With MOIETY_BENCH_PROFILE_DIR: V8's sampling profiler (what --cpu-prof runs)
// over each measured phase only, written as accept.cpuprofile / process.cpuprofile.
const profileDir = process.env.MOIETY_BENCH_PROFILE_DIR;
const inspector = profileDir ? new Session() : null;
inspector?.connect();
const post = (method: string, params?: object) =>
  new Promise<any>((resolve, reject) => inspector!.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
async function profileStart() {
  if (!inspector) return;
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 250 });
  await post("Profiler.start");
}
async function profileStop(name: string) {
  if (!inspector) return;
  const { profile } = await post("Profiler.stop");
  fs.mkdirSync(profileDir!, { recursive: true });
  fs.writeFileSync(path.join(profileDir!, `${name}.cpuprofile`), JSON.stringify(profile));
}

const snapshot = () => ({ cpu: process.cpuUsage(), t: performance.now(), q: queries, map: new Map(counts) });
const delta = (a: ReturnType<typeof snapshot>, n: number) => {
  const cpu = process.cpuUsage(a.cpu);
  const byQuery = [...counts].map(([k, v]) => [k, v - (a.map.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
  return {
    wallMs: performance.now() - a.t,
    cpuMsPerDm: (cpu.user + cpu.system) / 1000 / n,
    queriesPerDm: (queries - a.q) / n,
    perSecond: n / ((performance.now() - a.t) / 1000),
    topQueries: byQuery.slice(0, 25).map(([k, v]) => ({ perDm: Math.round((v / n) * 100) / 100, q: k })),
  };
};

// Warm-up (first contact with every actor), not measured.
const warm = await Promise.all(peer.actors.map((a: any, i: number) => presign(a, inbox, JSON.stringify(dmActivity(a, me, `w${i}`)))));
await accept(warm);
const queue = drain(warm.length);
await queue;

const reqs = [];
for (let i = 0; i < N; i++) {
  const a = peer.actors[i % M];
  reqs.push(await presign(a, inbox, JSON.stringify(dmActivity(a, me, i))));
}
await profileStart();
const s1 = snapshot();
const statuses = await accept(reqs);
const acceptPhase = delta(s1, N);
await profileStop("accept");
const gets1 = peer.stats.actorGets;
// Fedify's startQueue only starts once per Federation; the first drain's
// listener is gone (aborted), so restart through a fresh flag.
(federation() as any).inboxQueueStarted = false;
await profileStart();
const s2 = snapshot();
await drain(N + warm.length);
const processPhase = delta(s2, N);
await profileStop("process");
const actorGetsPerDm = (peer.stats.actorGets - gets1) / N;
// Breakdown: the pieces of the accept path timed one at a time (sequentially,
// so wall time is this thread's time), against a whole accept of the same DM.
async function each(n: number, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / n;
}
const { Activity, CryptographicKey, verifyRequest } = await import("@fedify/fedify");
const { loadKeyPairs } = await import("../../lib/federation/keys");
const { isBlocked } = await import("../../lib/domain/contacts");
const ctx = federation().createContext(new URL(origin), undefined);
const K = 200;
const extra: { path: string; headers: Record<string, string>; body: string }[] = [];
for (let i = 0; i < K + 20; i++) {
  const a = peer.actors[i % M];
  extra.push(await presign(a, inbox, JSON.stringify(dmActivity(a, me, `b${i}`))));
}
const req = (r: { path: string; headers: Record<string, string>; body: string }) => new Request(`${origin}${r.path}`, { method: "POST", headers: r.headers, body: r.body });
const keyRows = new Map<string, unknown>();
const keyCache = {
  async get(keyId: URL) {
    const json = keyRows.get(keyId.href);
    return json ? CryptographicKey.fromJsonLd(json, { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader }) : undefined;
  },
  async set(keyId: URL, key: any) {
    if (key) keyRows.set(keyId.href, await key.toJsonLd());
  },
};
const { SqliteKvStore } = await import("../../lib/federation/kv-store");
const { SqliteMessageQueue } = await import("../../lib/federation/message-queue");
const kvs = new SqliteKvStore();
const mq = new SqliteMessageQueue("bench-breakdown");
const breakdown = {
  wholeAccept: await each(K, (i) => federation().fetch(req(extra[i]), { contextData: undefined }).then((r) => r.arrayBuffer())),
  inboxGuard: await each(K, (i) => refuseBlockedInboxPost(req(extra[i]))),
  isBlocked: await each(K, () => isBlocked(peer.actors[0].id)),
  loadInstanceKeys: await each(K, () => loadKeyPairs("instance")),
  activityFromJsonLd: await each(K, (i) => Activity.fromJsonLd(JSON.parse(extra[i].body), { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader })),
  verifyHttpSignature: await each(K, (i) => verifyRequest(req(extra[i]), { documentLoader: ctx.documentLoader, contextLoader: ctx.contextLoader, keyCache, timeWindow: { hours: 1 } })),
  kvGet: await each(K, (i) => kvs.get(["bench", String(i)])),
  kvSet: await each(K, (i) => kvs.set(["bench", String(i)], true)),
  queueEnqueue: await each(K, (i) => mq.enqueue({ i, payload: extra[i].body })),
};
console.log(JSON.stringify({ N, C, M, statuses, accept: acceptPhase, process: { ...processPhase, actorGetsPerDm }, breakdownMs: breakdown }));
await peer.close();
process.exit(0);
