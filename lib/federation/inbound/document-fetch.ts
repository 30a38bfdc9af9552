import { createPrivateKey, sign as cryptoSign, type KeyObject } from "node:crypto";
import { env } from "../../env";
import { INSTANCE_ACTOR, keyId as keyIdOf } from "../paths";
import { readCapped } from "../read-capped";
import { safeFetch } from "../safe-fetch";
import { SOFTWARE_VERSION } from "../version";
import { inboundDb } from "./sqlite";

// The inbox's network requests: GET a signature's key document, and a
// remote JSON-LD @context a signed activity names. They go through safeFetch (public addresses only unless
// MOIETY_ALLOW_PRIVATE_ADDRESSES, every address checked and pinned),
// redirects are followed one at a time and only on the host first asked —
// a key reached through a redirect to another server could claim to be
// anyone's (lib/federation/document-loader.ts keeps the same rule) — and a
// key fetch is signed by our instance actor, as servers in authorized-fetch
// mode want.

const ACTIVITY_JSON = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams", application/json;q=0.5';
/** One key or actor document is a few KiB; the largest @context in use (schema.org's) about 130 KiB. */
const MAX_BYTES = 256 * 1024;
const TIMEOUT_MS = 5_000;
const MAX_HOPS = 5;

/** A document that could not be used: a redirect elsewhere, an error status, too large, not JSON. */
export class DocumentFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DocumentFetchError";
  }
}

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

/** A GET's headers, signed (draft-cavage) when `sign`. */
function requestHeaders(url: URL, accept: string, sign: boolean): Record<string, string> {
  const headers: Record<string, string> = { accept, "user-agent": `Moiety/${SOFTWARE_VERSION} (+${env().origin})`, host: url.host, date: new Date().toUTCString() };
  const signer = sign ? instanceSigningKey() : null;
  if (signer) {
    const base = `(request-target): get ${url.pathname}${url.search}\nhost: ${headers.host}\ndate: ${headers.date}`;
    const signature = cryptoSign("sha256", Buffer.from(base), signer.key).toString("base64");
    headers.signature = `keyId="${signer.keyId}",algorithm="rsa-sha256",headers="(request-target) host date",signature="${signature}"`;
  }
  return headers;
}

type GetOptions = { accept: string; sign: boolean; timeoutMs: number; what: string };

/** GET `asked` as JSON, redirects on its own host only. Throws DocumentFetchError or safeFetch's errors. */
async function getJson(asked: URL, o: GetOptions): Promise<{ doc: unknown; servedBy: URL }> {
  let target = asked;
  for (let hop = 0; ; hop++) {
    const response = await safeFetch(target, { headers: requestHeaders(target, o.accept, o.sign) }, { maxRedirects: 0, timeoutMs: o.timeoutMs });
    const location = response.headers.get("location");
    if ([301, 302, 303, 307, 308].includes(response.status) && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, target);
      if (next.host !== asked.host) throw new DocumentFetchError(`${o.what} redirects to another server.`);
      if (hop >= MAX_HOPS) throw new DocumentFetchError(`${o.what} redirects too many times.`);
      target = next;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DocumentFetchError(`${o.what} could not be fetched (HTTP ${response.status}).`);
    }
    const bytes = await readCapped(response, MAX_BYTES);
    if (!bytes) throw new DocumentFetchError(`${o.what} is larger than ${MAX_BYTES / 1024} KiB.`);
    try {
      return { doc: JSON.parse(bytes.toString("utf8")), servedBy: target };
    } catch {
      throw new DocumentFetchError(`${o.what} is not JSON.`);
    }
  }
}

/** GET the document `keyId` names (its URL without the fragment), signed. */
export async function fetchKeyDocument(keyId: string): Promise<KeyDocument> {
  const asked = new URL(keyId);
  asked.hash = "";
  const { doc, servedBy } = await getJson(asked, { accept: ACTIVITY_JSON, sign: true, timeoutMs: TIMEOUT_MS, what: `The key ${keyId}` });
  return { doc, asked, servedBy };
}

/** GET a JSON-LD @context document, unsigned, within `timeoutMs`. */
export async function fetchContextDocument(url: string, timeoutMs: number): Promise<unknown> {
  const what = `The JSON-LD context ${url}`;
  return (await getJson(new URL(url), { accept: "application/ld+json, application/json;q=0.9", sign: false, timeoutMs: Math.min(timeoutMs, TIMEOUT_MS), what })).doc;
}
