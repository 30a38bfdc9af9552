// Sealed JSON records over an E2eeStore: every record the engine keeps is
// sealed (seal.ts) except the sealing key itself. Writes are collected in a
// Batch and land together, so a reader sees a group state, its messages and the
// stream cursor either all before or all after one envelope.
import { createSealingKey, seal, SealError, unseal } from "./seal";
import type { E2eeStore, StoredValue } from "./store";

const KEY_RECORD = "sealing-key";
const utf8 = new TextEncoder();

export class Batch {
  readonly puts = new Map<string, unknown>();
  readonly deletes = new Set<string>();
  put(name: string, value: unknown): this {
    this.deletes.delete(name);
    this.puts.set(name, value);
    return this;
  }
  delete(name: string): this {
    this.puts.delete(name);
    this.deletes.add(name);
    return this;
  }
}

export class Vault {
  constructor(readonly store: E2eeStore) {}

  /** Read on every use rather than cached: another engine over the same store may have wiped it. */
  private async sealingKey(create: boolean): Promise<CryptoKey | null> {
    const found = await this.store.get(KEY_RECORD);
    if (found !== undefined) {
      if (found instanceof Uint8Array) throw new SealError("The stored sealing key is not a key; the browser's store is damaged.");
      return found;
    }
    if (!create) return null;
    const key = await createSealingKey();
    await this.store.write({ put: [[KEY_RECORD, key]] });
    return key;
  }

  private async open<T>(key: CryptoKey, name: string, value: StoredValue): Promise<T> {
    if (!(value instanceof Uint8Array)) throw new SealError(`The stored record "${name}" is not sealed bytes; the browser's store is damaged.`);
    const plain = await unseal(key, name, value);
    return JSON.parse(new TextDecoder().decode(plain)) as T;
  }

  async get<T>(name: string): Promise<T | undefined> {
    const value = await this.store.get(name);
    if (value === undefined) return undefined;
    const key = await this.sealingKey(false);
    if (!key) throw new SealError(`The stored record "${name}" cannot be opened: this browser's sealing key is gone.`);
    return this.open<T>(key, name, value);
  }

  async list<T>(prefix: string): Promise<[string, T][]> {
    const rows = await this.store.list(prefix);
    if (rows.length === 0) return [];
    const key = await this.sealingKey(false);
    if (!key) throw new SealError("The stored records cannot be opened: this browser's sealing key is gone.");
    return Promise.all(rows.map(async ([name, value]) => [name, await this.open<T>(key, name, value)] as [string, T]));
  }

  async commit(batch: Batch): Promise<void> {
    if (batch.puts.size === 0 && batch.deletes.size === 0) return;
    const key = batch.puts.size > 0 ? await this.sealingKey(true) : null;
    const put: [string, StoredValue][] = [];
    for (const [name, value] of batch.puts) put.push([name, await seal(key as CryptoKey, name, utf8.encode(JSON.stringify(value)))]);
    await this.store.write({ put, delete: [...batch.deletes] });
  }

  async wipe(): Promise<void> {
    await this.store.clear();
  }
}
