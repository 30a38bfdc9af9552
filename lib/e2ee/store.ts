// Where the engine keeps its records: a flat key → value map with prefix
// listing, atomic batches and one lock. Two implementations: store-idb.ts (the
// browser) and store-memory.ts (tests, and browsers without IndexedDB).
// Values are either sealed bytes (every record but one) or the sealing key
// itself, a CryptoKey that IndexedDB keeps as a structured clone.

export type StoredValue = Uint8Array | CryptoKey;

export type StoreBatch = { put?: [string, StoredValue][]; delete?: string[] };

export interface E2eeStore {
  get(key: string): Promise<StoredValue | undefined>;
  /** Every record whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<[string, StoredValue][]>;
  /** All of the batch or none of it: a reader never sees part of one. */
  write(batch: StoreBatch): Promise<void>;
  clear(): Promise<void>;
  /**
   * Runs `fn` while no other holder of this store's lock (another engine, another
   * tab) runs; sync and send run inside it so no two of them start from the same
   * group state (docs/E2EE.md: two sends from one state reuse a generation).
   */
  lock<T>(fn: () => Promise<T>): Promise<T>;
}

/** A lock for one page: a queue of promises. Shared by every user of the same object. */
export function queueLock(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
