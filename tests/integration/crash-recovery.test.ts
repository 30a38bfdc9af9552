import { spawn } from "node:child_process";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { ROOT, startServer } from "../helpers/server";

// kill -9 the sender while its delivery queue is full; after a restart every
// DM arrives, and each exactly once.

const COUNT = 1000;
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

function column(dataDir: string, query: string): string[] {
  const db = new Database(path.join(dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(query).pluck().all() as string[];
  } finally {
    db.close();
  }
}

const delivered = () => sql<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery WHERE state = 'delivered'").n;

async function restartAlice(): Promise<void> {
  const restarted = await startServer({ dataDir: alice.dataDir, origin: alice.url, env: { PORT: String(alice.port) } });
  alice = { ...alice, ...restarted };
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
    // Queue the burst while alice is down, so the kill below lands with nearly
    // all of it still queued (queueing next to a running worker lets it catch up).
    await alice.stop();
    await queueBurst();
    expect(sql<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery WHERE state = 'queued'").n).toBe(COUNT);
    await restartAlice();

    await eventually(async () => delivered() > 5, "some deliveries", 60_000);
    await alice.crash();
    const before = delivered();
    expect(before).toBeLessThan(COUNT);
    await restartAlice();

    // Generous: on a loaded two-core machine bob's inbox takes a few DMs per
    // second, and rows leased by the killed worker wait out their lease (30 s).
    await eventually(async () => delivered() === COUNT, "every delivery to succeed", 300_000);
    // Bob answered 202 for each; his inbox queue may still be working through them.
    const incoming = () => column(bob.dataDir, "SELECT objectId FROM Message WHERE direction = 'in' ORDER BY objectId");
    await eventually(async () => incoming().length >= COUNT, "bob to process every DM", 120_000);
    await new Promise((r) => setTimeout(r, 1000)); // any duplicate would have landed by now
    const sent = column(alice.dataDir, "SELECT objectId FROM Message WHERE direction = 'out' ORDER BY objectId");
    expect(sent).toHaveLength(COUNT);
    expect(incoming()).toEqual(sent);
    const failed = sql<{ n: number }>(alice.dataDir, "SELECT count(*) AS n FROM Delivery WHERE state != 'delivered'");
    expect(failed.n).toBe(0);
  }, 600_000);
});
