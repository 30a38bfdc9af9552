import { PUBLIC, audienceOf, buildDmAddressing, isAddressedOnlyToNamedActors, type FollowersOptions } from "./addressing";
import { bytesToBase64, decodeCanonicalBase64 } from "./base64";
import { buildCreateOf } from "./direct-message";
import { asArray, hasType, idOf, idsOf, isHttpUrl, isObject, stringOf, typesOf, type JsonObject } from "./values";

// The AS2 envelopes of "Messaging Layer Security over ActivityPub" (the SWICG
// draft, issue 16): MLS messages carried as base64 in AS2 objects typed
// KeyPackage, Welcome, PrivateMessage, PublicMessage or GroupInfo. Pure: bytes
// in, JSON out and back, no MLS library, no clock, no database — the browser
// does the cryptography, the server only moves these envelopes. Where the
// draft's examples contradict its prose, the prose wins (docs/ARCHITECTURE.md,
// "End-to-end encryption"); tests/unit/activitypub/mls.test.ts holds the
// examples and says which is which.

const AS = "https://www.w3.org/ns/activitystreams";
export const MLS_CONTEXT = "https://purl.archive.org/socialweb/mls";
/** The @context of everything built here: AS2 plus the draft's terms. */
export const MLS_OBJECT_CONTEXT = [AS, MLS_CONTEXT];
export const MLS_MEDIA_TYPE = "message/mls";
export const MLS_ENCODING = "base64";

/**
 * Each AS2 type and the wire_format its MLSMessage must carry. An MLSMessage
 * starts with two big-endian uint16s, version (1 = mls10) and wire_format, so
 * the envelope can check that the type matches the bytes without parsing MLS:
 * a Welcome passed off as a KeyPackage is refused here, not deep in a client.
 */
export const MLS_WIREFORMATS = { PublicMessage: 1, PrivateMessage: 2, Welcome: 3, GroupInfo: 4, KeyPackage: 5 } as const;
export type MlsKind = keyof typeof MLS_WIREFORMATS;
export const MLS_KINDS = Object.keys(MLS_WIREFORMATS) as MlsKind[];
/** The kinds sent to named actors' inboxes. A KeyPackage is published instead, for anyone to fetch. */
export type MlsMessageKind = Exclude<MlsKind, "KeyPackage">;
const MLS_VERSION_10 = 1;

/** RFC 9420's cipher suites, for the draft's `ciphersuite` property of a KeyPackage (its registry name). */
const CIPHERSUITES: Record<number, string> = {
  1: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  2: "MLS_128_DHKEMP256_AES128GCM_SHA256_P256",
  3: "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519",
  4: "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448",
  5: "MLS_256_DHKEMP521_AES256GCM_SHA512_P521",
  6: "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448",
  7: "MLS_256_DHKEMP384_AES256GCM_SHA384_P384",
};

/**
 * The cipher suite a KeyPackage's bytes name, when it is one of RFC 9420's:
 * after the MLSMessage header come the KeyPackage's version and cipher_suite,
 * two more uint16s. Read from the bytes, so the property cannot disagree.
 */
export function keyPackageCiphersuite(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8 || ((bytes[4] << 8) | bytes[5]) !== MLS_VERSION_10) return undefined;
  return CIPHERSUITES[(bytes[6] << 8) | bytes[7]];
}

/**
 * Largest MLSMessage carried: 256 KiB. A KeyPackage is under 1 KiB and a
 * Welcome with the ratchet tree grows by a few hundred bytes per member, so
 * the bound only bites on PrivateMessages, whose application data may embed
 * attachments in base64 (the draft's "Application data"). As base64 it is
 * 342 KiB, well inside the 1 MiB inbox body (maxInboxBodyBytes in
 * lib/cli/serve.ts) with room for the envelope, and it bounds what one
 * ciphertext costs to store.
 */
export const MAX_MLS_BYTES = 256 * 1024;
const MAX_BASE64_LENGTH = Math.ceil(MAX_MLS_BYTES / 3) * 4;

/** The draft's plain-text fallback, for servers and clients that do not understand these types. */
const SEE_DRAFT = "See https://swicg.github.io/activitypub-e2ee/ for information about how to read messages like these.";
export const MLS_SUMMARIES: Record<MlsKind, string> = {
  KeyPackage: `This is a binary-encoded cryptographic key package for end-to-end encrypted messages. ${SEE_DRAFT}`,
  Welcome: `This is an invitation to an end-to-end encrypted conversation. ${SEE_DRAFT}`,
  PrivateMessage: `This is an end-to-end encrypted private message. ${SEE_DRAFT}`,
  PublicMessage: `This is a signed change to an end-to-end encrypted conversation. ${SEE_DRAFT}`,
  GroupInfo: `This is the signed description of an end-to-end encrypted conversation. ${SEE_DRAFT}`,
};

