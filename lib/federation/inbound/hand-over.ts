import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { env } from "../../env";
import { sqlTime } from "./sqlite";

// What the fast path does not handle itself goes to Fedify's inbox queue (the
// QueueMessage table, lib/federation/inbound/message-queue.ts), in the form Fedify's
// own inbox would have enqueued it after checking the signature (Fedify 1.5's
// InboxMessage), so its listeners (lib/federation/inbound/inbox-listeners.ts) run as
// before. The row is inserted inside the worker's transaction: the activity
// is marked done here and queued there in one commit, or neither.

export type HandOver = { activity: unknown; actorId: string; recipient: string | null };

let insert: Database.Statement | null = null;
let insertFor: Database.Database | null = null;

export function handToFedify(db: Database.Database, item: HandOver, now = new Date()): void {
  if (insertFor !== db) {
    insert = db.prepare(
      `INSERT INTO "QueueMessage" ("queue", "payload", "availableAt", "attempts", "createdAt", "groupKey", "sequenceKey")
       VALUES ('inbox', ?, ?, 0, ?, ?, ?)`,
    );
    insertFor = db;
  }
  const message = {
    type: "inbox",
    id: randomUUID(),
    baseUrl: env().origin,
    activity: item.activity,
    started: now.toISOString(),
    attempt: 0,
    identifier: item.recipient,
    traceContext: {},
  };
  let group: string | null = null;
  try {
    group = new URL(item.actorId).host;
  } catch {
    // keyed by actor only
  }
  insert!.run(JSON.stringify(message), sqlTime(now), sqlTime(now), group, item.actorId);
}
