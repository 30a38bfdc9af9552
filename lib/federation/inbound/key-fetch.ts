import { createPrivateKey, sign as cryptoSign, type KeyObject } from "node:crypto";
import { env } from "../../env";
import { INSTANCE_ACTOR, keyId as keyIdOf } from "../paths";
import { readCapped } from "../read-capped";
import { safeFetch } from "../safe-fetch";
import { SOFTWARE_VERSION } from "../version";
import { inboundDb } from "./sqlite";

// The one network request of the inbox: GET a signature's key document. It
// goes through safeFetch (public addresses only unless
// MOIETY_ALLOW_PRIVATE_ADDRESSES, every address checked and pinned),
// redirects are followed one at a time and only on the host first asked —
// a key reached through a redirect to another server could claim to be
// anyone's (lib/federation/document-loader.ts keeps the same rule) — and it is
// signed by our instance actor, as servers in authorized-fetch mode want.

const ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", application/json;q=0.5';
/** One key or actor document: a few KiB in practice. */
const MAX_BYTES = 256 * 1024;
const TIMEOUT_MS = 5_000;
const MAX_HOPS = 3;

export class KeyFetchError extends Error {}

export type KeyDocument = { doc: unknown; asked: URL; servedBy: URL };

let instanceKey: { key: KeyObject; keyId: string } | null | undefined;

/** The instance actor's RSA key, once it exists (Next's side makes it on first need, lib/federation/keys.ts). */
function instanceSigningKey(): { key: KeyObject; keyId: string } | null {
  if (instanceKey) return instanceKey;
  const row = inboundDb()
    .prepare(`SELECT "privateJwk" FROM "KeyPair" WHERE "actor" = 'instance' AND "algorithm" = 'RSASSA-PKCS1-v1_5'`)
    .get() as { privateJwk: string } | undefined;
  if (!row) return null;
  instanceKey = { key: createPrivateKey({ key: JSON.parse(row.privateJwk), format: "jwk" }), keyId: keyIdOf(INSTANCE_ACTOR) };
  return instanceKey;
}

/** A draft-cavage signed GET's headers. */
function signedHeaders(url: URL): Record<string, string> {
  const headers: Record<string, string> = { accept: ACCEPT, "user-agent": `Moiety/${SOFTWARE_VERSION} (+${env().origin})`, host: url.host, date: new Date().toUTCString() };
  const signer = instanceSigningKey();
  if (signer) {
    const base = `(request-target): get ${url.pathname}${url.search}\nhost: ${headers.host}\ndate: ${headers.date}`;
    const signature = cryptoSign("sha256", Buffer.from(base), signer.key).toString("base64");
    headers.signature = `keyId="${signer.keyId}",algorithm="rsa-sha256",headers="(request-target) host date",signature="${signature}"`;
  }
  return headers;
}

/** GET the document `keyId` names (its URL without the fragment). Throws KeyFetchError or safeFetch's errors. */
export async function fetchKeyDocument(keyId: string): Promise<KeyDocument> {
  const asked = new URL(keyId);
  asked.hash = "";
  let target = asked;
  for (let hop = 0; ; hop++) {
    const response = await safeFetch(target, { headers: signedHeaders(target) }, { maxRedirects: 0, timeoutMs: TIMEOUT_MS });
    const location = response.headers.get("location");
    if ([301, 302, 303, 307, 308].includes(response.status) && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, target);
      if (next.host !== asked.host) throw new KeyFetchError(`The key ${keyId} redirects to another server.`);
      if (hop >= MAX_HOPS) throw new KeyFetchError(`The key ${keyId} redirects too many times.`);
      target = next;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new KeyFetchError(`The key ${keyId} could not be fetched (HTTP ${response.status}).`);
    }
    const bytes = await readCapped(response, MAX_BYTES);
    if (!bytes) throw new KeyFetchError(`The key document ${keyId} is larger than ${MAX_BYTES / 1024} KiB.`);
    try {
      return { doc: JSON.parse(bytes.toString("utf8")), asked, servedBy: target };
    } catch {
      throw new KeyFetchError(`The key document ${keyId} is not JSON.`);
    }
  }
}