export class MlsEnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MlsEnvelopeError";
  }
}

// ─── checks shared by the builders and the reader ────────────────────────────

/** Why these bytes cannot travel as this kind, or null. */
export function mlsBytesProblem(kind: MlsKind, bytes: Uint8Array): string | null {
  if (bytes.length === 0) return "The content is empty.";
  if (bytes.length > MAX_MLS_BYTES) return `The content is ${bytes.length} bytes; an MLS object carries at most ${MAX_MLS_BYTES}.`;
  if (bytes.length < 4) return `The content is ${bytes.length} bytes, too short to be an MLS message.`;
  const version = (bytes[0] << 8) | bytes[1];
  if (version !== MLS_VERSION_10) return `The content is not an MLS 1.0 message (its version field is ${version}).`;
  const wireformat = (bytes[2] << 8) | bytes[3];
  const actual = MLS_KINDS.find((k) => MLS_WIREFORMATS[k] === wireformat);
  if (actual !== kind) return `The object is typed ${kind} but its content is ${actual ? `a ${actual}` : `of unknown MLS wire format ${wireformat}`}.`;
  return null;
}

/** A short rendering of a remote value for an error message: never the whole value, never throws. */
function shown(value: unknown): string {
  if (value === undefined) return "missing";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return Array.isArray(value) ? "a list" : value === null ? "null" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}

// ─── builders ────────────────────────────────────────────────────────────────

export type MlsObjectInput = {
  /** The object's id: an http(s) URL on our server, where it can be fetched. */
  id: string;
  /** Our actor URL. */
  attributedTo: string;
  published: Date;
  /** An encoded MLSMessage. */
  bytes: Uint8Array;
  /** The client application that made it (the draft's `generator`). */
  generator?: { id: string; name: string };
};

function buildObject<A extends { to: string[]; cc?: string[] }>(kind: MlsKind, input: MlsObjectInput, addressing: A) {
  const problem = mlsBytesProblem(kind, input.bytes);
  if (problem) throw new MlsEnvelopeError(problem);
  if (!isHttpUrl(input.id) || !isHttpUrl(input.attributedTo)) throw new MlsEnvelopeError(`A ${kind} needs an http(s) id and attributedTo.`);
  return {
    "@context": MLS_OBJECT_CONTEXT,
    id: input.id,
    type: kind,
    attributedTo: input.attributedTo,
    ...addressing,
    published: input.published.toISOString(),
    summary: MLS_SUMMARIES[kind],
    mediaType: MLS_MEDIA_TYPE,
    encoding: MLS_ENCODING,
    content: bytesToBase64(input.bytes),
    ...(input.generator ? { generator: { id: input.generator.id, type: "Application", name: input.generator.name } } : {}),
  };
}

/**
 * A KeyPackage object, as served at its id and listed in the keyPackages
 * collection. Public, as in the draft: anyone starting a conversation with the
 * owner must be able to fetch it, and it holds only public keys.
 */
export function buildKeyPackageObject(input: MlsObjectInput) {
  const ciphersuite = keyPackageCiphersuite(input.bytes);
  return { ...buildObject("KeyPackage", input, { to: [PUBLIC] }), ...(ciphersuite ? { ciphersuite } : {}) };
}

/**
 * A Welcome, PrivateMessage, PublicMessage or GroupInfo and the Create that
 * delivers it, addressed only to the named actors on both (buildDmAddressing:
 * never Public, never a followers collection, never nobody — it throws). The
 * draft says these SHOULD name their group's `conversation`, an
 * OrderedCollection the server keeps in order, and MAY repeat it as `context`:
 * both are set when one is given.
 */
export function buildMlsMessage(
  input: MlsObjectInput & { kind: MlsMessageKind; recipients: string[]; conversation?: string },
  options?: FollowersOptions,
) {
  const addressing = buildDmAddressing(input.recipients, options);
  const thread = input.conversation ? { conversation: input.conversation, context: input.conversation } : {};
  const object = { ...buildObject(input.kind, input, addressing), ...thread };
  return { object, create: buildCreateOf(object) };
}

