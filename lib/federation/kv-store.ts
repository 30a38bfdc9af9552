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

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const id = encodeKey(key);
    const row = await db().kvEntry.findUnique({ where: { key: id } });
    if (!row) return undefined;
    const now = this.now();
    if (row.expiresAt && row.expiresAt <= now) {
      // Conditional, so a fresh value written in between is not removed.
      await db().kvEntry.deleteMany({ where: { key: id, expiresAt: { lte: now } } });
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
    await db().kvEntry.upsert({
      where: { key: id },
      create: { key: id, value: json, expiresAt },
      update: { value: json, expiresAt },
    });
    if (now.getTime() - this.#lastPurge >= PURGE_EVERY_MS) {
      this.#lastPurge = now.getTime();
      await this.purgeExpired();
    }
  }

  async delete(key: KvKey): Promise<void> {
    await db().kvEntry.deleteMany({ where: { key: encodeKey(key) } });
  }

  /** Delete every expired entry; returns how many. Cheap: expiresAt is indexed. */
  async purgeExpired(): Promise<number> {
    const { count } = await db().kvEntry.deleteMany({ where: { expiresAt: { lte: this.now() } } });
    return count;
  }
}

/** A KvKey as the primary key: JSON keeps the parts apart (no separator can collide). */
export function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}
