import { buildDmAddressing, type FollowersOptions } from "./addressing";

// The JSON-LD of an outgoing DM, Create and Note, from plain values. Kept pure
// (no clock, no database) so the privacy invariant — no Public, no followers
// collection, the same audience on both — is property-tested on exactly what
// is sent (tests/unit/activitypub/direct-message.test.ts).

const AS = "https://www.w3.org/ns/activitystreams";
export const NOTE_CONTEXT = [AS, { ostatus: "http://ostatus.org#", conversation: "ostatus:conversation", sensitive: "as:sensitive" }];

export type DirectMessageInput = {
  /** Our actor URL (the author). */
  actor: string;
  /** The Note's id; the Create is `${objectId}/activity`. */
  objectId: string;
  /** Each recipient's actor URL and the name its Mention shows (`@user@host`, else the URL). */
  recipients: { id: string; mention: string }[];
  /** Sanitised HTML of the text. */
  html: string;
  published: Date;
  /** The thread id (`context` and `conversation`). */
  thread: string;
  inReplyTo?: string | null;
  attachments?: { mediaType: string; url: string; alt: string | null }[];
};

export function buildDirectMessage(input: DirectMessageInput, options?: FollowersOptions) {
  // Throws AddressingError for Public, a followers collection, a non-URL or nobody.
  const addressing = buildDmAddressing(
    input.recipients.map((r) => r.id),
    options,
  );
  const note = {
    "@context": NOTE_CONTEXT,
    id: input.objectId,
    type: "Note",
    attributedTo: input.actor,
    ...addressing,
    content: input.html,
    published: input.published.toISOString(),
    url: input.objectId,
    context: input.thread,
    conversation: input.thread,
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    sensitive: false,
    tag: addressing.to.map((id) => ({ type: "Mention", href: id, name: input.recipients.find((r) => r.id === id)!.mention })),
    attachment: (input.attachments ?? []).map((a) => ({ type: "Document", mediaType: a.mediaType, url: a.url, name: a.alt })),
  };
  const { "@context": _context, ...noteBody } = note;
  const create = {
    "@context": NOTE_CONTEXT,
    id: `${input.objectId}/activity`,
    type: "Create",
    actor: input.actor,
    published: note.published,
    ...addressing,
    object: noteBody,
  };
  return { note, create };
}

/**
 * The Update for an edited DM: the Note as it was sent, with new content and
 * `updated`, to the same audience (its `to`, never more). Returns the new Note
 * too, stored as what the message now says.
 */
export function buildDirectMessageUpdate(input: { actor: string; objectId: string; sentNote: Record<string, unknown>; html: string; updated: Date }) {
  const note: Record<string, unknown> = { ...input.sentNote, content: input.html, updated: input.updated.toISOString() };
  const { "@context": context, ...noteBody } = note;
  const update = {
    "@context": context,
    id: `${input.objectId}#updates/${input.updated.getTime()}`,
    type: "Update",
    actor: input.actor,
    published: note.updated,
    to: note.to,
    cc: [],
    object: noteBody,
  };
  return { note, update };
}

/** The Delete of a DM, a Tombstone, to the people who received it. */
export function buildDirectMessageDelete(input: { actor: string; objectId: string; recipients: string[] }) {
  return {
    "@context": AS,
    id: `${input.objectId}#delete`,
    type: "Delete",
    actor: input.actor,
    to: input.recipients,
    cc: [],
    object: { id: input.objectId, type: "Tombstone" },
  };
}
