import type Database from "better-sqlite3";
import { applyActivity, type InboxRow, type Outcome } from "./apply";
import { handedToFedify, inboxStored, onInboxCommitted } from "./signal";
import { checkpointOffThread, inboundDb, sqlTime } from "./sqlite";

// The fast inbox's worker, in the front process: it takes accepted activities
// in the order they were committed, a batch at a time, and applies each batch
// in ONE transaction that also marks its rows done — so every accepted
// activity is applied exactly once, and a crash (kill -9 included) rolls back
// to a batch that is simply taken again at the next start. No leases: this
// process is the only one that applies InboxActivity rows.
//
// It shares the event loop with the accepting side, so a batch stops after
// 8 ms and the loop yields between batches: POSTs keep being answered. (On a
// thread of its own, with its own connection, it was slower: both sides then
// wait for SQLite's one write lock, docs/BENCHMARKS.md.)

const BATCH = 64;
const POLL_MS = 2_000;
/** A row whose apply threw this many times is set aside with its error, so it cannot block the queue. */
const MAX_ATTEMPTS = 3;
/** Done rows stay this long: a repeat of the same activity id is recognised and dropped meanwhile. */
const KEEP_DONE_MS = 24 * 60 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;

type Statements = {
  claim: Database.Statement<[number], InboxRow>;
  done: Database.Statement<[string, string, number]>;
  failed: Database.Statement<[string, number]>;
  prune: Database.Statement<[string]>;
};

function statements(db: Database.Database): Statements {
  return {
    claim: db.prepare(
      `SELECT "seq", "activityId", "actorId", "keyId", "recipient", "body", "receivedAt", "attempts"
         FROM "InboxActivity" WHERE "doneAt" IS NULL ORDER BY "seq" LIMIT ?`,
    ),
    done: db.prepare(`UPDATE "InboxActivity" SET "doneAt" = ?, "outcome" = ? WHERE "seq" = ?`),
    failed: db.prepare(`UPDATE "InboxActivity" SET "attempts" = "attempts" + 1, "outcome" = ? WHERE "seq" = ?`),
    prune: db.prepare(`DELETE FROM "InboxActivity" WHERE "doneAt" IS NOT NULL AND "doneAt" < ?`),
  };
}

/**
 * A batch stops taking rows after this long and commits: the accepting side
 * shares this thread, so a long batch would hold every POST's answer.
 */
const BATCH_MS = 8;

/** `rows`: rows handled (done or to retry); `more`: the batch stopped before the pending rows ran out. */
export type BatchResult = { rows: number; more: boolean; outcomes: Record<string, number> };

/**
 * Apply up to `limit` pending activities in one transaction, stopping early
 * once `budgetMs` has been spent (the worker passes BATCH_MS). Exported for tests.
 */
export function applyPendingBatch(
  db: Database.Database,
  { s = statements(db), limit = BATCH, budgetMs = Infinity }: { s?: Statements; limit?: number; budgetMs?: number } = {},
): BatchResult {
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  let handled = 0;
  const claimed = db.transaction(() => {
    const rows = s.claim.all(limit);
    const now = sqlTime(new Date());
    for (const row of rows) {
      if (handled > 0 && performance.now() - started > budgetMs) break;
      handled++;
      let outcome: Outcome | string;
      try {
        // A savepoint per row: a row that throws undoes only its own writes.
        outcome = db.transaction(() => applyActivity(db, row))();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (row.attempts + 1 < MAX_ATTEMPTS) {
          s.failed.run(`error: ${message}`.slice(0, 500), row.seq);
          outcomes.retry = (outcomes.retry ?? 0) + 1;
          continue;
        }
        console.error(`inbox: activity ${row.activityId} set aside after ${MAX_ATTEMPTS} failures: ${message}`);
        outcome = `error: ${message}`.slice(0, 500);
      }
      s.done.run(now, outcome, row.seq);
      const key = outcome.startsWith("error") ? "error" : outcome;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    return rows.length;
  }).immediate();
  return { rows: handled, more: handled < claimed || claimed === limit, outcomes };
}

export type LoopHooks = {
  /** Call `wake` whenever activities were committed; returns how to stop listening. */
  subscribe: (wake: () => void) => () => void;
  /** After each batch that did something. */
  report?: (result: BatchResult) => void;
};

/** Take batches until `signal` aborts; resolves after the batch in progress has committed. */
export async function runInboundLoop(db: Database.Database, hooks: LoopHooks, signal?: AbortSignal): Promise<void> {
  const s = statements(db);
  let wake: (() => void) | null = null;
  let woken = false;
  const off = hooks.subscribe(() => {
    woken = true;
    wake?.();
  });
  const abort = () => wake?.();
  signal?.addEventListener("abort", abort);
  let lastPrune = 0;
  try {
    while (!signal?.aborted) {
      woken = false;
      let result: BatchResult;
      try {
        result = applyPendingBatch(db, { s, budgetMs: BATCH_MS });
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          s.prune.run(sqlTime(new Date(Date.now() - KEEP_DONE_MS)));
        }
      } catch (error) {
        // The database is locked (a Prisma transaction, another process's write):
        // wait a moment without blocking the thread, and take the batch again.
        const code = (error as { code?: string })?.code ?? "";
        if (!code.startsWith("SQLITE_BUSY") && !code.startsWith("SQLITE_LOCKED")) console.error("inbox: a batch failed and will be retried:", error);
        await new Promise((r) => setTimeout(r, code ? 25 : 500));
        continue;
      }
      if (result.rows > 0) hooks.report?.(result);
      if (result.more || (result.rows > 0 && woken)) {
        // More is waiting: let the POSTs that arrived meanwhile in first.
        await new Promise((r) => setImmediate(r));
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, POLL_MS);
        function done() {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
        wake = done;
        if (woken || signal?.aborted) done();
      });
    }
  } finally {
    off();
    signal?.removeEventListener("abort", abort);
  }
}

/** How often, before the worker has started, the table is looked at for rows another process wrote. */
const IDLE_POLL_MS = 2_000;

/**
 * Run until `signal` aborts; resolves once the batch in progress has
 * committed. The loop (and the checkpoint thread, sqlite.ts) start with the
 * first accepted activity, or at once when some wait from before a restart:
 * an instance that receives nothing keeps that memory.
 */
export function startInboundWorker(options: { signal?: AbortSignal } = {}): Promise<void> {
  return new Promise((resolve) => {
    let started = false;
    const pending = inboundDb().prepare(`SELECT 1 FROM "InboxActivity" WHERE "doneAt" IS NULL LIMIT 1`);
    const start = () => {
      if (started || options.signal?.aborted) return;
      started = true;
      offFirst();
      clearInterval(poll);
      checkpointOffThread();
      const hooks: LoopHooks = {
        subscribe: onInboxCommitted,
        report: (result) => {
          if (result.outcomes.stored) inboxStored();
          if (result.outcomes.fedify) handedToFedify();
        },
      };
      void runInboundLoop(inboundDb(), hooks, options.signal).then(resolve);
    };
    const offFirst = onInboxCommitted(start);
    // Rows written by another process (a restored backup, a test) are found as the loop's own poll would find them.
    const poll = setInterval(() => {
      if (pending.get()) start();
    }, IDLE_POLL_MS);
    options.signal?.addEventListener("abort", () => {
      if (started) return;
      offFirst();
      clearInterval(poll);
      resolve();
    });
    if (pending.get()) start();
  });
}
