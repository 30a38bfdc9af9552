// Reading incoming activities as compact JSON, without JSON-LD processing.
//
// Compact AS2 JSON means what its property names say only when every
// `@context` entry is one whose terms we know: a context can rename any
// property (`{"to": "as:bcc"}`) or type. So the fast inbox
// (lib/federation/inbound/apply.ts) reads an activity itself only when
// `contextsKnown` says so, and hands anything else to Fedify's JSON-LD path.
// The DM rules below are shared with that path (lib/federation/inbound/inbox-listeners.ts),
// so both store the same message from the same activity.

import { isDirectMessage } from "./addressing";
import { extractDmContent, type DmAttachment } from "./content";
import { MLS_CONTEXT } from "./mls";
import { participantsOf, threadRefs, type ThreadRef } from "./conversation";
import { idsOf, isHttpUrl, isObject, type JsonObject } from "./values";

const AS = "https://www.w3.org/ns/activitystreams";

/** Context documents whose terms are known (their content is fixed and none renames an AS2 term). */
const KNOWN_CONTEXT_URLS: ReadonlySet<string> = new Set([
  AS,
  "https://w3id.org/security/v1",
  "https://w3id.org/security/data-integrity/v1",
  "https://w3id.org/security/multikey/v1",
  "https://gotosocial.org/ns",
  // Held in memory (lib/federation/preloaded-contexts.ts); its terms are the MLS draft's own.
  MLS_CONTEXT,
]);

/** Pleroma and Akkoma serve their litepub context from every instance; its terms are Pleroma's own. */
const LITEPUB = /^https?:\/\/[^/?#]+\/schemas\/litepub-0\.1\.jsonld$/;

/** Vocabularies the inline term maps of Mastodon, Misskey, GoToSocial, Pleroma and snac draw on. */
const KNOWN_NAMESPACES = [
  `${AS}#`,
  "http://ostatus.org#",
  "http://joinmastodon.org/ns#",
  "http://schema.org#",
  "https://misskey-hub.net/ns#",
  "https://gotosocial.org/ns#",
  "http://www.w3.org/2006/vcard/ns#",
  "https://w3id.org/security#",
  "http://litepub.social/ns#",
  "http://fedibird.com/ns#",
  "https://w3id.org/fep/044f#",
  "http://www.w3.org/2001/XMLSchema#",
];

/** Prefixes the known context documents define, usable in an inline map without defining them again. */
const BUILTIN_PREFIXES: Record<string, string> = {
  as: `${AS}#`,
  sec: "https://w3id.org/security#",
  xsd: "http://www.w3.org/2001/XMLSchema#",
};

// The terms these readers (and the classifiers they call) look at: an inline
// map may name them only with their usual meaning.
const AS_TERMS = [
  "actor", "object", "to", "cc", "bto", "bcc", "audience", "attributedTo", "content", "contentMap", "summary",
  "inReplyTo", "context", "published", "updated", "tag", "attachment", "url", "href", "name", "mediaType",
  "width", "height", "sensitive", "source", "Create", "Update", "Delete", "Note", "Tombstone", "Mention",
  "Document", "Image", "Video", "Audio", "Link", "Question", "Article", "Public", "Person", "Service",
  "Application", "Group", "Organization",
];
const PROTECTED: ReadonlyMap<string, string> = new Map<string, string>([
  ...AS_TERMS.map((t): [string, string] => [t, `${AS}#${t}`]),
  ["id", "@id"],
  ["type", "@type"],
  ["conversation", "http://ostatus.org#conversation"],
  ["_misskey_content", "https://misskey-hub.net/ns#_misskey_content"],
  ["blurhash", "http://joinmastodon.org/ns#blurhash"],
  ["ChatMessage", "http://litepub.social/ns#ChatMessage"],
]);

function inNamespace(iri: string): boolean {
  return KNOWN_NAMESPACES.some((ns) => iri.startsWith(ns));
}

/** The IRI a term definition's value names, with compact `prefix:suffix` resolved; undefined when unknown. */
function resolve(value: string, prefixes: Record<string, string>): string | undefined {
  if (value === "@id" || value === "@type") return value;
  const colon = value.indexOf(":");
  if (colon > 0) {
    const ns = prefixes[value.slice(0, colon)];
    if (ns !== undefined) return ns + value.slice(colon + 1);
  }
  return inNamespace(value) ? value : undefined;
}

/** One inline term map: every definition plain, into a known vocabulary, and no term we read renamed. */
function knownTermMap(map: JsonObject, prefixes: Record<string, string>): boolean {
  for (const [term, value] of Object.entries(map)) {
    if (term === "@language") {
      if (typeof value !== "string") return false;
      continue;
    }
    if (term.startsWith("@")) return false; // @vocab, @base, @import, @protected, @version …
    let iri: string | undefined;
    if (typeof value === "string") {
      iri = KNOWN_NAMESPACES.includes(value) ? value : resolve(value, prefixes);
    } else if (isObject(value)) {
      const keys = Object.keys(value);
      if (!keys.every((k) => k === "@id" || k === "@type" || k === "@container")) return false;
      if (value["@type"] !== undefined && value["@type"] !== "@id") return false;
      if (value["@container"] !== undefined && value["@container"] !== "@list" && value["@container"] !== "@set") return false;
      if (PROTECTED.has(term) && value["@container"] !== undefined) return false;
      iri = typeof value["@id"] === "string" ? resolve(value["@id"], prefixes) : undefined;
    }
    if (iri === undefined) return false;
    const meaning = PROTECTED.get(term);
    if (meaning !== undefined && iri !== meaning) return false;
  }
  return true;
}

/** Answers for the context values seen last: a server sends the same one with every activity. */
const answers = new Map<string, boolean>();
const ANSWERS_KEPT = 64;

/** Whether every entry of one `@context` value is known (see the top of this file). */
export function knownContext(context: unknown): boolean {
  const key = typeof context === "string" ? context : JSON.stringify(context);
  let known = answers.get(key);
  if (known === undefined) {
    known = checkContext(context);
    if (answers.size >= ANSWERS_KEPT) answers.delete(answers.keys().next().value!);
    answers.set(key, known);
  }
  return known;
}

function checkContext(context: unknown): boolean {
  const entries = Array.isArray(context) ? context : [context];
  if (entries.length === 0) return false;
  // Prefixes defined anywhere in the inline maps: JSON-LD does not care about their order.
  const prefixes: Record<string, string> = { ...BUILTIN_PREFIXES };
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    for (const [term, value] of Object.entries(entry)) {
      if (typeof value === "string" && KNOWN_NAMESPACES.includes(value) && !PROTECTED.has(term)) prefixes[term] = value;
    }
  }
  return entries.every((entry) =>
    typeof entry === "string" ? KNOWN_CONTEXT_URLS.has(entry) || LITEPUB.test(entry) : isObject(entry) && knownTermMap(entry, prefixes),
  );
}

