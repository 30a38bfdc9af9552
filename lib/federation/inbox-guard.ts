import { Activity, verifyRequest } from "@fedify/fedify";
import { getRemoteActor, isBlocked } from "../domain/contacts";
import { embeddedKeyIds } from "../activitypub/key-document";
import { hasType, idOf, idsOf, isObject } from "../activitypub/values";
import { cavageParams } from "./inbound/cavage";
import { inboxBodyProblem } from "./inbound/limits";
import { safeContextLoader, safeDocumentLoader } from "./document-loader";
import { StoredKeyCache } from "./key-cache";
import { SqliteKvStore } from "./kv-store";

// The inbox's checks as they were while Next answered inbox POSTs; the front
// answers them now (lib/federation/inbound/accept.ts). Only the inbox
// benchmark's harness (scripts/bench/inbox-harness.ts) still drives this path.
// Checks on inbox POSTs before Fedify handles them:
//  - refuse what is not an ActivityPub body: another content type (415), bytes
//    that are not UTF-8, JSON that does not parse or is too deep or too large
//    (400). Fedify expands the JSON-LD before it checks the signature, and
//    expansion of a 1 MiB body of nested or repeated values costs seconds;
//  - refuse a Signature header Fedify would trip over (a 500 there) or read
//    differently from us: a parameter given twice, a keyId that is not an
//    http(s) URL, an algorithm other than rsa-sha256/hs2019, a signature that
//    is not base64, created/expires out of range, an unparsable Date (401);
//  - refuse blocked accounts and domains (403): the signature's keyId names
//    the sender's server (and, minus its fragment or /main-key path, usually
//    the actor), the body names the actor;
//  - refuse a request whose HTTP signature does not verify (401) before any
//    JSON-LD work: reading the body as JSON-LD loads every remote @context it
//    names, and Fedify 1.5 does that (Linked Data Signature and Object
//    Integrity Proof checks, parsing) before it checks the HTTP signature, so
//    without this an unsigned POST could make us fetch any URL. The only
//    fetch a request without a valid signature causes is its keyId. Fedify
//    checks the signature again, finding the key in the same cache. (Activities
//    authenticated only by a Linked Data Signature or a proof, relayed by a
//    third server, are refused: a DM reaches us from its author's server.)
//  - refuse any key that lives on another server than the activity's actor
//    (401): the HTTP signature's keyId, a Linked Data Signature's creator, an
//    Object Integrity Proof's verificationMethod. Fedify 1.5 accepts a key
//    whose document merely *claims* the actor as its owner/controller, so
//    without this any server could sign as anyone. The actors are read both
//    from the JSON and as Fedify reads them (JSON-LD: a term renamed by an
//    inline @context, or written as an IRI, names the actor too);
//  - answer 202 to an account's Delete of itself when we never knew that
//    account (Mastodon sends those to every server it knows; the account's
//    URL answers 410, so its key cannot be fetched,
//    and there is nothing here to delete).

function json(status: number, error: string): Response {
  return new Response(JSON.stringify({ error }), { status, headers: { "content-type": "application/json" } });
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "https:" || u.protocol === "http:") && u.host.length > 0;
  } catch {
    return false;
  }
}

const ACTIVITYPUB_TYPES = new Set(["application/activity+json", "application/ld+json", "application/json"]);

/** What is wrong with a Signature header (and the Date it signs), or null. */
function signatureProblem(header: string, date: string | null): string | null {
  const params = cavageParams(header);
  if (params === null) return "The Signature header gives a parameter twice.";
  const keyId = params.get("keyId");
  if (keyId === undefined || !isHttpUrl(keyId)) return "The signature's keyId is not an http(s) URL.";
  const algorithm = params.get("algorithm");
  if (algorithm !== undefined && !["rsa-sha256", "hs2019"].includes(algorithm.toLowerCase())) {
    return `Signature algorithm "${algorithm}" is not supported (rsa-sha256 or hs2019).`;
  }
  const signature = params.get("signature");
  if (signature !== undefined && !(signature.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(signature))) {
    return "The signature is not base64.";
  }
  for (const name of ["created", "expires"]) {
    const v = params.get(name);
    if (v !== undefined && !/^\d{1,12}$/.test(v)) return `The signature's ${name} is not a time.`;
  }
  if (date === null || Number.isNaN(new Date(date).getTime())) return "The Date header is missing or not a date.";
  return null;
}

