import type { DocumentLoader } from "@fedify/fedify";
import { bytesToBase64 } from "../activitypub/base64";
import { keyPackagesCollectionOf, readMlsEnvelope } from "../activitypub/mls";
import { asArray, idOf, isHttpUrl, isObject, type JsonObject } from "../activitypub/values";
import type { KeyPackageItem, PeerKeyPackages } from "../e2ee/transport-types";
import { ownOtherKeyPackages, requireDevice, SUITE } from "../domain/mls-devices";
import { getOwner } from "../domain/owner";
import { safeAuthenticatedDocumentLoader } from "./document-loader";
import { withFetchBudget } from "./fetch-budget";
import { loadKeyPairs } from "./keys";
import { actorUrl, INSTANCE_ACTOR, keyId } from "./paths";

// The KeyPackages of the people a device wants to start an encrypted
// conversation with (docs/E2EE.md). Fetched by the server, signed by the
// instance actor (servers in authorized-fetch mode want that), through
// safeFetch's address checks (lib/federation/document-loader.ts), within a
// time budget per actor. The draft's authentication steps that the server can
// do are done here: each KeyPackage was listed in the actor's keyPackages
// collection, is on the actor's host and is attributed to the actor. The
// browser checks the credential inside it again.

/** KeyPackages read per actor: a few per device, a few devices. */
export const MAX_PEER_KEY_PACKAGES = 20;
const PER_ACTOR = { totalMs: 10_000, perFetchMs: 4_000 };

class Unsupported extends Error {}

/**
 * Actors whose profile lists no keyPackages (Mastodon's, today), remembered a
 * while: opening a conversation with one asks whether it can be encrypted, and
 * the answer does not change from one minute to the next. Not failures to
 * reach them, and never KeyPackages themselves: each is for one group only.
 */
const NO_KEY_PACKAGES_MS = 10 * 60 * 1000;
const withoutKeyPackages = new Map<string, { reason: string; until: number }>();

async function signedLoader(): Promise<DocumentLoader> {
  const [rsa] = await loadKeyPairs("instance");
  if (!rsa) throw new Unsupported("This server has no instance key yet, so it cannot fetch other servers' documents.");
  return safeAuthenticatedDocumentLoader({ keyId: new URL(keyId(INSTANCE_ACTOR)), privateKey: rsa.privateKey });
}

const hostOf = (url: string) => new URL(url).host;

/** A document at `url`, which must be on `host`, as a JSON object. */
async function fetchOn(load: DocumentLoader, url: string, host: string, what: string): Promise<JsonObject> {
  if (!isHttpUrl(url) || hostOf(url) !== host) throw new Unsupported(`Their ${what} is not on their own server (${host}).`);
  const { document } = await load(url);
  if (!isObject(document)) throw new Unsupported(`Their ${what} is not a JSON object.`);
  return document;
}

/** The item ids (or embedded items) of a Collection, or of its first page. */
async function collectionItems(load: DocumentLoader, collection: JsonObject, host: string): Promise<unknown[]> {
  const direct = [...asArray(collection.items), ...asArray(collection.orderedItems)];
  if (direct.length > 0 || collection.first === undefined) return direct;
  const first = isObject(collection.first) ? collection.first : await fetchOn(load, idOf(collection.first) ?? "", host, "KeyPackage list");
  return [...asArray(first.items), ...asArray(first.orderedItems)];
}

async function remoteKeyPackages(actor: string): Promise<PeerKeyPackages> {
  const load = await signedLoader();
  const host = hostOf(actor);
  const document = await fetchOn(load, actor, host, "account");
  // The document must speak for the actor asked for (issue 11): not another account's.
  if (idOf(document) !== actor) throw new Unsupported(`${actor} answered with a different account.`);
  const collection = keyPackagesCollectionOf(document);
  if (!collection.ok) {
    withoutKeyPackages.set(actor, { reason: collection.error, until: Date.now() + NO_KEY_PACKAGES_MS });
    return { actor, supported: false, reason: collection.error };
  }
  const items = (await collectionItems(load, await fetchOn(load, collection.id, host, "KeyPackage list"), host)).slice(0, MAX_PEER_KEY_PACKAGES);
  const keyPackages: KeyPackageItem[] = [];
  for (const item of items) {
    const id = idOf(item);
    if (!id || !isHttpUrl(id) || hostOf(id) !== host) continue;
    // Embedded items come from the actor's own server too (the collection's); a bare id is fetched.
    const object = isObject(item) && item.content !== undefined ? item : await fetchOn(load, id, host, "KeyPackage").catch(() => null);
    const read = object ? readMlsEnvelope(object) : null;
    if (!read?.ok || read.kind !== "KeyPackage" || read.attributedTo !== actor || read.id !== id || read.ciphersuite !== SUITE) continue;
    keyPackages.push({ id, content: bytesToBase64(read.bytes) });
  }
  if (keyPackages.length === 0) return { actor, supported: false, reason: `${actor} publishes no usable KeyPackage (${SUITE}) right now; they need to open their encrypted messages once.` };
  return { actor, supported: true, keyPackages };
}

function reasonOf(actor: string, error: unknown): string {
  if (error instanceof Unsupported) return error.message;
  if ((error as Error)?.name === "PrivateAddressError") return `${actor} is on a private or local network address, which Moiety does not contact.`;
  return `${new URL(actor).host} could not be reached or did not answer with the account's KeyPackages.`;
}

/**
 * For each actor, the KeyPackages to add them with, or why they cannot be
 * added. The owner's own actor gives the owner's other devices' KeyPackages.
 * One actor failing does not fail the others.
 */
export async function keyPackagesOf(input: { deviceId: string; actors: string[] }): Promise<PeerKeyPackages[]> {
  await requireDevice(input.deviceId);
  const owner = await getOwner();
  const me = owner ? actorUrl(owner.username) : null;
  return Promise.all(
    [...new Set(input.actors)].map(async (actor): Promise<PeerKeyPackages> => {
      if (actor === me) return { actor, supported: true, keyPackages: await ownOtherKeyPackages(input.deviceId) };
      if (!isHttpUrl(actor)) return { actor, supported: false, reason: `${actor} is not an account URL.` };
      const known = withoutKeyPackages.get(actor);
      if (known && known.until > Date.now()) return { actor, supported: false, reason: known.reason };
      withoutKeyPackages.delete(actor);
      try {
        return await withFetchBudget(PER_ACTOR, () => remoteKeyPackages(actor));
      } catch (error) {
        return { actor, supported: false, reason: reasonOf(actor, error) };
      }
    }),
  );
}
