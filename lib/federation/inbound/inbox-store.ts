import type Database from "better-sqlite3";
import { isBlockedOn } from "./blocks";
import { applyHere, type Outcome } from "./apply";
import { inboxCommitted, inboxStored } from "./signal";
import { checkpointOffThread, inboundDb, sqlTime } from "./sqlite";

// The inbox's reads and its one write, as prepared statements on the front
// process's own connection (no Prisma on this path).
//
// The write is a group commit: every accepted activity of one event-loop turn
// is queued, and a setImmediate handles them all in ONE transaction, then
// answers each. An activity is answered 202 only after its commit, so nothing
// answered is lost (kill -9 included); one commit per turn instead of one per
// request is what keeps the inbox fast under load (docs/BENCHMARKS.md has
// the measurements).
//
// What the worker would apply without a fetch — a DM, an edit or a delete
// from a cached sender (apply.ts) — is applied right there, inside that
// commit, when no stored activity is waiting before it: the 202 then means
// "stored", and the body is never written to the queue table. Everything else
// (and everything while a backlog waits, so the order holds) is inserted into
// InboxActivity for the worker (worker.ts). An applied activity needs no row
// for idempotence: a repeated Create finds its message, a repeated Update is
// not newer, a repeated Delete finds the message gone.

export type InboxInsert = {
  activityId: string;
  actorId: string;
  keyId: string;
  recipient: string | null;
  body: string;
  /** The parsed body, when it may be applied at once. */
  activity?: unknown;
};
/**
 * "stored": committed now (queued, or applied and it changed something);
 * "duplicate": already here, or applied and it changed nothing; "busy"/"failed": not stored, try again.
 */
export type InsertOutcome = "stored" | "duplicate" | "busy" | "failed";

type Statements = {
  knownActor: Database.Statement<[string], { one: number }>;
  owner: Database.Statement<[], { username: string }>;
  insert: Database.Statement<[string, string, string, string | null, string, string]>;
  waiting: Database.Statement<[], { one: number }>;
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
    waiting: db.prepare(`SELECT 1 AS one FROM "InboxActivity" WHERE "doneAt" IS NULL LIMIT 1`),
  };
  return statements;
}

/** Is this actor (or its whole domain, subdomains included) blocked? */
export function isBlockedSync(actorOrUrl: string): boolean {
  return isBlockedOn(inboundDb(), actorOrUrl);
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
  const db = inboundDb();
  type Result = { outcome: InsertOutcome; applied: Outcome | null };
  let results: Result[];
  try {
    results = db.transaction(() => {
      let waiting = s.waiting.get() !== undefined;
      return batch.map(({ row: r, receivedAt }): Result => {
        const applied = waiting || r.activity === undefined ? null : applyNow(db, r);
        if (applied) return { outcome: applied === "stored" ? "stored" : "duplicate", applied };
        const inserted = s.insert.run(r.activityId, r.actorId, r.keyId, r.recipient, r.body, receivedAt).changes > 0;
        // From here on the worker's queue is not empty: later activities wait their turn behind this one.
        if (inserted) waiting = true;
        return { outcome: inserted ? "stored" : "duplicate", applied: null };
      });
    })();
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
  batch.forEach((p, i) => p.resolve(results[i].outcome));
  if (results.some((r) => r.applied === "stored")) inboxStored();
  if (results.some((r) => r.applied === null && r.outcome === "stored")) inboxCommitted();
  // The WAL grows with every commit, applied or queued: it is checkpointed off this thread either way.
  checkpointOffThread();
}

/** Apply an accepted activity in a savepoint of the group commit; null when it is the worker's (or Fedify's) to handle. */
function applyNow(db: Database.Database, row: InboxInsert): Outcome | null {
  try {
    const outcome = db.transaction(() => applyHere(db, row.actorId, row.activity))();
    return outcome === "fedify" ? null : outcome;
  } catch (error) {
    // The worker takes it again from the queue, and sets it aside after a few failures.
    console.error(`inbox: activity ${row.activityId} could not be applied at once, queued:`, error);
    return null;
  }
}

/** Store an accepted activity with the others of this event-loop turn; resolves after the commit. */
export function storeActivity(row: InboxInsert): Promise<InsertOutcome> {
  return new Promise((resolve) => {
    if (queue.length === 0) setImmediate(() => flush());
    queue.push({ row, receivedAt: sqlTime(new Date()), resolve });
  });
}
