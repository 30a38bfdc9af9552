// Sealing of every secret record the engine keeps (docs/E2EE.md, "Browser
// engine"): AES-GCM under a non-extractable key that never leaves this browser.
// Layout: 1 version byte, a random 12-byte IV, then the ciphertext with its tag.
// The record's name is the additional data, so a record copied under another
// name does not open either.

export const SEAL_VERSION = 1;
const IV_BYTES = 12;

export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealError";
  }
}

/** A new sealing key: AES-256-GCM, not extractable, so script on the page can use it but never read it out. */
export function createSealingKey(): Promise<CryptoKey> {
  return globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

const utf8 = new TextEncoder();

export async function seal(key: CryptoKey, name: string, plain: Uint8Array): Promise<Uint8Array> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await globalThis.crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8.encode(name) }, key, plain.slice());
  const out = new Uint8Array(1 + IV_BYTES + sealed.byteLength);
  out[0] = SEAL_VERSION;
  out.set(iv, 1);
  out.set(new Uint8Array(sealed), 1 + IV_BYTES);
  return out;
}

export async function unseal(key: CryptoKey, name: string, record: Uint8Array): Promise<Uint8Array> {
  if (record.length < 1 + IV_BYTES + 16) throw new SealError(`The stored record "${name}" is too short to be a sealed record; it is damaged.`);
  if (record[0] !== SEAL_VERSION) throw new SealError(`The stored record "${name}" has format version ${record[0]}, which this version of Moiety cannot read.`);
  try {
    const plain = await globalThis.crypto.subtle.decrypt(
      { name: "AES-GCM", iv: record.slice(1, 1 + IV_BYTES), additionalData: utf8.encode(name) },
      key,
      record.slice(1 + IV_BYTES),
    );
    return new Uint8Array(plain);
  } catch {
    throw new SealError(`The stored record "${name}" does not open with this browser's key: it was changed or damaged outside Moiety.`);
  }
}
