import type Database from "better-sqlite3";
import { blockedSteps } from "../../domain/incoming-store";
import { runSync } from "../../domain/sql-steps";
import { inboxCommitted } from "./signal";
import { inboundDb, sqlTime } from "./sqlite";

// The inbox's reads and its one write, as prepared statements on the front
// process's own connection (no Prisma on this path).
//
// The write is a group commit: every accepted activity of one event-loop turn
// is queued, and a setImmediate inserts them all in ONE transaction, then
// answers each. An activity is answered 202 only after its commit, so nothing
// answered is lost (kill -9 included); one commit per turn instead of one per
// request is what keeps the inbox fast under load (docs/BENCHMARKS.md has
// the measurements).

export type InboxInsert = { activityId: string; actorId: string; keyId: string; recipient: string | null; body: string };
/** "stored": committed now; "duplicate": that activity id was already here; "busy"/"failed": not stored, try again. */
export type InsertOutcome = "stored" | "duplicate" | "busy" | "failed";

type Statements = {
  knownActor: Database.Statement<[string], { one: number }>;
  owner: Database.Statement<[], { username: string }>;
  insert: Database.Statement<[string, string, string, string | null, string, string]>;
};
let statements: Statements | null = null;

function sql(): Statements {
  if (statements) return statements;
  const db = inboundDb();
  statements = {
    knownActor: db.prepare(`SELECT 1 AS one FROM "RemoteActor" WHERE "id" = ?`),
    owner: db.prepare(`SELECT "username" FROM "Owner" LIMIT 1`),
    insert: db.prepare(
      `INSERT INTO "InboxActivity" ("activityId", "actorId", "keyId", "recipient", "body", "receivedAt", "attempts")
       VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT ("activityId") DO NOTHING`,
    ),
  };
  return statements;
}

/** Is this actor (or its whole domain, subdomains included) blocked? The worker's and the Fedify path's own check. */
export function isBlockedSync(actorOrUrl: string): boolean {
  return runSync(inboundDb(), blockedSteps(actorOrUrl));
}

export function isKnownActor(id: string): boolean {
  return sql().knownActor.get(id) !== undefined;
}

/** The owner's username, or null before setup. The username never changes once set. */
let ownerName: string | null = null;
export function ownerUsername(): string | null {
  ownerName ??= sql().owner.get()?.username ?? null;
  return ownerName;
}

type Pending = { row: InboxInsert; receivedAt: string; resolve: (o: InsertOutcome) => void };
let queue: Pending[] = [];

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? "";
  return code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED");
}

/** How long accepted activities may wait for a locked database before the senders get 503. */
const BUSY_RETRY_MS = 3_000;

function flush(batch = queue, since = Date.now()): void {
  if (batch === queue) queue = [];
  const s = sql();
  let outcomes: InsertOutcome[];
  try {
    outcomes = inboundDb().transaction(() =>
      batch.map((p): InsertOutcome => {
        const r = p.row;
        return s.insert.run(r.activityId, r.actorId, r.keyId, r.recipient, r.body, p.receivedAt).changes > 0 ? "stored" : "duplicate";
      }),
    )();
  } catch (error) {
    // Locked, most often by a Prisma transaction on this same thread (lib/federation/inbound/sqlite.ts):
    // try again shortly rather than refuse, for a few seconds.
    if (isBusy(error) && Date.now() - since < BUSY_RETRY_MS) {
      setTimeout(() => flush(batch, since), 2);
      return;
    }
    if (!isBusy(error)) console.error("inbox: could not store accepted activities:", error);
    const outcome: InsertOutcome = isBusy(error) ? "busy" : "failed";
    for (const p of batch) p.resolve(outcome);
    return;
  }
  batch.forEach((p, i) => p.resolve(outcomes[i]));
  if (outcomes.includes("stored")) inboxCommitted();
}

/** Store an accepted activity with the others of this event-loop turn; resolves after the commit. */
export function storeActivity(row: InboxInsert): Promise<InsertOutcome> {
  return new Promise((resolve) => {
    if (queue.length === 0) setImmediate(() => flush());
    queue.push({ row, receivedAt: sqlTime(new Date()), resolve });
  });
}
