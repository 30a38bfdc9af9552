import type { MessageQueue, MessageQueueEnqueueOptions, MessageQueueListenOptions } from "@fedify/fedify";
import { db } from "../../db";
import { durationToMs } from "../kv-store";
import { waitForWake, wakeUp, wakeVersion } from "../wake-bus";

// Fedify's MessageQueue on the QueueMessage table. Fedify writes incoming
// activities here before the inbox answers 202, so the row must be committed
// before enqueue() resolves: a crash after the 202 must not lose the activity.
//
// Delivery is at-least-once. A listener claims a row by setting a lease
// (lockedUntil) with a compare-and-set UPDATE; a second listener, in this
// process or another, cannot claim it while the lease is live. The row is
// deleted only after the handler succeeded. If the worker dies mid-handler
// the lease runs out and another listener picks the row up again. Handlers
// must therefore tolerate a repeat (Fedify's inbox does, with its idempotence
// cache in the KvStore).
//
// Lanes: a listener runs `concurrency` handlers at once. A message may carry a
// group (the inbox's: the sending server) and a sequence (the sending actor),
// stored in their own columns when it is enqueued. The claim takes a message
// only while fewer than `groupLimit` messages of its group hold a live lease,
// and only when no other message of its sequence holds one and none older of
// its sequence is due: one group cannot fill every lane, and one sequence is
// handled in order. The check and the claim are one statement, so they hold
// across listeners and processes; an expired lease (a killed worker) counts
// for nothing, so crash recovery is unchanged.

export type SqliteMessageQueueOptions = {
  /** How often an idle listener looks for due messages (ms). Enqueues in this process wake it at once. */
  pollIntervalMs?: number;
  /** How long a claim lasts before another listener may take the message over (ms); renewed while the handler runs. */
  leaseMs?: number;
  /** After this many attempts a failing (or crash-causing) message is logged and dropped. */
  maxAttempts?: number;
  /** How many messages one listen() call handles at the same time. */
  concurrency?: number;
  /** Wait before retrying a message whose handler threw, by attempt number (1-based). */
  retryDelayMs?: (attempt: number) => number;
  /** How many messages of one group may be handled at the same time (across listeners). */
  groupLimit?: number;
  /** A message's group and sequence (see above); null for none. */
  keysOf?: (message: unknown) => { group: string | null; sequence: string | null };
  /** Runs around each handler call (e.g. to give it a time budget). */
  around?: (work: () => Promise<void>) => Promise<void>;
};

/** Rows per INSERT statement (SQLite allows 32,766 parameters; 6 per row). */
const INSERT_CHUNK = 500;

const DEFAULTS = {
  pollIntervalMs: 500,
  // Renewed every third of it while a handler runs, so it only needs to outlast a
  // stall of the event loop; it is also how long a message a killed server was
  // handling waits before the next start takes it up.
  leaseMs: 20_000,
  maxAttempts: 10,
  concurrency: 1,
  // 1 s, 2 s, 4 s, ... capped at 10 min. Fedify retries failed inbox work
  // itself (it re-enqueues with its own policy), so this is only a safety net.
  retryDelayMs: (attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 10 * 60_000),
  groupLimit: Number.MAX_SAFE_INTEGER,
  keysOf: () => ({ group: null, sequence: null }),
  around: (work: () => Promise<void>) => work(),
} satisfies Required<SqliteMessageQueueOptions>;

type Claimed = { id: number; attempts: number; payload: string };

export class SqliteMessageQueue implements MessageQueue {
  readonly name: string;
  readonly #opts: Required<SqliteMessageQueueOptions>;

