// Who can read a post, decided from its addressing, and the addressing of the
// DMs we send. This module is where "is it private?" is answered, so it errs on
// the side of "not a DM" whenever anything wider than named actors is addressed.

import { hasType, idOf, idsOf, isHttpUrl, isObject, type JsonObject } from "./values";

export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

// The compacted forms are valid JSON-LD for the same IRI and some servers send
// them; the http:// spelling is wrong but seen in the wild and means the same.
const PUBLIC_FORMS: ReadonlySet<string> = new Set([
  PUBLIC,
  "http://www.w3.org/ns/activitystreams#Public",
  "as:Public",
  "Public",
]);

export type Visibility = "public" | "unlisted" | "followers" | "direct";

export interface Audience {
  to: string[];
  cc: string[];
}

export interface FollowersOptions {
  /**
   * Followers collections known to belong to someone (usually the sender's
   * actor `followers`), for servers whose collection URL does not end in
   * /followers.
   */
  followersCollections?: Iterable<string>;
}

export class AddressingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AddressingError";
  }
}

export function isPublicAddress(id: string): boolean {
  return PUBLIC_FORMS.has(id);
}

/**
 * A followers collection cannot be recognised from its id alone, but every
 * server we interoperate with (Mastodon, GoToSocial, Misskey, Pleroma/Akkoma,
 * snac) names it `<actor>/followers`. Misreading a collection as a person would
 * turn a followers-only post into a "DM", so the heuristic is deliberately broad.
 */
export function looksLikeFollowersCollection(id: string): boolean {
  let path: string;
  try {
    path = new URL(id).pathname;
  } catch {
    return false;
  }
  const segments = path.split("/").filter((s) => s.length > 0);
  return segments.length > 0 && segments[segments.length - 1].toLowerCase() === "followers";
}

/**
 * The effective `to` and `cc` of an object, as Mastodon reads them: each
 * property from the object when it has one, else from the wrapping activity.
 * An explicit empty array on the object counts as "has one".
 */
export function audienceOf(object: unknown, activity?: unknown): Audience {
  const pick = (key: "to" | "cc"): string[] => {
    if (isObject(object) && object[key] !== undefined && object[key] !== null) return idsOf(object[key]);
    if (isObject(activity)) return idsOf(activity[key]);
    return [];
  };
  return { to: pick("to"), cc: pick("cc") };
}

function followersMatcher(options: FollowersOptions | undefined): (id: string) => boolean {
  const known = new Set(options?.followersCollections ?? []);
  return (id) => known.has(id) || looksLikeFollowersCollection(id);
}

/**
 * Mastodon's visibility rule, on the object's addressing (else the activity's):
 * Public in `to` → public; Public in `cc` → unlisted; a followers collection →
 * followers ("private" in Mastodon); anything else → direct.
 *
 * One deliberate difference: Mastodon only looks for the sender's followers in
 * `to`. Here a followers collection in `cc` also counts, because DESIGN.md's DM
 * rule is "addressed to no Public and no followers collection" and a post that
 * reaches someone's followers is not private between named people.
 */
export function classifyVisibility(object: unknown, activity?: unknown, options?: FollowersOptions): Visibility {
  const { to, cc } = audienceOf(object, activity);
  if (to.some(isPublicAddress)) return "public";
  if (cc.some(isPublicAddress)) return "unlisted";
  const isFollowers = followersMatcher(options);
  if (to.some(isFollowers) || cc.some(isFollowers)) return "followers";
  return "direct";
}

// Types that carry a message body. Pleroma and Lemmy send private chats as
// ChatMessage; Misskey polls arrive as Question; Article is accepted because
// Mastodon renders it as a status too.
const MESSAGE_TYPES = ["Note", "Question", "Article", "ChatMessage"];

function embeddedObject(activity: JsonObject): JsonObject | undefined {
  const objects = Array.isArray(activity.object) ? activity.object : [activity.object];
  // A Create of several objects is not something any server sends for a DM.
  if (objects.length !== 1 || !isObject(objects[0])) return undefined;
  return objects[0];
}

