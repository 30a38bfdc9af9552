import { CryptographicKey, Multikey, type DocumentLoader, type KeyCache, type KvStore } from "@fedify/fedify";

// Public keys of remote actors, in the KvStore under the entries Fedify's own
// inbox uses (its KvKeyCache, prefix ["_fedify", "publicKey"], not exported by
// Fedify 1.5): a key the inbox guard (lib/federation/inbox-guard.ts) fetched
// to check a signature is the one Fedify's check then finds, without a second
// fetch. A key that could not be fetched is remembered as missing for this
// cache object (one request) only, as Fedify does.

const PREFIX = ["_fedify", "publicKey"] as const;

export class StoredKeyCache implements KeyCache {
  readonly #missing = new Set<string>();

  constructor(
    private readonly kv: KvStore,
    private readonly loaders: { documentLoader: DocumentLoader; contextLoader: DocumentLoader },
  ) {}

  async get(keyId: URL): Promise<CryptographicKey | Multikey | null | undefined> {
    if (this.#missing.has(keyId.href)) return null;
    const stored = await this.kv.get([...PREFIX, keyId.href]);
    if (stored == null) return undefined;
    try {
      return await CryptographicKey.fromJsonLd(stored, this.loaders);
    } catch {
      try {
        return await Multikey.fromJsonLd(stored, this.loaders);
      } catch {
        await this.kv.delete([...PREFIX, keyId.href]);
        return undefined;
      }
    }
  }

  async set(keyId: URL, key: CryptographicKey | Multikey | null): Promise<void> {
    if (key === null) {
      this.#missing.add(keyId.href);
      await this.kv.delete([...PREFIX, keyId.href]);
      return;
    }
    this.#missing.delete(keyId.href);
    await this.kv.set([...PREFIX, keyId.href], await key.toJsonLd(this.loaders));
  }
}
