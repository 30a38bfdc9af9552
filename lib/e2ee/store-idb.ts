// The browser's store: one IndexedDB database per owner with one object store
// of records, and the Web Locks API for the critical section, so two tabs of
// the same profile never sync or send from the same group state. The only file
// of lib/e2ee that touches browser-only APIs.
import { queueLock, type E2eeStore, type StoreBatch, type StoredValue } from "./store";

const RECORDS = "records";

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("The browser's database refused the request."));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("The browser's database dropped the change."));
    tx.onerror = () => reject(tx.error ?? new Error("The browser's database dropped the change."));
  });
}

function open(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(RECORDS)) req.result.createObjectStore(RECORDS);
  };
  return request(req);
}

/** `name` tells owners apart when one browser profile signs in to two Moiety servers. */
export async function createIndexedDbStore(name: string): Promise<E2eeStore> {
  const dbName = `moiety-e2ee:${name}`;
  const db = await open(dbName);
  const fallbackLock = queueLock();
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;

  return {
    async get(key) {
      const tx = db.transaction(RECORDS, "readonly");
      return (await request(tx.objectStore(RECORDS).get(key))) as StoredValue | undefined;
    },
    async list(prefix) {
      const tx = db.transaction(RECORDS, "readonly");
      const store = tx.objectStore(RECORDS);
      const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
      const [keys, values] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
      return keys.map((key, i) => [String(key), values[i] as StoredValue]);
    },
    async write(batch: StoreBatch) {
      // One readwrite transaction: IndexedDB applies all of it or none.
      const tx = db.transaction(RECORDS, "readwrite");
      const store = tx.objectStore(RECORDS);
      for (const key of batch.delete ?? []) store.delete(key);
      for (const [key, value] of batch.put ?? []) store.put(value, key);
      await done(tx);
    },
    async clear() {
      const tx = db.transaction(RECORDS, "readwrite");
      tx.objectStore(RECORDS).clear();
      await done(tx);
    },
    lock<T>(fn: () => Promise<T>): Promise<T> {
      // Without Web Locks (old browsers) only this tab is kept in order.
      if (!locks) return fallbackLock(fn);
      return locks.request(dbName, { mode: "exclusive" }, fn) as Promise<T>;
    },
  };
}
