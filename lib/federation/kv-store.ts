import type { KvKey, KvStore, KvStoreSetOptions } from "@fedify/fedify";
import { db } from "../db";

// Fedify's key-value store on the app's own SQLite database (table KvEntry).
// Fedify keeps public-key caches, remote documents and activity idempotence
// marks here; they must survive restarts, or a restart would re-process
// activities it already handled. Fedify's own SQLite store needs node:sqlite
// (Node 22), hence this one.

/** The subset of Temporal.Duration we need; Fedify passes polyfill Durations. */
type DurationLike = { total(options: { unit: "millisecond"; relativeTo?: string }): number };

/**
 * A Temporal.Duration in milliseconds. Durations with months or years only
 * have a length relative to a date; measure them from now (in UTC), which is
 * what "expire one month from now" means.
 */
export function durationToMs(duration: DurationLike, now: Date = new Date()): number {
  // The polyfill parses "…Z[UTC]" as a ZonedDateTime, so no Temporal import is needed here.
  return duration.total({ unit: "millisecond", relativeTo: `${now.toISOString()}[UTC]` });
}

/** Purge everything expired at most this often, from set() (reads purge their own key). */
const PURGE_EVERY_MS = 60 * 60_000;

export class SqliteKvStore implements KvStore {
  #lastPurge = 0;

  /** `now` is for tests; production uses the wall clock. */
  constructor(private readonly now: () => Date = () => new Date()) {}

  // Plain SQL rather than Prisma's query builder: Fedify reads and writes
  // here several times per inbox activity, and building a Prisma query costs
  // more than SQLite's work. Dates are bound as Date, which the adapter
  // stores in the same ISO form as Prisma does.

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const id = encodeKey(key);
    const rows = await db().$queryRawUnsafe<{ value: string; expiresAt: Date | string | number | null }[]>(
      `SELECT "value", "expiresAt" FROM "KvEntry" WHERE "key" = ?`,
      id,
    );
    const row = rows[0];
    if (!row) return undefined;
    const now = this.now();
    if (row.expiresAt !== null && toDate(row.expiresAt) <= now) {
      // Conditional, so a fresh value written in between is not removed.
      await db().$executeRawUnsafe(`DELETE FROM "KvEntry" WHERE "key" = ? AND "expiresAt" <= ?`, id, now);
      return undefined;
    }
    return JSON.parse(row.value) as T;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const now = this.now();
    const id = encodeKey(key);
    // JSON has no undefined; store it as null rather than failing.
    const json = JSON.stringify(value) ?? "null";
    const expiresAt = options?.ttl ? new Date(now.getTime() + Math.max(0, durationToMs(options.ttl, now))) : null;
    await db().$executeRawUnsafe(
      `INSERT INTO "KvEntry" ("key", "value", "expiresAt") VALUES (?, ?, ?)
       ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value", "expiresAt" = excluded."expiresAt"`,
      id,
      json,
      expiresAt,
    );
    if (now.getTime() - this.#lastPurge >= PURGE_EVERY_MS) {
      this.#lastPurge = now.getTime();
      await this.purgeExpired();
    }
  }

  async delete(key: KvKey): Promise<void> {
    await db().$executeRawUnsafe(`DELETE FROM "KvEntry" WHERE "key" = ?`, encodeKey(key));
  }

  /** Delete every expired entry; returns how many. Cheap: expiresAt is indexed. */
  async purgeExpired(): Promise<number> {
    const { count } = await db().kvEntry.deleteMany({ where: { expiresAt: { lte: this.now() } } });
    return count;
  }
}

/** A DateTime column as the raw query returns it (a Date, or the stored ISO text). */
function toDate(v: Date | string | number): Date {
  return v instanceof Date ? v : new Date(v);
}

/** A KvKey as the primary key: JSON keeps the parts apart (no separator can collide). */
export function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}