/**
 * The actor's `keyPackages` collection: a Collection (the draft's prose, "Key
 * storage") of the KeyPackage objects' ids. Unpaged: a few packages per
 * device, a few devices.
 */
export function buildKeyPackagesCollection(input: { id: string; items: string[] }) {
  return { "@context": MLS_OBJECT_CONTEXT, id: input.id, type: "Collection", totalItems: input.items.length, items: input.items };
}

/**
 * The draft's `keyPackages` term, defined inline in the actor document rather
 * than by the MLS context's URL: every server that reads our actor — for a
 * plaintext DM too — would otherwise have to load that URL, and one that
 * expands JSON-LD fails on a context it cannot load. The meaning is the same
 * (the draft's context, context/0.3.0.jsonld in swicg/activitypub-e2ee, defines
 * this term so); plain-JSON readers see `keyPackages` either way.
 */
export const MLS_ACTOR_TERMS = { mls: `${MLS_CONTEXT}#`, keyPackages: { "@id": "mls:keyPackages", "@type": "@id" } } as const;

/** The actor document with the `keyPackages` term and the property pointing to the collection. */
export function withKeyPackages(actor: JsonObject, collectionId: string): JsonObject {
  const contexts = asArray(actor["@context"]);
  const defined = contexts.some((c) => isObject(c) && (c as JsonObject).keyPackages !== undefined);
  return {
    ...actor,
    "@context": defined ? contexts : [...contexts, MLS_ACTOR_TERMS],
    keyPackages: collectionId,
  };
}

// ─── reader ──────────────────────────────────────────────────────────────────

export type MlsEnvelope = {
  kind: MlsKind;
  bytes: Uint8Array;
  id: string;
  attributedTo: string;
  to: string[];
  cc: string[];
  published?: string;
  summary?: string;
  /** The group's ordered collection (the draft's `conversation`, else `context`). */
  conversation?: string;
  /** A KeyPackage's cipher suite, by its registry name. */
  ciphersuite?: string;
  /** The wrapping Create, when one was read. */
  activity?: { id: string; actor: string };
};
export type MlsReadResult = ({ ok: true } & MlsEnvelope) | { ok: false; error: string };

const fail = (error: string) => ({ ok: false as const, error });

// Compacted JSON-LD may prefix the draft's terms, as hasType allows for `as:`.
const MLS_TYPE_PREFIXES = ["mls:", `${MLS_CONTEXT}#`];

function mlsKindsOf(object: JsonObject): MlsKind[] {
  const kinds = new Set<MlsKind>();
  for (const type of typesOf(object)) {
    const prefix = MLS_TYPE_PREFIXES.find((p) => type.startsWith(p));
    const term = prefix ? type.slice(prefix.length) : type;
    const kind = MLS_KINDS.find((k) => k === term);
    if (kind) kinds.add(kind);
  }
  return [...kinds];
}

function mediaTypeProblem(value: unknown): string | null {
  // Media types are case-insensitive and may carry parameters (message/mls has an optional version).
  const type = typeof value === "string" ? value.split(";")[0].trim().toLowerCase() : undefined;
  return type === MLS_MEDIA_TYPE ? null : `The mediaType is ${shown(value)}, not "${MLS_MEDIA_TYPE}".`;
}

function encodingProblem(value: unknown): string | null {
  // The draft: "the default value is base64"; transfer encodings are case-insensitive.
  if (value === undefined || (typeof value === "string" && value.toLowerCase() === MLS_ENCODING)) return null;
  return `The encoding is ${shown(value)}, not "${MLS_ENCODING}".`;
}

/** A declared cipher suite must be a name, and the one the bytes carry. */
function ciphersuiteProblem(declared: unknown, bytes: Uint8Array): string | null {
  if (declared === undefined) return null;
  if (typeof declared !== "string") return `The KeyPackage's ciphersuite is ${shown(declared)}, not the name of a cipher suite.`;
  const actual = keyPackageCiphersuite(bytes);
  // Only a suite outside RFC 9420's list, on both sides, cannot be checked.
  if (declared === actual || (actual === undefined && !Object.values(CIPHERSUITES).includes(declared))) return null;
  return `The KeyPackage's ciphersuite is ${shown(declared)}, but its content uses ${actual ?? "another"}.`;
}

