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
  /** The content warning, plain text (Mastodon's `spoiler_text`). */
  summary?: string | null;
  /** Its images are sensitive; always so with a content warning, as Mastodon sends it. */
  sensitive?: boolean;
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
    ...(input.summary ? { summary: input.summary } : {}),
    content: input.html,
    published: input.published.toISOString(),
    url: input.objectId,
    context: input.thread,
    conversation: input.thread,
    ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
    sensitive: Boolean(input.summary) || input.sensitive === true,
    tag: addressing.to.map((id) => ({ type: "Mention", href: id, name: input.recipients.find((r) => r.id === id)!.mention })),
    attachment: (input.attachments ?? []).map((a) => ({ type: "Document", mediaType: a.mediaType, url: a.url, name: a.alt })),
  };
  return { note, create: buildCreateOf(note) };
}

/**
 * The Create that delivers an object we wrote: id `<object id>/activity`, the
 * object's author, time and audience, and the object embedded without its
 * @context. Shared by DMs and the MLS envelopes of ./mls.ts, so both keep the
 * same audience on the Create as on the object.
 */
export function buildCreateOf<T extends { "@context": unknown; id: string; attributedTo: string; published: string; to: string[]; cc: string[] }>(object: T) {
  const { "@context": context, ...body } = object;
  return {
    "@context": context,
    id: `${object.id}/activity`,
    type: "Create",
    actor: object.attributedTo,
    published: object.published,
    to: object.to,
    cc: object.cc,
    object: body,
  };
}

/**
 * The Update for an edited DM: the Note as it was sent, with new content and
 * `updated`, to the same audience (its `to`, never more). Returns the new Note
 * too, stored as what the message now says.
 */
export function buildDirectMessageUpdate(input: {
  actor: string;
  objectId: string;
  sentNote: Record<string, unknown>;
  html: string;
  updated: Date;
  /** The new content warning and sensitivity; left out, the Note keeps what it had. */
  summary?: string | null;
  sensitive?: boolean;
}) {
  const { summary: oldSummary, ...rest } = input.sentNote;
  const summary = input.summary === undefined ? oldSummary : input.summary;
  const sensitive = input.sensitive === undefined && input.summary === undefined ? rest.sensitive : Boolean(summary) || input.sensitive === true;
  const note: Record<string, unknown> = {
    ...rest,
    ...(summary ? { summary } : {}),
    ...(sensitive === undefined ? {} : { sensitive }),
    content: input.html,
    updated: input.updated.toISOString(),
  };
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
