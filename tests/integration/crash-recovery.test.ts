import { spawn } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { ROOT, startServer } from "../helpers/server";

// kill -9 the sender while its delivery queue is full; after a restart every
// DM arrives, and each exactly once.

const COUNT = 100;
let alice: Instance;
let bob: Instance;

beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
});
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
});

function sql<T>(dataDir: string, query: string): T {
  const db = new Database(path.join(dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(query).get() as T;
  } finally {
    db.close();
  }
}

function queueBurst(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "tests/helpers/send-many.ts"), bob.actor, String(COUNT)], {
      cwd: ROOT,
      env: { ...process.env, MOIETY_DATA_DIR: alice.dataDir, MOIETY_ORIGIN: alice.url, MOIETY_ALLOW_PRIVATE_ADDRESSES: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`send-many failed: ${err.split("\n").filter((l) => /Error|code|message|meta|Unique|constraint|SQLITE/i.test(l)).join(" | ")}`))));
  });
}

describe("crash safety of outgoing deliveries", () => {
  it("delivers every queued DM exactly once after kill -9 and restart", async () => {
    await queueBurst();
    const queued = sql<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery");
    expect(queued.n).toBe(COUNT);

    // Let the worker get going, then kill the sender hard, mid-queue.
    await eventually(async () => sql<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery WHERE state = 'delivered'").n > 5, "some deliveries", 30_000);
    alice.process.kill("SIGKILL");
    await new Promise((r) => alice.process.once("exit", r));
    const before = sql<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery WHERE state = 'delivered'").n;
    expect(before).toBeLessThan(COUNT);

    const restarted = await startServer({ dataDir: alice.dataDir, origin: alice.url, env: { PORT: String(alice.port) } });
    alice = { ...alice, ...restarted };

    await eventually(
      async () => sql<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery WHERE state = 'delivered'").n === COUNT,
      "every delivery to succeed",
      90_000,
    );
    // Bob answered 202 for each; his inbox queue may still be working through them.
    const receivedCount = () => sql<{ n: number }>(bob.dataDir, "SELECT count(*) AS n FROM Message WHERE direction = 'in'").n;
    await eventually(async () => receivedCount() >= COUNT, "bob to process every DM", 90_000);
    await new Promise((r) => setTimeout(r, 1000)); // any duplicate would have landed by now
    const received = sql<{ n: number; distinct: number }>(bob.dataDir, "SELECT count(*) AS n, count(DISTINCT objectId) AS \"distinct\" FROM Message WHERE direction = 'in'");
    expect(received).toEqual({ n: COUNT, distinct: COUNT });
    const failed = sql<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery WHERE state != 'delivered'");
    expect(failed.n).toBe(0);
  }, 180_000);
});
