import { PUBLIC, audienceOf, buildDmAddressing, isAddressedOnlyToNamedActors, type FollowersOptions } from "./addressing";
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

// ─── base64 ──────────────────────────────────────────────────────────────────
// atob/btoa rather than Buffer, so the browser can use this module as it is.

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunks keep the spread under engines' argument-count limits.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Only canonical standard base64 (RFC 4648 §4: `+` and `/`, `=` padding, no
 * whitespace, zero pad bits): the draft's `encoding` takes RFC 2045 values and
 * its base64 is that alphabet. URL-safe base64 (`-`, `_`) is refused with a
 * message saying so: one spelling per message keeps ids, dedup and signatures
 * over the JSON unambiguous, and a sender using the other alphabet learns why.
 */
function decodeBase64(text: string): { ok: true; bytes: Uint8Array } | { ok: false; error: string } {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    if (/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return { ok: false, error: "The content is URL-safe base64 (it has - or _); MLS objects use standard base64, with + and /." };
    if (/^[A-Za-z0-9+/=\s]*$/.test(text)) return { ok: false, error: "The content has spaces or line breaks; base64 in an MLS object is one unbroken line." };
    return { ok: false, error: "The content is not base64." };
  }
  if (text.length % 4 !== 0) return { ok: false, error: "The content's base64 lacks its = padding." };
  const bytes = binaryToBytes(atob(text));
  if (bytesToBase64(bytes) !== text) return { ok: false, error: "The content is not canonical base64 (its last character has stray bits)." };
  return { ok: true, bytes };
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
  return buildObject("KeyPackage", input, { to: [PUBLIC] });
}

/**
 * A Welcome, PrivateMessage, PublicMessage or GroupInfo and the Create that
 * delivers it, addressed only to the named actors on both (buildDmAddressing:
 * never Public, never a followers collection, never nobody — it throws).
 */
export function buildMlsMessage(input: MlsObjectInput & { kind: MlsMessageKind; recipients: string[] }, options?: FollowersOptions) {
  const addressing = buildDmAddressing(input.recipients, options);
  const object = buildObject(input.kind, input, addressing);
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

/** The actor document with the MLS context and `keyPackages` pointing to the collection. */
export function withKeyPackages(actor: JsonObject, collectionId: string): JsonObject {
  const contexts = asArray(actor["@context"]);
  return {
    ...actor,
    "@context": contexts.includes(MLS_CONTEXT) ? contexts : [...contexts, MLS_CONTEXT],
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
  const decoded = decodeBase64(object.content);
  if (!decoded.ok) return decoded;
  const bytesProblem = mlsBytesProblem(kind, decoded.bytes);
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
  if (value === undefined || value === null) return fail("The actor has no keyPackages: it cannot receive end-to-end encrypted messages.");
  if (Array.isArray(value)) return fail("The actor's keyPackages is a list, not a Collection.");
  if (isObject(value) && !hasType(value, "Collection", "OrderedCollection")) return fail("The actor's keyPackages is not a Collection.");
  const id = idOf(value);
  return isHttpUrl(id) ? { ok: true, id } : fail("The actor's keyPackages has no http(s) id.");
}