function readObject(object: JsonObject, activity: JsonObject | undefined, options: FollowersOptions | undefined): MlsReadResult {
  const kinds = mlsKindsOf(object);
  if (kinds.length === 0) return fail(`The object's type (${typesOf(object).join(", ").slice(0, 80) || "none"}) is not one of ${MLS_KINDS.join(", ")}.`);
  if (kinds.length > 1) return fail(`The object has more than one MLS type (${kinds.join(", ")}).`);
  const kind = kinds[0];
  if (!isHttpUrl(object.id)) return fail(`The ${kind} has no id (an http(s) URL).`);
  const authors = idsOf(object.attributedTo);
  if (authors.length !== 1 || !isHttpUrl(authors[0])) return fail(`The ${kind} needs exactly one attributedTo, its author's actor URL.`);
  const problem = mediaTypeProblem(object.mediaType) ?? encodingProblem(object.encoding);
  if (problem) return fail(problem);
  if (typeof object.content !== "string") return fail(`The ${kind} has no content (a base64 string).`);
  if (object.content.length > MAX_BASE64_LENGTH) return fail(`The content is over ${MAX_MLS_BYTES} bytes; an MLS object carries at most that.`);
  const decoded = decodeCanonicalBase64(object.content);
  if (!decoded.ok) return decoded;
  const bytesProblem = mlsBytesProblem(kind, decoded.bytes) ?? (kind === "KeyPackage" ? ciphersuiteProblem(object.ciphersuite, decoded.bytes) : null);
  if (bytesProblem) return fail(bytesProblem);
  if (kind !== "KeyPackage" && !isAddressedOnlyToNamedActors(object, activity, options)) {
    return fail(`A ${kind} must be addressed only to named actors, never to the public or to followers.`);
  }
  const { to, cc } = audienceOf(object, activity);
  return {
    ok: true,
    kind,
    bytes: decoded.bytes,
    id: object.id,
    attributedTo: authors[0],
    to,
    cc,
    published: stringOf(object.published),
    summary: stringOf(object.summary),
    conversation: idOf(object.conversation) ?? idOf(object.context),
    ciphersuite: kind === "KeyPackage" ? (keyPackageCiphersuite(decoded.bytes) ?? stringOf(object.ciphersuite)) : undefined,
  };
}

function readCreate(activity: JsonObject, options: FollowersOptions | undefined): MlsReadResult {
  const objects = asArray(activity.object);
  if (objects.length !== 1) return fail("The Create must carry exactly one object.");
  if (!isObject(objects[0])) return fail("The Create only names its object; an MLS object must be embedded in it.");
  if (!isHttpUrl(activity.id)) return fail("The Create has no id (an http(s) URL).");
  const actor = idOf(activity.actor);
  if (!isHttpUrl(actor)) return fail("The Create has no actor.");
  const read = readObject(objects[0], activity, options);
  if (!read.ok) return read;
  // Whoever signs the delivery must be who wrote the object: no passing on someone else's MLS message as your own.
  if (read.attributedTo !== actor) return fail(`The Create's actor (${actor}) is not the author of its ${read.kind} (${read.attributedTo}).`);
  return { ...read, activity: { id: activity.id, actor } };
}

/**
 * An incoming MLS object, or a Create carrying one, as its kind, bytes and
 * envelope — or, for anything malformed, why not in plain words. Never throws.
 * The bytes are only checked to be an MLSMessage of the right kind; parsing
 * and verifying them is the receiving client's work.
 */
export function readMlsEnvelope(value: unknown, options?: FollowersOptions): MlsReadResult {
  if (!isObject(value)) return fail("An MLS object must be a JSON object.");
  return hasType(value, "Create") ? readCreate(value, options) : readObject(value, undefined, options);
}

/**
 * The id of a remote actor's keyPackages collection: a URL, or an embedded
 * Collection's id. A list (the draft's "Context" examples) is refused: the
 * draft's prose says the value is a Collection.
 */
export function keyPackagesCollectionOf(actor: unknown): { ok: true; id: string } | { ok: false; error: string } {
  const value = isObject(actor) ? actor.keyPackages : undefined;
  if (value === undefined || value === null) return fail("Their server does not offer end-to-end encryption (their profile lists no MLS key packages).");
  if (Array.isArray(value)) return fail("The actor's keyPackages is a list, not a Collection.");
  if (isObject(value) && !hasType(value, "Collection", "OrderedCollection")) return fail("The actor's keyPackages is not a Collection.");
  const id = idOf(value);
  return isHttpUrl(id) ? { ok: true, id } : fail("The actor's keyPackages has no http(s) id.");
}