const ADDRESS_KEYS = ["to", "cc", "bto", "bcc", "audience"] as const;

/**
 * Whether an incoming activity is a direct message: a Create with an embedded
 * Note-like object (Mastodon direct Notes, GoToSocial's scalar addressing,
 * Misskey `specified` notes, Pleroma `ChatMessage`) addressed to at least one
 * actor and to no Public and no followers collection — on the object *and* on
 * the activity, since Pleroma reads the activity and Mastodon the object.
 *
 * A Create that only references its object by id answers false: the caller
 * must embed the dereferenced object first, because the id says nothing about
 * the audience.
 */
export function isDirectMessage(activity: unknown, options?: FollowersOptions): boolean {
  if (!isObject(activity) || !hasType(activity, "Create")) return false;
  const object = embeddedObject(activity);
  if (object === undefined || !hasType(object, ...MESSAGE_TYPES)) return false;
  return isAddressedOnlyToNamedActors(object, activity, options);
}

/**
 * The addressing half of isDirectMessage, for any object (and its wrapping
 * activity, if any): at least one recipient, and no Public and no followers
 * collection in any addressing property of either. Also used for the MLS
 * envelopes of lib/activitypub/mls.ts, which are not Note-like.
 */
export function isAddressedOnlyToNamedActors(object: JsonObject, activity?: JsonObject, options?: FollowersOptions): boolean {
  const isFollowers = followersMatcher(options);
  const everyAddress = ADDRESS_KEYS.flatMap((key) => [...idsOf(object[key]), ...idsOf(activity?.[key])]);
  if (everyAddress.some((id) => isPublicAddress(id) || isFollowers(id))) return false;

  const { to, cc } = audienceOf(object, activity);
  return to.length + cc.length > 0;
}

/**
 * The addressing of an outgoing DM: every recipient in `to`, nothing in `cc`
 * (DESIGN.md, "DM rules"). Use the same value on the Create and the Note.
 * Throws rather than ever producing an address that reaches more than the
 * named people, or an empty audience (GoToSocial rejects those).
 */
export function buildDmAddressing(recipients: Iterable<string>, options?: FollowersOptions): { to: string[]; cc: [] } {
  const isFollowers = followersMatcher(options);
  const to: string[] = [];
  for (const id of recipients) {
    if (typeof id !== "string") {
      throw new AddressingError(`A direct message recipient must be an actor URL (got ${typeof id}).`);
    }
    if (isPublicAddress(id)) {
      throw new AddressingError(`A direct message cannot be addressed to the public (${id}).`);
    }
    if (isFollowers(id)) {
      throw new AddressingError(`A direct message cannot be addressed to a followers collection (${id}).`);
    }
    if (!isHttpUrl(id)) {
      throw new AddressingError(`A direct message recipient must be an actor URL (got "${id}").`);
    }
    if (!to.includes(id)) to.push(id);
  }
  if (to.length === 0) throw new AddressingError("A direct message needs at least one recipient.");
  return { to, cc: [] };
}

// Actor ids are compared as URLs so that case in the scheme or host, or an
// explicit default port, does not make the same person look like a stranger.
function comparableId(id: string): string {
  try {
    return new URL(id).href;
  } catch {
    return id;
  }
}

/**
 * Audience lock: a reply may only address people who are already in the
 * conversation. Throws an AddressingError naming the outsiders, so a bug in
 * reply composition can never leak a conversation to a new reader.
 */
export function assertNeverWidens(conversationParticipants: Iterable<string>, replyRecipients: Iterable<string>): void {
  const allowed = new Set([...conversationParticipants].map(comparableId));
  const outsiders: string[] = [];
  for (const id of replyRecipients) {
    if (isPublicAddress(id) || looksLikeFollowersCollection(id) || !allowed.has(comparableId(id))) outsiders.push(id);
  }
  if (outsiders.length > 0) {
    throw new AddressingError(
      `This reply would add readers who are not in the conversation: ${outsiders.join(", ")}.`,
    );
  }
}