  constructor(name: string, options: SqliteMessageQueueOptions = {}) {
    this.name = name;
    this.#opts = { ...DEFAULTS, ...options };
  }

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.enqueueMany([message], options);
  }

  /**
   * One INSERT for all, so a fan-out is committed together or not at all. It
   * runs in a transaction of its own: the connection is shared, and a plain
   * statement issued while another caller's interactive transaction is open
   * (the inbox worker storing a DM, say) would join that transaction, so it
   * would not be durable when this resolves (and Fedify answers 202) but only
   * at that transaction's COMMIT, and a rollback would take it along. Prisma
   * starts transactions one at a time, so inside ours nothing else is open.
   */
  async enqueueMany(messages: unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    if (messages.length === 0) return;
    const now = new Date();
    // The interface forbids negative delays; clamp rather than fail a fan-out.
    const delay = options?.delay ? Math.max(0, durationToMs(options.delay, now)) : 0;
    const availableAt = new Date(now.getTime() + delay);
    const rows = messages.map((m) => {
      const { group, sequence } = this.#opts.keysOf(m);
      return [this.name, JSON.stringify(m) ?? "null", availableAt, now, group, sequence] as const;
    });
    await db().$transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const chunk = rows.slice(i, i + INSERT_CHUNK);
        await tx.$executeRawUnsafe(
          `INSERT INTO "QueueMessage" ("queue", "payload", "availableAt", "attempts", "createdAt", "groupKey", "sequenceKey") VALUES ${chunk.map(() => "(?, ?, ?, 0, ?, ?, ?)").join(", ")}`,
          ...chunk.flat(),
        );
      }
    });
    wakeUp(this.name);
  }

  /**
   * Handle messages until `signal` aborts. Resolves (never rejects) once the
   * handlers in flight have finished.
   */
  async listen(handler: (message: any) => Promise<void> | void, options: MessageQueueListenOptions = {}): Promise<void> {
    const lanes = Array.from({ length: Math.max(1, this.#opts.concurrency) }, () => this.#lane(handler, options.signal));
    await Promise.all(lanes);
  }

  /** Messages of this queue still stored (due, delayed or claimed). For health checks and tests. */
  async size(): Promise<number> {
    return db().queueMessage.count({ where: { queue: this.name } });
  }

  async #lane(handler: (message: any) => Promise<void> | void, signal: AbortSignal | undefined): Promise<void> {
    while (!signal?.aborted) {
      // Taken before looking, so an enqueue that lands between "nothing due"
      // and the wait below still wakes us.
      const seen = wakeVersion(this.name);
      let claimed: Claimed | null = null;
      try {
        claimed = await this.#claim();
      } catch (error) {
        console.error(`queue ${this.name}: cannot claim a message:`, error);
      }
      if (claimed) {
        await this.#run(claimed, handler).catch((error) => {
          // A database error after the handler ran: the lease expires and the
          // message runs again, which at-least-once allows.
          console.error(`queue ${this.name}: message ${claimed.id} could not be settled:`, error);
        });
        continue;
      }
      await waitForWake(this.name, seen, this.#opts.pollIntervalMs, signal);
    }
  }

  /**
   * Claim the oldest due message its group and sequence allow (see above):
   * one UPDATE … RETURNING, which SQLite runs atomically, so of two listeners
   * (in this process or another) exactly one gets a given row, and no two
   * claims together pass a group's limit. Claiming sets the lease and counts
   * the attempt. Plain SQL rather than Prisma calls: this runs once per
   * message, and Prisma's query building costs more than SQLite's work here.
   */
  async #claim(): Promise<Claimed | null> {
    const now = new Date();
    const rows = await db().$queryRawUnsafe<{ id: bigint | number; attempts: bigint | number; payload: string }[]>(
      `UPDATE "QueueMessage" SET "lockedUntil" = ?, "attempts" = "attempts" + 1
        WHERE "id" = (SELECT m."id" FROM "QueueMessage" m
                       WHERE m."queue" = ? AND m."availableAt" <= ? AND (m."lockedUntil" IS NULL OR m."lockedUntil" <= ?)
                         AND (m."groupKey" IS NULL OR
                              (SELECT COUNT(*) FROM "QueueMessage" b
                                WHERE b."queue" = m."queue" AND b."groupKey" = m."groupKey" AND b."lockedUntil" > ?) < ?)
                         AND (m."sequenceKey" IS NULL OR NOT EXISTS
                              (SELECT 1 FROM "QueueMessage" s
                                WHERE s."queue" = m."queue" AND s."sequenceKey" = m."sequenceKey" AND s."id" <> m."id"
                                  AND (s."lockedUntil" > ? OR (s."id" < m."id" AND s."availableAt" <= ?))))
                       ORDER BY m."availableAt", m."id" LIMIT 1)
          AND ("lockedUntil" IS NULL OR "lockedUntil" <= ?)
        RETURNING "id", "attempts", "payload"`,
      new Date(now.getTime() + this.#opts.leaseMs),
      this.name,
      now,
      now,
      now,
      this.#opts.groupLimit,
      now,
      now,
      now,
    );
    const row = rows[0];
    return row ? { id: Number(row.id), attempts: Number(row.attempts), payload: row.payload } : null;
  }

  async #run(msg: Claimed, handler: (message: any) => Promise<void> | void): Promise<void> {
    const mine = { id: msg.id, attempts: msg.attempts }; // still our claim?
    if (msg.attempts > this.#opts.maxAttempts) {
      // Claimed this often without ever finishing: it probably kills the worker.
      console.error(`queue ${this.name}: message ${msg.id} dropped after ${msg.attempts - 1} attempts that never finished`);
      await db().queueMessage.deleteMany({ where: mine });
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(msg.payload);
    } catch (error) {
      console.error(`queue ${this.name}: message ${msg.id} dropped, its payload is not JSON:`, error);
      await db().queueMessage.deleteMany({ where: mine });
      return;
    }

    // Renew the lease while the handler runs, so a slow handler is not taken
    // for a dead one and run twice.
    let renewing: Promise<unknown> = Promise.resolve();
    const renew = setInterval(() => {
      renewing = db()
        .$executeRawUnsafe(`UPDATE "QueueMessage" SET "lockedUntil" = ? WHERE "id" = ? AND "attempts" = ?`, new Date(Date.now() + this.#opts.leaseMs), msg.id, msg.attempts)
        .catch((error) => console.error(`queue ${this.name}: cannot renew the lease of message ${msg.id}:`, error));
    }, Math.max(50, Math.floor(this.#opts.leaseMs / 3)));
    renew.unref();

    let failure: unknown = null;
    let failed = false;
    try {
      await this.#opts.around(async () => {
        await handler(message);
      });
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      clearInterval(renew);
      // A renewal landing after the release below would hide the message for a lease.
      await renewing;
    }

    if (!failed) {
      // Done, whoever holds the lease now: the work happened.
      await db().$executeRawUnsafe(`DELETE FROM "QueueMessage" WHERE "id" = ?`, msg.id);
      // A lane waiting because this message's group or sequence was busy may go on.
      wakeUp(this.name);
      return;
    }
    if (msg.attempts >= this.#opts.maxAttempts) {
      console.error(`queue ${this.name}: message ${msg.id} dropped after ${msg.attempts} failed attempts:`, failure);
      await db().queueMessage.deleteMany({ where: mine });
      return;
    }
    const delay = this.#opts.retryDelayMs(msg.attempts);
    console.warn(`queue ${this.name}: message ${msg.id} failed (attempt ${msg.attempts}), retrying in ${delay} ms:`, failure);
    await db().queueMessage.updateMany({
      where: mine,
      data: { lockedUntil: null, availableAt: new Date(Date.now() + delay) },
    });
    wakeUp(this.name);
  }
}
