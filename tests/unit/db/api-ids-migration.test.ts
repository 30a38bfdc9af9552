import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";

// The api_ids migration on a real SQLite file: existing rows get ids in the
// order they were written, and every later insert gets a larger one, whoever
// inserts it (a trigger, not application code).

const MIGRATIONS = path.join(__dirname, "../../../prisma/migrations");
const TARGET = "20261202160000_api_ids";

function migrate(db: Database.Database, upTo: (name: string) => boolean) {
  for (const name of fs.readdirSync(MIGRATIONS).filter((n) => !n.endsWith(".toml")).sort()) {
    if (upTo(name)) db.exec(fs.readFileSync(path.join(MIGRATIONS, name, "migration.sql"), "utf8"));
  }
}

function addConversation(db: Database.Database, id: string, at: string) {
  db.prepare(`INSERT INTO "Conversation" ("id", "participantKey", "lastMessageAt", "createdAt") VALUES (?, 'k', ?, ?)`).run(id, at, at);
}

function addMessage(db: Database.Database, id: string, conversationId: string, published: string) {
  db.prepare(
    `INSERT INTO "Message" ("id", "conversationId", "objectId", "direction", "authorId", "html", "text", "published", "createdAt")
     VALUES (?, ?, ?, 'in', 'https://a.example/u/bob', '<p>x</p>', 'x', ?, ?)`,
  ).run(id, conversationId, `https://a.example/n/${id}`, published, published);
}

const idOf = (db: Database.Database, table: string, id: string) =>
  (db.prepare(`SELECT "apiId" FROM "${table}" WHERE "id" = ?`).safeIntegers(true).get(id) as { apiId: bigint | null }).apiId;

describe("api ids migration", () => {
  it("numbers existing rows by time and gives every new row a larger id", () => {
    const db = new Database(":memory:");
    migrate(db, (n) => n < TARGET);
    addConversation(db, "c1", "2026-01-01T10:00:00.000+00:00");
    // Two messages in the same millisecond, and one earlier inserted later.
    addMessage(db, "m2", "c1", "2026-01-01T10:00:05.000+00:00");
    addMessage(db, "m3", "c1", "2026-01-01T10:00:05.000+00:00");
    addMessage(db, "m1", "c1", "2026-01-01T10:00:01.000+00:00");
    db.prepare(`INSERT INTO "RemoteActor" ("id", "host", "inbox", "fetchedAt") VALUES ('https://a.example/u/bob', 'a.example', 'https://a.example/inbox', '2026-01-01T09:00:00.000+00:00')`).run();
    migrate(db, (n) => n === TARGET);

    const ms = BigInt(Date.parse("2026-01-01T10:00:05.000Z"));
    expect(idOf(db, "Message", "m2")).toBe(ms << 16n);
    expect(idOf(db, "Message", "m3")).toBe((ms << 16n) + 1n);
    expect(idOf(db, "Message", "m1")).toBe(BigInt(Date.parse("2026-01-01T10:00:01.000Z")) << 16n);
    expect(idOf(db, "Conversation", "c1")).toBe(BigInt(Date.parse("2026-01-01T10:00:00.000Z")) << 16n);
    expect(idOf(db, "RemoteActor", "https://a.example/u/bob")).toBe(BigInt(Date.parse("2026-01-01T09:00:00.000Z")) << 16n);

    const before = BigInt(Date.now()) << 16n;
    addMessage(db, "m4", "c1", "2025-06-01T00:00:00.000+00:00");
    addMessage(db, "m5", "c1", "2025-06-01T00:00:00.000+00:00");
    addConversation(db, "c2", "2020-01-01T00:00:00.000+00:00");
    const m4 = idOf(db, "Message", "m4")!;
    const m5 = idOf(db, "Message", "m5")!;
    expect(m4).toBeGreaterThanOrEqual(before);
    expect(m5).toBeGreaterThan(m4);
    expect(idOf(db, "Conversation", "c2")!).toBeGreaterThanOrEqual(before);
    // A row given an id explicitly keeps it.
    db.prepare(`INSERT INTO "RemoteActor" ("id", "host", "inbox", "apiId") VALUES ('https://b.example/u/eve', 'b.example', 'https://b.example/inbox', 42)`).run();
    expect(idOf(db, "RemoteActor", "https://b.example/u/eve")).toBe(42n);
    // Beyond JavaScript's safe integers (the API sends them as strings), within SQLite's 64 bits until the year 6429.
    expect(m5 < 2n ** 63n).toBe(true);
  });
});