const kv = new SqliteKvStore();

/** Whether the HTTP signature verifies with the key its keyId names (fetched, or from the key cache). */
async function verifiedSignature(request: Request): Promise<boolean> {
  const loaders = { documentLoader: safeDocumentLoader(), contextLoader: safeContextLoader() };
  try {
    const key = await verifyRequest(request, { ...loaders, keyCache: new StoredKeyCache(kv, loaders), timeWindow: { hours: 1 } });
    return key !== null;
  } catch {
    return false;
  }
}

export async function refuseBlockedInboxPost(request: Request): Promise<Response | null> {
  const path = new URL(request.url).pathname;
  if (!/(^|\/)inbox$/.test(path)) return null;

  const contentType = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (!ACTIVITYPUB_TYPES.has(contentType)) return json(415, "An inbox takes application/activity+json.");

  // The front server has capped the body at 1 MiB; Fedify reads the original after this.
  const bytes = await request.clone().arrayBuffer();
  let activity: unknown;
  try {
    activity = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    return json(400, err instanceof SyntaxError ? "The body is not JSON." : "The body is not UTF-8.");
  }
  if (!isObject(activity)) return json(400, "The body is not an activity.");
  const tooBig = inboxBodyProblem(activity);
  if (tooBig) return json(400, tooBig);

  const signatureHeader = request.headers.get("signature");
  if (signatureHeader === null) return json(401, "The request is not signed (no Signature header).");
  const problem = signatureProblem(signatureHeader, request.headers.get("date"));
  if (problem) return json(401, problem);
  const keyId = cavageParams(signatureHeader)!.get("keyId")!;
  const u = new URL(keyId);
  u.hash = "";
  const signer = u.href.replace(/\/main-key$/, "");
  if (await isBlocked(signer)) return json(403, "Blocked.");
  // Usually the signer is the actor: ask the block list once per URL.
  const blockChecked = new Set([signer]);

  // An account's Delete of itself that we never knew: its key is gone with it
  // (its URL answers 410), and there is nothing to delete. Decided on the plain JSON,
  // with no fetch at all.
  const actor = idsOf(activity.actor)[0];
  if (actor && hasType(activity, "Delete") && idOf(activity.object) === actor && hostOf(actor) === hostOf(keyId) && !(await getRemoteActor(actor))) {
    return new Response(null, { status: 202 });
  }

  if (!(await verifiedSignature(request))) return json(401, `The HTTP signature does not verify with the key ${keyId}.`);

  // The actors as Fedify will read them (JSON-LD), and as the JSON says.
  const loaders = { documentLoader: safeDocumentLoader(), contextLoader: safeContextLoader() };
  const actors = new Set(idsOf(activity.actor));
  const keys = [...embeddedKeyIds(activity), keyId];
  try {
    const parsed = await Activity.fromJsonLd(activity, loaders);
    for (const id of [...parsed.actorIds, ...parsed.attributionIds]) actors.add(id.href);
    for await (const proof of parsed.getProofs(loaders)) {
      if (proof.verificationMethodId) keys.push(proof.verificationMethodId.href);
    }
  } catch {
    return json(400, "The body is not an ActivityPub activity, or a JSON-LD context it names could not be loaded.");
  }
  if (actors.size === 0) return null; // Fedify answers 400

  for (const named of actors) {
    if (!blockChecked.has(named) && (await isBlocked(named))) return json(403, "Blocked.");
    const host = hostOf(named);
    for (const key of keys) {
      if (host === null || host !== hostOf(key)) return json(401, "The signature's key is not on the actor's server.");
    }
  }
  return null;
}
