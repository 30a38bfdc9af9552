import { spawn } from "node:child_process";
import path from "node:path";
import { Temporal } from "@js-temporal/polyfill";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, prepareDatabase, removeDir, sleep, waitFor } from "./helpers";

// The durable KvStore and MessageQueue on a real SQLite database.

let dataDir: string;
let mq: typeof import("@/lib/federation/inbound/message-queue");
let kv: typeof import("@/lib/federation/kv-store");
let dbModule: typeof import("@/lib/db");
const db = () => dbModule.db();

beforeAll(async () => {
  dataDir = prepareDatabase();
  dbModule = await import("@/lib/db");
  await dbModule.dbReady();
  mq = await import("@/lib/federation/inbound/message-queue");
  kv = await import("@/lib/federation/kv-store");
});

afterAll(async () => {
  await dbModule?.db().$disconnect();
  removeDir(dataDir);
});

/** Listen on `queue` until stop() is called; stop() resolves when listen() did. */
function listening(queue: import("@/lib/federation/inbound/message-queue").SqliteMessageQueue, handler: (m: any) => unknown) {
  const controller = new AbortController();
  const done = queue.listen(async (m) => void (await handler(m)), { signal: controller.signal });
  return {
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

describe("SqliteKvStore", () => {
  it("sets, gets and deletes JSON values under array keys", async () => {
    const store = new kv.SqliteKvStore();
    await store.set(["a", "b"], { x: 1, list: [true, null, "s"] });
    await store.set(["a,b"], "other");
    expect(await store.get(["a", "b"])).toEqual({ x: 1, list: [true, null, "s"] });
    expect(await store.get(["a,b"])).toBe("other");
    expect(await store.get(["a"])).toBeUndefined();
    await store.set(["a", "b"], 42);
    expect(await store.get(["a", "b"])).toBe(42);
    await store.delete(["a", "b"]);
    expect(await store.get(["a", "b"])).toBeUndefined();
    await store.delete(["never", "set"]); // no error
    expect(await db().kvEntry.findUnique({ where: { key: '["a,b"]' } })).not.toBeNull();
  });

  it("expires values after their ttl and removes them", async () => {
    const store = new kv.SqliteKvStore();
    await store.set(["ttl", "short"], true, { ttl: Temporal.Duration.from({ milliseconds: 300 }) });
    await store.set(["ttl", "none"], true);
    expect(await store.get(["ttl", "short"])).toBe(true);
    await sleep(400);
    expect(await store.get(["ttl", "short"])).toBeUndefined();
    expect(await db().kvEntry.findUnique({ where: { key: '["ttl","short"]' } })).toBeNull(); // purged on read
    expect(await store.get(["ttl", "none"])).toBe(true);
  });

  it("measures day- and month-long ttls, and purges everything expired on demand", async () => {
    let now = new Date("2026-01-31T00:00:00Z");
    const store = new kv.SqliteKvStore(() => now);
    await store.set(["day"], 1, { ttl: Temporal.Duration.from({ days: 1 }) });
    await store.set(["month"], 2, { ttl: Temporal.Duration.from({ months: 1 }) });
    now = new Date("2026-01-31T23:59:00Z");
    expect(await store.get(["day"])).toBe(1);
    now = new Date("2026-02-01T00:00:01Z");
    expect(await store.get(["day"])).toBeUndefined();
    expect(await store.get(["month"])).toBe(2);
    const row = await db().kvEntry.findUnique({ where: { key: '["month"]' } });
    expect(row?.expiresAt?.toISOString()).toBe("2026-02-28T00:00:00.000Z"); // a month from Jan 31, calendar-aware
    now = new Date("2026-03-01T00:00:00Z");
    expect(await store.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await db().kvEntry.findUnique({ where: { key: '["month"]' } })).toBeNull();
  });
});

describe("SqliteMessageQueue", () => {
  it("commits a message before enqueue resolves, and a listener handles it exactly once", async () => {
    const queue = new mq.SqliteMessageQueue("once");
    await queue.enqueue({ hello: "world", n: 1 });
    expect(await queue.size()).toBe(1);
    const seen: unknown[] = [];
    const l = listening(queue, (m) => seen.push(m));
    await waitFor(() => seen.length === 1, 3000, "the message");
    await sleep(700); // more than a poll interval: no second delivery
    await l.stop();
    expect(seen).toEqual([{ hello: "world", n: 1 }]);
    expect(await queue.size()).toBe(0);
  });

  it("wakes a waiting listener at once when this process enqueues", async () => {
    const queue = new mq.SqliteMessageQueue("wake", { pollIntervalMs: 10_000 });
    const handledAt: number[] = [];
    const l = listening(queue, () => handledAt.push(Date.now()));
    await sleep(100); // the listener is now waiting, for up to 10 s
    const sentAt = Date.now();
    await queue.enqueueMany([{ i: 1 }, { i: 2 }]);
    await waitFor(() => handledAt.length === 2, 2000, "both messages");
    await l.stop();
    expect(handledAt[1] - sentAt).toBeLessThan(500);
  });

  it("keeps a delayed message until it is due", async () => {
    const queue = new mq.SqliteMessageQueue("delayed", { pollIntervalMs: 50 });
    const handledAt: number[] = [];
    const l = listening(queue, () => handledAt.push(Date.now()));
    const sentAt = Date.now();
    await queue.enqueue({ later: true }, { delay: Temporal.Duration.from({ milliseconds: 800 }) });
    await sleep(500);
    expect(handledAt).toEqual([]);
    await waitFor(() => handledAt.length === 1, 2000, "the delayed message");
    await l.stop();
    expect(handledAt[0] - sentAt).toBeGreaterThanOrEqual(790);
  });

  it("retries a message whose handler throws, later, and drops it after maxAttempts", async () => {
    const queue = new mq.SqliteMessageQueue("failing", { pollIntervalMs: 20, maxAttempts: 3, retryDelayMs: () => 150 });
    const calls: { m: any; at: number }[] = [];
    const l = listening(queue, (m) => {
      calls.push({ m, at: Date.now() });
      if (m.kind === "always" || calls.filter((c) => c.m.kind === "once").length === 1) throw new Error(`boom ${m.kind}`);
    });
    await queue.enqueue({ kind: "once" });
    await queue.enqueue({ kind: "always" });
    await waitFor(async () => calls.filter((c) => c.m.kind === "always").length === 3 && (await queue.size()) === 0, 5000, "three failures");
    await sleep(400);
    await l.stop();
    const once = calls.filter((c) => c.m.kind === "once");
    const always = calls.filter((c) => c.m.kind === "always");
    expect(once).toHaveLength(2); // failed, then succeeded
    expect(once[1].at - once[0].at).toBeGreaterThanOrEqual(140); // after the backoff
    expect(always).toHaveLength(3); // then dropped
    expect(await queue.size()).toBe(0);
  });

  it("never gives one message to two listeners", async () => {
    const a = new mq.SqliteMessageQueue("shared", { pollIntervalMs: 20, concurrency: 3 });
    const b = new mq.SqliteMessageQueue("shared", { pollIntervalMs: 20, concurrency: 3 });
    const handled: number[] = [];
    const handler = async (m: { i: number }) => {
      handled.push(m.i);
      await sleep(Math.random() * 20);
    };
    const la = listening(a, handler);
    const lb = listening(b, handler);
    await a.enqueueMany(Array.from({ length: 40 }, (_, i) => ({ i })));
    await waitFor(async () => (await a.size()) === 0, 8000, "all 40 messages");
    await Promise.all([la.stop(), lb.stop()]);
    expect(handled.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it("leaves a message with a live lease alone, and takes over one whose lease expired", async () => {
    const now = Date.now();
    // What a crashed worker leaves behind: claimed (attempts 1), lease over.
    await db().queueMessage.create({
      data: { queue: "leases", payload: JSON.stringify({ who: "dead" }), availableAt: new Date(now - 5000), lockedUntil: new Date(now - 1), attempts: 1 },
    });
    // A worker still busy with its message for another 1.2 s.
    await db().queueMessage.create({
      data: { queue: "leases", payload: JSON.stringify({ who: "busy" }), availableAt: new Date(now - 5000), lockedUntil: new Date(now + 1200), attempts: 1 },
    });
    const queue = new mq.SqliteMessageQueue("leases", { pollIntervalMs: 50 });
    const seen: { who: string; at: number }[] = [];
    const l = listening(queue, (m) => seen.push({ who: m.who, at: Date.now() }));
    await waitFor(() => seen.length === 1, 2000, "the dead worker's message");
    expect(seen[0].who).toBe("dead");
    await waitFor(() => seen.length === 2, 3000, "the busy worker's message after its lease");
    await l.stop();
    expect(seen[1].who).toBe("busy");
    expect(seen[1].at).toBeGreaterThanOrEqual(now + 1200);
    expect(await queue.size()).toBe(0);
  });

  it("redelivers the message of a worker process killed mid-handler, after the lease", async () => {
    const queue = new mq.SqliteMessageQueue("crash", { pollIntervalMs: 50 });
    await queue.enqueue({ job: "survives a crash" });
    const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "crash-worker.ts")], {
      cwd: ROOT,
      env: { ...process.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (out += String(d)));
    await waitFor(() => out.includes("started"), 8000, `the child to claim the message (output: ${out})`);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const killedAt = Date.now();

    const row = await db().queueMessage.findFirst({ where: { queue: "crash" } });
    expect(row?.attempts).toBe(1);
    expect(row?.lockedUntil!.getTime()).toBeGreaterThan(killedAt - 50); // still leased to the dead child

    const seen: { m: unknown; at: number }[] = [];
    const l = listening(queue, (m) => seen.push({ m, at: Date.now() }));
    await waitFor(() => seen.length === 1, 3000, "the redelivery");
    await l.stop();
    expect(seen[0].m).toEqual({ job: "survives a crash" });
    expect(seen[0].at).toBeGreaterThanOrEqual(row!.lockedUntil!.getTime());
    expect(await queue.size()).toBe(0);
  });

  it("keeps messages across a closed and reopened database connection", async () => {
    const before = new mq.SqliteMessageQueue("durable");
    await before.enqueue({ kept: [1, 2, 3] });
    await db().$disconnect();
    // A fresh client, as after a restart (lib/db.ts keeps its client on globalThis).
    (globalThis as { moietyPrisma?: unknown }).moietyPrisma = undefined;
    const after = new mq.SqliteMessageQueue("durable");
    expect(await after.size()).toBe(1);
    const seen: unknown[] = [];
    const l = listening(after, (m) => seen.push(m));
    await waitFor(() => seen.length === 1, 3000, "the kept message");
    await l.stop();
    expect(seen).toEqual([{ kept: [1, 2, 3] }]);
  });

  it("runs several messages at once, but never more than groupLimit of one group, across listeners", async () => {
    const opts = { pollIntervalMs: 20, concurrency: 4, groupLimit: 2, keysOf: (m: any) => ({ group: m.host, sequence: null }) };
    const a = new mq.SqliteMessageQueue("lanes", opts);
    const b = new mq.SqliteMessageQueue("lanes", opts);
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const done: { host: string; at: number }[] = [];
    const handler = async (m: { host: string; ms: number }) => {
      running.set(m.host, (running.get(m.host) ?? 0) + 1);
      peak.set(m.host, Math.max(peak.get(m.host) ?? 0, running.get(m.host)!));
      await sleep(m.ms);
      running.set(m.host, running.get(m.host)! - 1);
      done.push({ host: m.host, at: Date.now() });
    };
    const la = listening(a, handler);
    const lb = listening(b, handler);
    const sentAt = Date.now();
    // Eight slow messages from one host first, then one quick one from another.
    await a.enqueueMany([...Array.from({ length: 8 }, () => ({ host: "slow.example", ms: 400 })), { host: "fast.example", ms: 1 }]);
    await waitFor(() => done.length === 9, 8000, "all nine messages");
    await Promise.all([la.stop(), lb.stop()]);
    expect(peak.get("slow.example")).toBe(2); // eight lanes between the two listeners, two for the slow host
    const fast = done.find((d) => d.host === "fast.example")!;
    expect(fast.at - sentAt).toBeLessThan(350); // not behind the slow host's 4 × 400 ms
    expect(await a.size()).toBe(0);
  });

  it("handles one sequence's messages one at a time, in the order they came", async () => {
    const queue = new mq.SqliteMessageQueue("sequences", { pollIntervalMs: 20, concurrency: 6, keysOf: (m: any) => ({ group: null, sequence: m.seq }) });
    const order: string[] = [];
    const running = new Map<string, number>();
    let overlap = false;
    const l = listening(queue, async (m: { seq: string; i: number }) => {
      if ((running.get(m.seq) ?? 0) > 0) overlap = true;
      running.set(m.seq, (running.get(m.seq) ?? 0) + 1);
      await sleep(Math.random() * 30);
      order.push(`${m.seq}${m.i}`);
      running.set(m.seq, running.get(m.seq)! - 1);
    });
    await queue.enqueueMany(Array.from({ length: 15 }, (_, i) => ({ seq: "abc"[i % 3], i: Math.floor(i / 3) })));
    await waitFor(() => order.length === 15, 8000, "all fifteen messages");
    await l.stop();
    expect(overlap).toBe(false);
    for (const seq of "abc") expect(order.filter((o) => o[0] === seq)).toEqual([0, 1, 2, 3, 4].map((i) => `${seq}${i}`));
  });

  it("counts an expired lease (a killed worker's) for nothing against its group", async () => {
    const now = Date.now();
    await db().queueMessage.create({
      data: { queue: "group-crash", payload: JSON.stringify({ who: "dead" }), availableAt: new Date(now - 5000), lockedUntil: new Date(now - 1), attempts: 1, groupKey: "x", sequenceKey: "x1" },
    });
    await db().queueMessage.create({
      data: { queue: "group-crash", payload: JSON.stringify({ who: "next" }), availableAt: new Date(now - 4000), attempts: 0, groupKey: "x", sequenceKey: "x1" },
    });
    const queue = new mq.SqliteMessageQueue("group-crash", { pollIntervalMs: 20, concurrency: 2, groupLimit: 1 });
    const seen: string[] = [];
    const l = listening(queue, (m) => seen.push(m.who));
    await waitFor(() => seen.length === 2, 3000, "both messages");
    await l.stop();
    expect(seen).toEqual(["dead", "next"]);
  });

  it("stops when the signal aborts, after the handler in flight has finished", async () => {
    const queue = new mq.SqliteMessageQueue("stopping", { pollIntervalMs: 50 });
    let started = false;
    let finished = false;
    const l = listening(queue, async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    await queue.enqueue({ slow: true });
    await waitFor(() => started, 2000, "the handler to start");
    await l.stop();
    expect(finished).toBe(true);
    expect(await queue.size()).toBe(0); // and it was settled before listen resolved

    await queue.enqueue({ after: "stop" });
    await sleep(200);
    expect(await queue.size()).toBe(1); // nobody listens any more

    const idle = new AbortController();
    const done = queue.listen(() => {}, { signal: idle.signal });
    idle.abort();
    await expect(done).resolves.toBeUndefined();
  });
});
