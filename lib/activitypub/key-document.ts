import { createPublicKey } from "node:crypto";
import { normalizeHandle } from "./mentions";
import { asArray, idOf, idsOf, isObject, stringOf } from "./values";

// Public keys and actors in documents fetched for an HTTP signature's keyId,
// read as plain JSON (compact ActivityStreams, no JSON-LD): a `publicKey`
// inside an actor (Mastodon, Misskey, Pleroma; GoToSocial serves a stub of
// the actor at the key's own URL), a standalone key document with `owner`,
// or an Ed25519 `Multikey` (FEP-521a) in `assertionMethod` or on its own.

export type PublicKeyInfo = {
  /** Whom the document says the key belongs to (publicKey.owner, the key document's owner or controller). */
  ownerId: string;
  /** SPKI PEM, whatever form the document gave it in. */
  pem: string;
};

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58Decode(text: string): Buffer | null {
  let n = 0n;
  for (const c of text) {
    const digit = BASE58.indexOf(c);
    if (digit < 0) return null;
    n = n * 58n + BigInt(digit);
  }
  const hex = n === 0n ? "" : n.toString(16);
  const body = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  const zeros = text.length - text.replace(/^1+/, "").length;
  return Buffer.concat([Buffer.alloc(zeros), body]);
}

/** An Ed25519 publicKeyMultibase (z + base58btc of 0xed 0x01 + 32 bytes) as SPKI PEM, or null. */
export function multibaseEd25519ToPem(multibase: string): string | null {
  if (!multibase.startsWith("z") || multibase.length > 60) return null;
  const bytes = base58Decode(multibase.slice(1));
  if (!bytes || bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) return null;
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: bytes.subarray(2).toString("base64url") }, format: "jwk" });
    return key.export({ type: "spki", format: "pem" }).toString();
  } catch {
    return null;
  }
}

/** A usable SPKI PEM (parses as a public key), normalised, or null. */
function validPem(pem: unknown): string | null {
  if (typeof pem !== "string" || pem.length > 16_384) return null;
  try {
    return createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
  } catch {
    return null;
  }
}

function keyEntry(entry: unknown, keyId: string, fallbackOwner: string | undefined): PublicKeyInfo | null {
  if (!isObject(entry) || stringOf(entry.id) !== keyId) return null;
  const ownerId = idOf(entry.owner) ?? idOf(entry.controller) ?? fallbackOwner;
  if (!ownerId) return null;
  const pem = validPem(entry.publicKeyPem) ?? (typeof entry.publicKeyMultibase === "string" ? multibaseEd25519ToPem(entry.publicKeyMultibase) : null);
  return pem ? { ownerId, pem } : null;
}

/** The key `keyId` as `doc` gives it, with its owner, or null. */
export function publicKeyIn(doc: unknown, keyId: string): PublicKeyInfo | null {
  if (!isObject(doc)) return null;
  const standalone = keyEntry(doc, keyId, undefined);
  if (standalone) return standalone;
  const actorId = stringOf(doc.id);
  for (const entry of [...asArray(doc.publicKey), ...asArray(doc.assertionMethod)]) {
    const found = keyEntry(entry, keyId, actorId);
    if (found) return found;
  }
  return null;
}

/** What is kept of a remote actor (the RemoteActor row), read from its document as JSON. */
export type ActorFields = {
  id: string;
  handle: string | null;
  name: string | null;
  inbox: string;
  sharedInbox: string | null;
  url: string | null;
  iconUrl: string | null;
  followersUrl: string | null;
};

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  // A language map ({"en": "…"}): its first entry, as Fedify's toString() of a LanguageString gives.
  if (isObject(value)) return Object.values(value).find((v): v is string => typeof v === "string");
  return undefined;
}

/** An actor document's fields as lib/federation/lookup.ts's actorInfo takes them from Fedify's Actor; null when it has no id or inbox. */
export function actorFieldsOf(doc: unknown): ActorFields | null {
  if (!isObject(doc)) return null;
  const id = stringOf(doc.id);
  const inbox = idOf(doc.inbox);
  if (!id || !inbox) return null;
  let host: string;
  try {
    host = new URL(id).host;
  } catch {
    return null;
  }
  const username = text(doc.preferredUsername);
  const icon = asArray(doc.icon)[0];
  const iconUrl = isObject(icon) ? idOf(asArray(icon.url)[0]) : undefined;
  return {
    id,
    handle: (username && normalizeHandle(`@${username}@${host}`)) || null,
    name: text(doc.name ?? doc.nameMap) ?? username ?? null,
    inbox,
    sharedInbox: isObject(doc.endpoints) ? (idOf(doc.endpoints.sharedInbox) ?? null) : null,
    url: idOf(asArray(doc.url)[0]) ?? null,
    iconUrl: iconUrl ?? null,
    followersUrl: idOf(doc.followers) ?? null,
  };
}

/** Ids of the keys an embedded Linked Data Signature or Object Integrity Proof (as plain JSON) is made with. */
export function embeddedKeyIds(activity: Record<string, unknown>): string[] {
  const keys: string[] = [];
  const signature = activity.signature;
  if (isObject(signature) && typeof signature.creator === "string") keys.push(signature.creator);
  for (const proof of Array.isArray(activity.proof) ? activity.proof : [activity.proof]) {
    if (isObject(proof)) keys.push(...idsOf(proof.verificationMethod));
  }
  return keys;
}
