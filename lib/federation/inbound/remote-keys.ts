import { createPublicKey, type KeyObject } from "node:crypto";
import type Database from "better-sqlite3";
import { actorFieldsOf, publicKeyIn } from "../../activitypub/key-document";
import { fetchKeyDocument, type KeyDocument } from "./document-fetch";
import { inboundDb, sqlTime } from "./sqlite";

// Remote public keys for the inbox: an in-memory LRU over the RemoteKey
// table, and on a miss one fetch of the key document (document-fetch.ts).
// A key that no longer verifies may have been rotated: `refetchKey` fetches
// it again, but at most once a minute per keyId (counted from the last
// refetch; the first fetch does not count, so a rotation right after it is
// still seen), so requests with bad signatures for a known key cannot make us
// fetch over and over. Requests for the same
// missing key at once share one fetch.
//
// A key found inside its owner's actor document also stores that actor, as
// the RemoteActor row the Fedify path would write (lib/federation/lookup.ts's
// rememberActor), so the inbox worker finds the sender known.

export type RemoteKey = { keyId: string; ownerId: string; key: KeyObject; fetchedAt: number; refetchedAt: number };
export type KeyResult = { ok: true; key: RemoteKey; fetchedNow: boolean } | { ok: false; error: string };

const CAPACITY = 4096;
export const REFETCH_INTERVAL_MS = 60_000;

const cache = new Map<string, RemoteKey>();
const inflight = new Map<string, Promise<KeyResult>>();
/** Network fetches made, for tests and the benchmark (keyId → count is not kept: a flood of keyIds would grow it). */
export const keyFetchStats = { fetches: 0 };

function remember(key: RemoteKey): void {
  cache.delete(key.keyId);
  cache.set(key.keyId, key);
  if (cache.size > CAPACITY) cache.delete(cache.keys().next().value!);
}

type Statements = {
  read: Database.Statement<[string], { ownerId: string; publicKeyPem: string; fetchedAt: string }>;
  saveKey: Database.Statement<[string, string, string, string]>;
  saveActor: Database.Statement;
};
let statements: Statements | null = null;

function sql(): Statements {
  if (statements) return statements;
  const db = inboundDb();
  statements = {
    read: db.prepare(`SELECT "ownerId", "publicKeyPem", "fetchedAt" FROM "RemoteKey" WHERE "keyId" = ?`),
    saveKey: db.prepare(
      `INSERT INTO "RemoteKey" ("keyId", "ownerId", "publicKeyPem", "fetchedAt") VALUES (?, ?, ?, ?)
       ON CONFLICT ("keyId") DO UPDATE SET "ownerId" = excluded."ownerId", "publicKeyPem" = excluded."publicKeyPem", "fetchedAt" = excluded."fetchedAt"`,
    ),
    saveActor: db.prepare(
      `INSERT INTO "RemoteActor" ("id", "handle", "name", "host", "inbox", "sharedInbox", "url", "iconUrl", "followersUrl", "gone", "fetchedAt")
       VALUES (@id, @handle, @name, @host, @inbox, @sharedInbox, @url, @iconUrl, @followersUrl, 0, @fetchedAt)
       ON CONFLICT ("id") DO UPDATE SET "handle" = excluded."handle", "name" = excluded."name", "host" = excluded."host",
         "inbox" = excluded."inbox", "sharedInbox" = excluded."sharedInbox", "url" = excluded."url", "iconUrl" = excluded."iconUrl",
         "followersUrl" = excluded."followersUrl", "gone" = 0, "fetchedAt" = excluded."fetchedAt"`,
    ),
  };
  return statements;
}

function fromTable(keyId: string): RemoteKey | null {
  const row = sql().read.get(keyId);
  if (!row) return null;
  try {
    return { keyId, ownerId: row.ownerId, key: createPublicKey(row.publicKeyPem), fetchedAt: new Date(row.fetchedAt).getTime() || 0, refetchedAt: 0 };
  } catch {
    return null;
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** The key in a fetched document, stored with its owner's actor row when the document is that actor describing itself. */
function store(keyId: string, fetched: KeyDocument, refetchedAt: number): KeyResult {
  const found = publicKeyIn(fetched.doc, keyId);
  if (!found) return { ok: false, error: `The document at ${keyId} does not give that key.` };
  // A key speaks only for an owner on its own server (the inbox's rule; Fedify would believe any owner claim).
  if (hostOf(found.ownerId) !== fetched.asked.host) return { ok: false, error: "The signature's key is not on the actor's server." };
  const now = new Date();
  const actor = actorFieldsOf(fetched.doc);
  const selfDescribed =
    actor !== null &&
    actor.id === found.ownerId &&
    new URL(actor.id).origin === fetched.servedBy.origin &&
    (actor.id === fetched.asked.href || actor.id === fetched.servedBy.href);
  const s = sql();
  inboundDb().transaction(() => {
    s.saveKey.run(keyId, found.ownerId, found.pem, sqlTime(now));
    if (selfDescribed) s.saveActor.run({ ...actor, host: new URL(actor.id).host, fetchedAt: sqlTime(now) });
  })();
  const key: RemoteKey = { keyId, ownerId: found.ownerId, key: createPublicKey(found.pem), fetchedAt: now.getTime(), refetchedAt };
  remember(key);
  return { ok: true, key, fetchedNow: true };
}

function fetchAndStore(keyId: string, refetchedAt = 0): Promise<KeyResult> {
  const running = inflight.get(keyId);
  if (running) return running;
  keyFetchStats.fetches++;
  const promise = fetchKeyDocument(keyId)
    .then((fetched) => store(keyId, fetched, refetchedAt))
    .catch((error: unknown): KeyResult => ({ ok: false, error: fetchError(keyId, error) }))
    .finally(() => inflight.delete(keyId));
  inflight.set(keyId, promise);
  return promise;
}

function fetchError(keyId: string, error: unknown): string {
  const e = error as Error;
  if (e?.name === "DocumentFetchError") return e.message;
  if (e?.name === "PrivateAddressError") return `The key ${keyId} is on a private or local network address, which Moiety does not contact.`;
  return `The key ${keyId} could not be fetched.`;
}

/** The key for `keyId`: from memory, the table, or fetched once. */
export async function keyFor(keyId: string): Promise<KeyResult> {
  const cached = cache.get(keyId);
  if (cached) {
    remember(cached);
    return { ok: true, key: cached, fetchedNow: false };
  }
  const stored = fromTable(keyId);
  if (stored) {
    remember(stored);
    return { ok: true, key: stored, fetchedNow: false };
  }
  return fetchAndStore(keyId);
}

/** The key held in memory for `keyId`, if any: no table, no network. */
export function heldKey(keyId: string): RemoteKey | undefined {
  return cache.get(keyId);
}

/** Whether a key that failed may be fetched again now (once a minute at most). */
export function mayRefetch(held: RemoteKey, now = Date.now()): boolean {
  return now - held.refetchedAt >= REFETCH_INTERVAL_MS;
}

/**
 * Fetch `keyId` again because a signature did not verify with the key held:
 * null when it was refetched less than a minute ago.
 */
export async function refetchKey(keyId: string, held: RemoteKey): Promise<KeyResult | null> {
  const now = Date.now();
  if (!mayRefetch(held, now)) return null;
  // Whatever the outcome, not again within the minute.
  held.refetchedAt = now;
  return fetchAndStore(keyId, now);
}

/** Forget the keys held in memory (tests). */
export function clearKeyCache(): void {
  cache.clear();
}
