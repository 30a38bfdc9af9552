import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlTime } from "@/lib/domain/sql-steps";
import { isBlockedSync, storeActivity, type InboxInsert } from "@/lib/federation/inbound/inbox-store";
import { closeInboundDb } from "@/lib/federation/inbound/sqlite";
import { applyPendingBatch } from "@/lib/federation/inbound/worker";
import { loadFixture, type Fixture } from "../activitypub/load-fixture";

// The accepting side's group commit (lib/federation/inbound/inbox-store.ts) on
// a real SQLite file with every migration: a DM the worker would apply without
// a fetch is applied inside the commit that answers its POST, anything else is
// queued, and nothing jumps the queue while activities wait in it. No worker
// runs here, so what is queued stays queued until the test applies it.

const SENDER = "https://mastodon.example/ap/users/115521409425946651";
const STRANGER = "https://elsewhere.example/users/eve";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moiety-inbox-store-"));
process.env.MOIETY_DATA_DIR = dir;
process.env.MOIETY_ORIGIN = "https://ours.example";

let db: Database.Database; // the test's own connection: another connection, as the app's would be

function dm(n: number, from = SENDER, text = "are we still on for Friday?"): Fixture {
  const create = loadFixture("mastodon-dm-create.json");
  const id = `${from}/statuses/${n}`;
  create.id = `${id}/activity`;
  create.actor = create.object.attributedTo = from;
  create.object.id = create.object.atomUri = id;
  create.object.content = `<p>${text}</p>`;
  delete create.object.contentMap;
  return create;
}

function editOf(create: Fixture, text: string): Fixture {
  return { ...create, id: `${create.object.id}#updates/1`, type: "Update", object: { ...create.object, content: `<p>${text}</p>`, updated: "2025-11-21T00:00:00Z" } };
}

function row(activity: Fixture): InboxInsert {
  const actorId = String(activity.actor);
  return { activityId: String(activity.id), actorId, keyId: `${actorId}#main-key`, recipient: null, body: JSON.stringify(activity), activity };
}

const count = (table: string) => db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number;
const textOf = (objectId: string) => db.prepare(`SELECT "text" FROM "Message" WHERE "objectId" = ?`).pluck().get(objectId) as string | undefined;

beforeAll(() => {
  db = new Database(path.join(dir, "moiety.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  const migrations = path.join(__dirname, "../../../prisma/migrations");
  for (const name of fs.readdirSync(migrations).filter((n) => !n.endsWith(".toml")).sort()) {
    db.exec(fs.readFileSync(path.join(migrations, name, "migration.sql"), "utf8"));
  }
  const now = sqlTime(new Date());
  db.prepare(`INSERT INTO "Owner" ("id", "username", "displayName", "passwordHash", "createdAt", "updatedAt") VALUES (1, 'dave', 'Dave', 'x', ?, ?)`).run(now, now);
  db.prepare(`INSERT INTO "RemoteActor" ("id", "host", "inbox", "followersUrl", "gone", "fetchedAt") VALUES (?, ?, ?, ?, 0, ?)`).run(
    SENDER,
    new URL(SENDER).host,
    `${SENDER}/inbox`,
    `${SENDER}/followers`,
    now,
  );
});

afterAll(async () => {
  await closeInboundDb();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the inbox's group commit", () => {
  it("applies a DM from a cached sender in the commit that answers it, keeping no copy of its body", async () => {
    const create = dm(1);
    expect(await storeActivity(row(create))).toBe("stored");
    expect(textOf(create.object.id)).toBe("are we still on for Friday?");
    expect(count("Notification")).toBe(1);
    expect(count("InboxActivity")).toBe(0);
    // A repeat changes nothing and is answered as one.
    expect(await storeActivity(row(create))).toBe("duplicate");
    expect(count("Message")).toBe(1);
    expect(count("Notification")).toBe(1);
  });

  it("queues what needs a fetch (an unknown sender) for the worker instead", async () => {
    const create = dm(2, STRANGER);
    expect(await storeActivity(row(create))).toBe("stored");
    expect(textOf(create.object.id)).toBeUndefined();
    expect(db.prepare(`SELECT "activityId" FROM "InboxActivity" WHERE "doneAt" IS NULL`).pluck().all()).toEqual([create.id]);
    applyPendingBatch(db);
    expect(count("InboxActivity")).toBe(1); // handed to Fedify by the worker, kept as done
    expect(db.prepare(`SELECT "outcome" FROM "InboxActivity"`).pluck().get()).toBe("fedify");
  });

  it("keeps the order while activities wait: an edit queues behind the waiting DM it edits", async () => {
    const create = dm(3);
    const edit = editOf(dm(3), "make it Saturday");
    // The DM waits in the queue (the worker has not run), then the edit arrives.
    db.prepare(`INSERT INTO "InboxActivity" ("activityId", "actorId", "keyId", "recipient", "body") VALUES (?, ?, ?, NULL, ?)`).run(
      create.id,
      SENDER,
      `${SENDER}#main-key`,
      JSON.stringify(create),
    );
    expect(await storeActivity(row(edit))).toBe("stored");
    expect(textOf(create.object.id)).toBeUndefined(); // applied at once, the edit would have found nothing to edit
    applyPendingBatch(db);
    expect(textOf(create.object.id)).toBe("make it Saturday");
  });

  it("sees a block written by another connection from the next event-loop turn on", async () => {
    const other = "https://blocked.example/users/mallory";
    expect(isBlockedSync(other)).toBe(false);
    db.prepare(`INSERT INTO "Block" ("kind", "value", "createdAt") VALUES ('domain', 'blocked.example', ?)`).run(sqlTime(new Date()));
    await new Promise((r) => setImmediate(r));
    expect(isBlockedSync(other)).toBe(true);
    expect(isBlockedSync("https://sub.blocked.example/users/x")).toBe(true);
    expect(isBlockedSync(SENDER)).toBe(false);
  });
});
