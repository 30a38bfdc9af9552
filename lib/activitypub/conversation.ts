// Which conversation a DM belongs to.
//
// Grouping rule (what Mastodon, Pleroma/Akkoma and Misskey send to thread DMs):
//   1. A note's `context`, then its `conversation`, names its thread. Mastodon
//      4.5 sends both with one value, 4.3/4.4 only `conversation` (a `tag:` URI),
//      Pleroma/Akkoma `context` = `conversation`.
//   2. Without either (GoToSocial), the thread is found through `inReplyTo`:
//      the conversation that holds the message being answered.
//   3. Whatever matched, the participant set must be equal too. Mastodon does
//      the same: one thread where Alice later adds Carol becomes a second
//      conversation, so nobody sees messages written before they were added.
//   No match → a new conversation.
//
// The lookups themselves belong to lib/domain; this module only says what to
// look for and in which order.

import { audienceOf, isPublicAddress, looksLikeFollowersCollection } from "./addressing";
import { idOf, idsOf, isObject } from "./values";

export type ThreadRefKind = "context" | "conversation" | "inReplyTo";

export interface ThreadRef {
  /** context/conversation are thread ids; inReplyTo is the id of a message. */
  kind: ThreadRefKind;
  id: string;
}

/** The thread candidates of a note, most reliable first, without duplicates. */
export function threadRefs(note: unknown): ThreadRef[] {
  if (!isObject(note)) return [];
  const refs: ThreadRef[] = [];
  const add = (kind: ThreadRefKind, value: unknown) => {
    // FEP-7888 allows `context` to be an embedded collection; its id is the key.
    const id = idOf(value);
    if (id !== undefined && !refs.some((r) => r.id === id)) refs.push({ kind, id });
  };
  add("context", note.context);
  add("conversation", note.conversation);
  add("inReplyTo", note.inReplyTo);
  return refs;
}

/**
 * Walks the candidates in priority order and returns the first conversation the
 * lookup finds for this exact participant set. `lookup` answers "which
 * conversation with these participants has this context / holds this message".
 */
export function pickConversation<C>(
  refs: readonly ThreadRef[],
  participantKeyValue: string,
  lookup: (ref: ThreadRef, participantKey: string) => C | undefined,
): C | undefined {
  for (const ref of refs) {
    const found = lookup(ref, participantKeyValue);
    if (found !== undefined) return found;
  }
  return undefined;
}

// Scheme and host are case-insensitive and a default port is noise; the path
// is case-sensitive and kept as sent.
function normalizeActorId(id: string): string {
  const trimmed = id.trim();
  try {
    return new URL(trimmed).href;
  } catch {
    return trimmed;
  }
}

/**
 * A stable key for a set of actors (include the owner): normalised, deduplicated
 * and sorted, so the same people in any order give the same key.
 */
export function participantKey(actorIds: Iterable<string>): string {
  const ids = new Set<string>();
  for (const id of actorIds) {
    const normalized = normalizeActorId(id);
    if (normalized.length > 0) ids.add(normalized);
  }
  // A normalised URL never contains a space, so the separator is unambiguous.
  return [...ids].sort().join(" ");
}

/**
 * Everyone a DM is between: its author and every actor it addresses, plus the
 * owner when given (the owner may have been reached by a shared-inbox copy that
 * does not name them in `to`/`cc`). Public and followers collections are not
 * people and never count.
 */
export function participantsOf(object: unknown, activity?: unknown, ownerId?: string): string[] {
  const people: string[] = [];
  const add = (id: string | undefined) => {
    if (id === undefined || isPublicAddress(id) || looksLikeFollowersCollection(id)) return;
    const normalized = normalizeActorId(id);
    if (!people.includes(normalized)) people.push(normalized);
  };
  // attributedTo may be an array (several authors); the first is the sender.
  add((isObject(object) ? idsOf(object.attributedTo)[0] : undefined) ?? (isObject(activity) ? idsOf(activity.actor)[0] : undefined));
  const { to, cc } = audienceOf(object, activity);
  for (const id of [...to, ...cc]) add(id);
  add(ownerId);
  return people;
}

export interface ThreadFields {
  context: string;
  conversation: string;
  inReplyTo?: string;
}

/**
 * `context`/`conversation`/`inReplyTo` for a note we send. A reply echoes the
 * parent's thread id so Mastodon and Pleroma file it in the same conversation;
 * `threadId` (the conversation's stored or newly minted id) is used when the
 * parent has none (GoToSocial) or for a first message.
 */
export function outgoingThreadFields(parent: unknown, threadId: string): ThreadFields {
  if (!isObject(parent)) return { context: threadId, conversation: threadId };
  const context = idOf(parent.context);
  const conversation = idOf(parent.conversation);
  const fields: ThreadFields = {
    context: context ?? conversation ?? threadId,
    conversation: conversation ?? context ?? threadId,
  };
  const parentId = idOf(parent.id);
  if (parentId !== undefined) fields.inReplyTo = parentId;
  return fields;
}