/**
 * Whether an activity can be read as compact JSON: a known top-level
 * `@context`, and every embedded `@context` (an embedded object may carry its
 * own) known too.
 */
export function contextsKnown(activity: unknown): boolean {
  if (!isObject(activity) || activity["@context"] === undefined || !knownContext(activity["@context"])) return false;
  for (const key in activity) if (key !== "@context" && unknownWithin(activity[key], 1)) return false;
  return true;
}

/** An embedded `@context` not known, or nesting too deep to look through. Loops, not entries(): this runs on every activity. */
function unknownWithin(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (depth > 32) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (unknownWithin(v, depth + 1)) return true;
    return false;
  }
  const object = value as JsonObject;
  for (const key in object) {
    if (key === "@context" ? !knownContext(object[key]) : unknownWithin(object[key], depth + 1)) return true;
  }
  return false;
}

export type IncomingActivity =
  | { kind: "create" | "update"; actorId: string; activity: JsonObject; object: JsonObject; objectId: string }
  | { kind: "delete"; actorId: string; objectId: string }
  | { kind: "unhandled"; why: string };

/** An absolute http(s) URL in the form `new URL(…).href` gives it (how Fedify hands ids to the listeners). */
function canonicalUrl(value: unknown): string | undefined {
  return isHttpUrl(value) && new URL(value).href === value ? value : undefined;
}

function validDateOrAbsent(value: unknown): boolean {
  return value === undefined || (typeof value === "string" && !Number.isNaN(Date.parse(value)));
}

/**
 * The shapes the fast inbox applies itself: Create or Update of one embedded
 * Note, and Delete of an object or actor by id. Everything else, and anything
 * shaped unusually (several actors, types or objects, a referenced object
 * that would have to be fetched, an unreadable date), is "unhandled" and
 * goes to Fedify. Assumes `contextsKnown(activity)`.
 */
