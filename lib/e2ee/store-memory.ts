// The in-memory store: for tests and for browsers without IndexedDB (then
// nothing survives a reload). Values are copied in and out, as IndexedDB's
// structured clone would, so a caller never edits a stored record in place.
import { queueLock, type E2eeStore, type StoreBatch, type StoredValue } from "./store";

const copy = (value: StoredValue): StoredValue => (value instanceof Uint8Array ? value.slice() : value);

export function createMemoryStore(): E2eeStore & { raw: Map<string, StoredValue> } {
  const raw = new Map<string, StoredValue>();
  const lock = queueLock();
  return {
    raw,
    async get(key) {
      const value = raw.get(key);
      return value === undefined ? undefined : copy(value);
    },
    async list(prefix) {
      return [...raw.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => [key, copy(value)] as [string, StoredValue]);
    },
    async write(batch: StoreBatch) {
      // Synchronous from here on: no reader can run between two of these lines.
      for (const key of batch.delete ?? []) raw.delete(key);
      for (const [key, value] of batch.put ?? []) raw.set(key, copy(value));
    },
    async clear() {
      raw.clear();
    },
    lock,
  };
}
