import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";

// The notifications migration on a real SQLite file: what happened before it
// (incoming DMs, inbound follows) becomes notifications numbered in the order
// it happened; outgoing and deleted DMs and outbound follows give none, and a
// DM's notification goes with its message.

const MIGRATIONS = path.join(__dirname, "../../../prisma/migrations");
const TARGET = "20261202171000_notifications";

function migrate(db: Database.Database, include: (name: string) => boolean) {
  for (const name of fs.readdirSync(MIGRATIONS).filter((n) => !n.endsWith(".toml")).sort()) {
    if (include(name)) db.exec(fs.readFileSync(path.join(MIGRATIONS, name, "migration.sql"), "utf8"));
  }
}

function addMessage(db: Database.Database, id: string, direction: string, createdAt: string, deletedAt: string | null = null) {
  db.prepare(
    `INSERT INTO "Message" ("id", "conversationId", "objectId", "direction", "authorId", "html", "text", "published", "createdAt", "deletedAt")
     VALUES (?, 'c1', ?, ?, 'https://a.example/u/bob', '<p>x</p>', 'x', ?, ?, ?)`,
  ).run(id, `https://a.example/n/${id}`, direction, createdAt, createdAt, deletedAt);
}

function addFollow(db: Database.Database, direction: string, actorId: string, state: string, createdAt: string) {
  db.prepare(`INSERT INTO "Follow" ("direction", "actorId", "state", "activityId", "createdAt") VALUES (?, ?, ?, ?, ?)`).run(direction, actorId, state, `${actorId}#follow`, createdAt);
}

describe("notifications migration", () => {
  it("backfills a mention per incoming DM and a follow or follow_request per inbound follow, in time order", () => {
    const db = new Database(":memory:");
    db.pragma("foreign_keys = ON");
    migrate(db, (n) => n < TARGET);
    db.prepare(`INSERT INTO "Conversation" ("id", "participantKey", "lastMessageAt") VALUES ('c1', 'k', '2026-01-01T00:00:00.000+00:00')`).run();
    addMessage(db, "m2", "in", "2026-01-01T10:00:05.000+00:00");
    addFollow(db, "in", "https://a.example/u/bob", "accepted", "2026-01-01T10:00:01.000+00:00");
    addMessage(db, "m1", "in", "2026-01-01T10:00:03.000+00:00");
    addMessage(db, "out", "out", "2026-01-01T10:00:04.000+00:00");
    addMessage(db, "gone", "in", "2026-01-01T10:00:02.000+00:00", "2026-01-01T11:00:00.000+00:00");
    addFollow(db, "in", "https://b.example/u/eve", "pending", "2026-01-01T10:00:06.000+00:00");
    addFollow(db, "out", "https://c.example/u/carol", "accepted", "2026-01-01T10:00:00.000+00:00");
    migrate(db, (n) => n === TARGET);

    const rows = db.prepare(`SELECT "id", "type", "actorId", "messageId" FROM "Notification" ORDER BY "id"`).all();
    expect(rows).toEqual([
      { id: 1, type: "follow", actorId: "https://a.example/u/bob", messageId: null },
      { id: 2, type: "mention", actorId: "https://a.example/u/bob", messageId: "m1" },
      { id: 3, type: "mention", actorId: "https://a.example/u/bob", messageId: "m2" },
      { id: 4, type: "follow_request", actorId: "https://b.example/u/eve", messageId: null },
    ]);
    // A new notification numbers after them; a message's notifications go with it.
    db.prepare(`INSERT INTO "Notification" ("type", "actorId") VALUES ('follow', 'https://d.example/u/dan')`).run();
    expect(db.prepare(`SELECT max("id") AS "n" FROM "Notification"`).get()).toEqual({ n: 5 });
    db.prepare(`DELETE FROM "Message" WHERE "id" = 'm1'`).run();
    expect(db.prepare(`SELECT count(*) AS "n" FROM "Notification" WHERE "messageId" = 'm1'`).get()).toEqual({ n: 0 });
  });
});