export function readIncoming(activity: unknown): IncomingActivity {
  if (!isObject(activity)) return { kind: "unhandled", why: "not an object" };
  const type = activity.type;
  if (type !== "Create" && type !== "Update" && type !== "Delete") return { kind: "unhandled", why: `type ${JSON.stringify(type)}` };
  const actorId = canonicalUrl(activity.actor);
  if (actorId === undefined) return { kind: "unhandled", why: "actor is not one plain URL" };
  const object = activity.object;
  if (type === "Delete") {
    const objectId = canonicalUrl(typeof object === "string" ? object : isObject(object) ? object.id : undefined);
    return objectId === undefined ? { kind: "unhandled", why: "Delete of no plain id" } : { kind: "delete", actorId, objectId };
  }
  if (!isObject(object) || object.type !== "Note") return { kind: "unhandled", why: `${type} of something other than an embedded Note` };
  const objectId = canonicalUrl(object.id);
  if (objectId === undefined || objectId === actorId) return { kind: "unhandled", why: "object id is not a plain URL" };
  if (!validDateOrAbsent(object.published) || !validDateOrAbsent(object.updated)) return { kind: "unhandled", why: "unreadable date" };
  return { kind: type === "Create" ? "create" : "update", actorId, activity, object, objectId };
}

/** The owner is addressed (to/cc/bto/bcc/audience, on the object or the activity) or mentioned. */
export function audienceIncludes(activity: JsonObject, object: JsonObject, me: string): boolean {
  const keys = ["to", "cc", "bto", "bcc", "audience"];
  const addressed = keys.flatMap((k) => [...idsOf(object[k]), ...idsOf(activity[k])]);
  const mentioned = (Array.isArray(object.tag) ? object.tag : object.tag ? [object.tag] : [])
    .filter((t): t is JsonObject => isObject(t) && t.type === "Mention")
    .map((t) => String(t.href ?? ""));
  return addressed.includes(me) || mentioned.includes(me);
}

/** An incoming DM as plain values, what lib/domain stores. */
export type DmValues = {
  objectId: string;
  authorId: string;
  /** Everyone in it except the owner (author included). */
  participants: string[];
  refs: ThreadRef[];
  inReplyTo: string | null;
  html: string;
  text: string;
  summary: string | null;
  /** Its images are hidden until clicked: the Note's `sensitive`, or a content warning. */
  sensitive: boolean;
  attachments: DmAttachment[];
  published: Date;
};

/** How far in the future a `published` may be before it counts as "now" (a clock off, or a lie). */
const FUTURE_SLACK_MS = 5 * 60_000;

/**
 * The DM a Create carries for the owner `me`, or null when it is none: the
 * Note must be the sender's own (attributedTo, and its id on the sender's
 * host), private by the rule of lib/activitypub/addressing.ts, and for the owner.
 * `sender.id` and `objectId` as the listeners get them (URL hrefs).
 */
export function directMessageOf(input: {
  activity: JsonObject;
  object: JsonObject;
  objectId: string;
  sender: { id: string; followersUrl: string | null };
  me: string;
  now?: Date;
}): DmValues | null {
  const { activity, object, objectId, sender, me } = input;
  const author = idsOf(object.attributedTo)[0] ?? sender.id;
  if (author !== sender.id || new URL(objectId).host !== new URL(sender.id).host) return null;
  const followers = sender.followersUrl ? [sender.followersUrl] : [];
  if (!isDirectMessage({ ...activity, object }, { followersCollections: followers })) return null;
  if (!audienceIncludes(activity, object, me)) return null;
  const now = input.now ?? new Date();
  const content = extractDmContent(object);
  const published = typeof object.published === "string" && !Number.isNaN(Date.parse(object.published)) ? new Date(object.published) : now;
  return {
    objectId,
    authorId: sender.id,
    participants: participantsOf(object, activity).filter((p) => p !== me),
    refs: threadRefs(object),
    inReplyTo: idsOf(object.inReplyTo)[0] ?? null,
    html: content.html,
    text: content.text,
    summary: content.contentWarning,
    sensitive: content.sensitive,
    attachments: content.attachments,
    published: published.getTime() > now.getTime() + FUTURE_SLACK_MS ? now : published,
  };
}

export type EditValues = { html: string; text: string; summary: string | null; sensitive: boolean; attachments: DmAttachment[]; updated: Date };

/** The new content of an edited Note; null without a readable `updated` (an edit must say when). */
export function editOf(object: JsonObject): EditValues | null {
  const updated = typeof object.updated === "string" ? new Date(object.updated) : null;
  if (!updated || Number.isNaN(updated.getTime())) return null;
  const content = extractDmContent(object);
  return { html: content.html, text: content.text, summary: content.contentWarning, sensitive: content.sensitive, attachments: content.attachments, updated };
}
