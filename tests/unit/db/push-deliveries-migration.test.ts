import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";

// The push queue's trigger on a real SQLite file: inserting a Notification
// queues one push per subscription (browsers and live tokens, not revoked
// ones) in the same statement's transaction, with times in the form Prisma's
// adapter writes, so the worker's text comparison sees them as due; deleting
// the notification or the subscription takes the queued pushes along.

const MIGRATIONS = path.join(__dirname, "../../../prisma/migrations");

function migrateAll(db: Database.Database) {
  for (const name of fs.readdirSync(MIGRATIONS).filter((n) => !n.endsWith(".toml")).sort()) {
    db.exec(fs.readFileSync(path.join(MIGRATIONS, name, "migration.sql"), "utf8"));
  }
}

function addToken(db: Database.Database, id: number, revokedAt: string | null) {
  db.prepare(`INSERT INTO "ApiToken" ("id", "tokenHash", "name", "scopes", "createdAt", "revokedAt") VALUES (?, ?, 'app', 'push', '2026-01-01T00:00:00.000+00:00', ?)`).run(
    id,
    `hash${id}`,
    revokedAt,
  );
}

function addSubscription(db: Database.Database, endpoint: string, tokenId: number | null) {
  db.prepare(
    `INSERT INTO "PushSubscription" ("endpoint", "p256dh", "auth", "tokenId", "sessionId", "alerts", "createdAt") VALUES (?, 'k', 'a', ?, ?, '{}', '2026-01-01T00:00:00.000+00:00')`,
  ).run(endpoint, tokenId, tokenId === null ? "s" : null);
}

describe("push deliveries migration", () => {
  it("queues a push per live subscription when a notification is inserted, and cascades deletes", () => {
    const db = new Database(":memory:");
    db.pragma("foreign_keys = ON");
    migrateAll(db);
    addToken(db, 1, null);
    addToken(db, 2, "2026-01-02T00:00:00.000+00:00");
    addSubscription(db, "https://push.example/browser", null);
    addSubscription(db, "https://push.example/live", 1);
    addSubscription(db, "https://push.example/revoked", 2);

    const before = new Date().toISOString().replace("Z", "+00:00");
    db.prepare(`INSERT INTO "Notification" ("type", "actorId", "createdAt") VALUES ('follow', 'https://a.example/u/bob', ?)`).run(before);
    const rows = db
      .prepare(
        `SELECT s."endpoint", d."attempts", d."nextAttemptAt", d."createdAt", d."lockedUntil" FROM "PushDelivery" d JOIN "PushSubscription" s ON s."id" = d."subscriptionId" ORDER BY s."id"`,
      )
      .all() as { endpoint: string; attempts: number; nextAttemptAt: string; createdAt: string; lockedUntil: string | null }[];
    expect(rows.map((r) => r.endpoint)).toEqual(["https://push.example/browser", "https://push.example/live"]);
    const after = new Date(Date.now() + 1).toISOString().replace("Z", "+00:00");
    for (const r of rows) {
      expect(r.attempts).toBe(0);
      expect(r.lockedUntil).toBeNull();
      expect(r.nextAttemptAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
      // due for a worker that asks "nextAttemptAt <= now" with the adapter's text
      expect(r.nextAttemptAt <= after).toBe(true);
      expect(r.createdAt).toBe(r.nextAttemptAt);
    }

    db.prepare(`DELETE FROM "PushSubscription" WHERE "endpoint" = 'https://push.example/live'`).run();
    expect(db.prepare(`SELECT count(*) AS n FROM "PushDelivery"`).get()).toEqual({ n: 1 });
    db.prepare(`DELETE FROM "Notification"`).run();
    expect(db.prepare(`SELECT count(*) AS n FROM "PushDelivery"`).get()).toEqual({ n: 0 });
  });
});
