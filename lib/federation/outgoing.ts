import { assertNeverWidens } from "../activitypub/addressing";
import { buildDirectMessage } from "../activitypub/direct-message";
import { htmlToText, textToHtml } from "../activitypub/html";
import { db, writeTransaction } from "../db";
import { addBlock, getRemoteActor, isBlocked, recordFollow, removeFollow, getFollow, type RemoteActor } from "../domain/contacts";
import { addConversationRef, conversationForOutgoing, getConversation } from "../domain/conversations";
import { AttachmentError, ATTACHMENTS_MAX, checkAttachments, storeAttachments, type NewAttachment } from "../domain/attachments";
import { uploadAttachment, waitingUploads, type Upload } from "../domain/uploads";
import { newId } from "../domain/ids";
import { getOwner, type Owner } from "../domain/owner";
import { env } from "../env";
import { enqueueDeliveries } from "./delivery";
import { federation } from "./federation";
import { resolveActor } from "./lookup";
import { actorUrl, contextUrl, noteUrl } from "./paths";

// Outgoing activities, built as plain JSON-LD and handed to the delivery queue.
// Every DM: to = each recipient, cc = [], a Mention for each, no Public, no
// followers — identical on the Create and the Note, which is what Mastodon and
// the others read as a direct message.

export class SendError extends Error {}

const AS = "https://www.w3.org/ns/activitystreams";
/** Profile updates are public (the profile is); DMs never use this. */
const PUBLIC_ADDRESS = `${AS}#Public`;
export const MAX_DM_TEXT = 5000;

async function requireOwnerRow(): Promise<Owner> {
  const owner = await getOwner();
  if (!owner) throw new SendError("This instance has no owner yet; run setup first.");
  return owner;
}

function mentionName(a: RemoteActor): string {
  return a.handle ?? a.id;
}

function validateText(text: string, allowEmpty = false): string {
  const t = text.replace(/\r\n/g, "\n").trim();
  if (!t && !allowEmpty) throw new SendError("The message is empty.");
  if (t.length > MAX_DM_TEXT) throw new SendError(`The message is longer than ${MAX_DM_TEXT} characters.`);
  return t;
}

/**
 * `attachments` are new images (the web UI, the CLI); `uploads` the ids of
 * images already stored through the API (POST /api/v2/media), each taken by
 * this message only.
 */
type SendInput = { text: string; attachments?: NewAttachment[]; uploads?: bigint[] } & ({ to: string[] } | { conversationId: string });

export type SentMessage = { messageId: string; conversationId: string; objectId: string; recipients: string[] };

/**
 * Send a DM to people (handles or actor URLs) or as a reply in a conversation.
 * A reply goes to exactly the conversation's participants: it can never widen
 * the audience.
 */
const LOOKUP_CONCURRENCY = 8;

/** `items.map(fn)` with at most `limit` calls running at once; results keep the order, the first failure rejects. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

export async function sendDirectMessage(input: SendInput): Promise<SentMessage> {
  const owner = await requireOwnerRow();
  const files = input.attachments ?? [];
  let uploads: Upload[];
  try {
    checkAttachments(files);
    uploads = await waitingUploads(input.uploads ?? []);
    if (files.length + uploads.length > ATTACHMENTS_MAX) throw new AttachmentError(`Attach at most ${ATTACHMENTS_MAX} images.`);
  } catch (err) {
    if (err instanceof AttachmentError) throw new SendError(err.message);
    throw err;
  }
  const text = validateText(input.text, files.length + uploads.length > 0);
  const me = actorUrl(owner.username);

  let recipients: RemoteActor[];
  let conversationId: string;
  if ("conversationId" in input) {
    const conv = await getConversation(input.conversationId);
    if (!conv) throw new SendError(`No conversation ${input.conversationId}.`);
    const actors = await Promise.all(conv.participants.map((p) => getRemoteActor(p.actorId)));
    recipients = actors.filter((a): a is RemoteActor => a !== null);
    assertNeverWidens(
      conv.participants.map((p) => p.actorId),
      recipients.map((r) => r.id),
    );
    conversationId = conv.id;
  } else {
    if (input.to.length === 0) throw new SendError("Name at least one recipient.");
    // Looked up a few at a time: one after another, 100 new people took seconds.
    const found = await mapConcurrently(input.to, LOOKUP_CONCURRENCY, (who) => resolveActor(who));
    recipients = [];
    for (const actor of found) {
      if (actor.id === me) throw new SendError("You cannot send a message to yourself.");
      if (!recipients.some((r) => r.id === actor.id)) recipients.push(actor);
    }
    conversationId = (await conversationForOutgoing(recipients.map((r) => r.id), new Date())).id;
  }
  for (const r of recipients) {
    if (r.gone) throw new SendError(`${mentionName(r)} has deleted their account.`);
    if (await isBlocked(r.id)) throw new SendError(`${mentionName(r)} is blocked; unblock them first.`);
  }

  const conversation = await getConversation(conversationId);
  if (!conversation) throw new SendError("The conversation disappeared.");
  // Thread: answer the newest message, and echo a remote thread id when the other side gave one.
  const last = await db().message.findFirst({ where: { conversationId }, orderBy: { published: "desc" } });
  const refs = await db().conversationRef.findMany({ where: { conversationId } });
  const ours = contextUrl(conversationId);
  const thread = refs.find((r) => r.uri !== ours)?.uri ?? ours;
  await addConversationRef(conversationId, ours);

  const messageId = newId();
  const objectId = noteUrl(owner.username, messageId);
  const html = text ? textToHtml(text, { mentions: new Map(recipients.filter((r) => r.handle).map((r) => [r.handle!, r.id])) }) : "";
  const stored = [...(await storeAttachments(files)), ...uploads.map(uploadAttachment)];
  const published = new Date();
  const { note, create } = buildDirectMessage({
    actor: me,
    objectId,
    recipients: recipients.map((r) => ({ id: r.id, mention: mentionName(r) })),
    html,
    published,
    thread,
    inReplyTo: last?.objectId,
    attachments: stored,
  });
  const activityId = create.id;

  await writeTransaction(async (tx) => {
    await tx.message.create({
      data: {
        id: messageId,
        conversationId,
        objectId,
        direction: "out",
        authorId: me,
        inReplyTo: last?.objectId ?? null,
        html,
        text: htmlToText(html),
        attachments: JSON.stringify(stored.map(({ file: _file, ...a }) => a)),
        objectJson: JSON.stringify(note),
        published,
      },
    });
    await tx.conversation.update({ where: { id: conversationId }, data: { lastMessageAt: published, archived: false, isRequest: false } });
    if (uploads.length === 0) return;
    // Taken here, in the message's transaction: of two messages racing for one upload, one fails whole.
    const taken = await tx.apiMedia.updateMany({ where: { id: { in: uploads.map((u) => u.id) }, messageId: null }, data: { messageId } });
    if (taken.count !== uploads.length) throw new SendError("An attached image was just sent with another message.");
  });
  await enqueueDeliveries(
    recipients.map((r) => ({ activityId, body: JSON.stringify(create), inbox: r.inbox, recipient: r.id, messageId })),
  );
  return { messageId, conversationId, objectId, recipients: recipients.map((r) => r.id) };
}

async function ownMessage(messageId: string) {
  const owner = await requireOwnerRow();
  const msg = await db().message.findUnique({ where: { id: messageId }, include: { conversation: { include: { participants: true } } } });
  if (!msg || msg.direction !== "out") throw new SendError(`No message of yours with id ${messageId}.`);
  if (msg.deletedAt) throw new SendError("That message was deleted.");
  const recipients = (await Promise.all(msg.conversation.participants.map((p) => getRemoteActor(p.actorId)))).filter(
    (a): a is RemoteActor => a !== null && !a.gone,
  );
  return { owner, msg, recipients };
}

/** Edit one of the owner's messages: a new text, an Update with a later `updated`. */
export async function editDirectMessage(messageId: string, newText: string): Promise<void> {
  const { owner, msg, recipients } = await ownMessage(messageId);
  const text = validateText(newText);
  const note = JSON.parse(msg.objectJson ?? "{}");
  const mentions = new Map(recipients.filter((r) => r.handle).map((r) => [r.handle!, r.id]));
  const html = textToHtml(text, { mentions });
  const updated = new Date();
  note.content = html;
  note.updated = updated.toISOString();
  const { "@context": context, ...noteBody } = note;
  const update = {
    "@context": context,
    id: `${msg.objectId}#updates/${updated.getTime()}`,
    type: "Update",
    actor: actorUrl(owner.username),
    published: note.updated,
    to: note.to,
    cc: [],
    object: noteBody,
  };
  await db().message.update({ where: { id: msg.id }, data: { html, text: htmlToText(html), objectJson: JSON.stringify(note), updated } });
  await enqueueDeliveries(
    recipients.map((r) => ({ activityId: update.id, body: JSON.stringify(update), inbox: r.inbox, recipient: r.id, messageId: msg.id })),
  );
}

/** Delete one of the owner's messages everywhere it went; a marker stays here. */
export async function deleteDirectMessage(messageId: string): Promise<void> {
  const { owner, msg, recipients } = await ownMessage(messageId);
  const me = actorUrl(owner.username);
  const del = {
    "@context": AS,
    id: `${msg.objectId}#delete`,
    type: "Delete",
    actor: me,
    to: recipients.map((r) => r.id),
    cc: [],
    object: { id: msg.objectId, type: "Tombstone" },
  };
  await db().message.update({ where: { id: msg.id }, data: { html: "", text: "", attachments: "[]", deletedAt: new Date() } });
  await enqueueDeliveries(
    recipients.map((r) => ({ activityId: del.id, body: JSON.stringify(del), inbox: r.inbox, recipient: r.id, messageId: msg.id })),
  );
}

// ── follows and blocks ──

export async function followActor(who: string): Promise<RemoteActor> {
  const owner = await requireOwnerRow();
  const target = await resolveActor(who);
  if (await isBlocked(target.id)) throw new SendError(`${mentionName(target)} is blocked; unblock them first.`);
  const me = actorUrl(owner.username);
  const id = `${me}#follows/${newId()}`;
  const follow = { "@context": AS, id, type: "Follow", actor: me, object: target.id };
  const existing = await getFollow("out", target.id);
  await recordFollow("out", target.id, id, existing?.state === "accepted" ? "accepted" : "pending");
  await enqueueDeliveries([{ activityId: id, body: JSON.stringify(follow), inbox: target.inbox, recipient: target.id }]);
  return target;
}

export async function unfollowActor(who: string): Promise<RemoteActor> {
  const owner = await requireOwnerRow();
  const target = await resolveActor(who);
  const existing = await getFollow("out", target.id);
  if (!existing) throw new SendError(`You do not follow ${mentionName(target)}.`);
  const me = actorUrl(owner.username);
  const undo = {
    "@context": AS,
    id: `${existing.activityId}/undo`,
    type: "Undo",
    actor: me,
    object: { id: existing.activityId, type: "Follow", actor: me, object: target.id },
  };
  await removeFollow("out", target.id);
  await enqueueDeliveries([{ activityId: undo.id, body: JSON.stringify(undo), inbox: target.inbox, recipient: target.id }]);
  return target;
}

/** Block an account: follows end both ways, they are told (as Mastodon does), nothing more reaches them. */
export async function blockActor(who: string): Promise<RemoteActor> {
  const owner = await requireOwnerRow();
  const target = await resolveActor(who);
  const me = actorUrl(owner.username);
  const id = `${me}#blocks/${newId()}`;
  const block = { "@context": AS, id, type: "Block", actor: me, object: target.id, to: [target.id] };
  // Delivered before the block is stored: once stored, nothing is sent to them any more.
  await enqueueDeliveries([{ activityId: id, body: JSON.stringify(block), inbox: target.inbox, recipient: target.id }]);
  await addBlock("actor", target.id);
  return target;
}

/** The Accept for someone's Follow, embedding their Follow (Mastodon matches on it). */
export async function acceptFollow(owner: Owner, follower: RemoteActor, followJson: unknown): Promise<void> {
  const me = actorUrl(owner.username);
  const accept = { "@context": AS, id: `${me}#accepts/${newId()}`, type: "Accept", actor: me, object: followJson };
  await enqueueDeliveries([{ activityId: accept.id, body: JSON.stringify(accept), inbox: follower.inbox, recipient: follower.id }]);
}

export async function rejectFollow(owner: Owner, follower: RemoteActor, followJson: unknown): Promise<void> {
  const me = actorUrl(owner.username);
  const reject = { "@context": AS, id: `${me}#rejects/${newId()}`, type: "Reject", actor: me, object: followJson };
  await enqueueDeliveries([{ activityId: reject.id, body: JSON.stringify(reject), inbox: follower.inbox, recipient: follower.id }]);
}


/** Approve a held follow request: Accept it (Mastodon matches the Accept by the Follow's id). */
export async function approveFollower(actorId: string): Promise<void> {
  const owner = await requireOwnerRow();
  const follow = await getFollow("in", actorId);
  const follower = await getRemoteActor(actorId);
  if (!follow || !follower) throw new SendError("There is no follow request from that account.");
  await recordFollow("in", actorId, follow.activityId, "accepted");
  await acceptFollow(owner, follower, { id: follow.activityId, type: "Follow", actor: actorId, object: actorUrl(owner.username) });
}

/** Turn down a follow request, or remove an existing follower: a Reject tells their server. */
export async function rejectFollower(actorId: string): Promise<void> {
  const owner = await requireOwnerRow();
  const follow = await getFollow("in", actorId);
  const follower = await getRemoteActor(actorId);
  if (!follow || !follower) throw new SendError("That account does not follow you.");
  await removeFollow("in", actorId);
  await rejectFollow(owner, follower, { id: follow.activityId, type: "Follow", actor: actorId, object: actorUrl(owner.username) });
}

/** Tell followers' servers that the profile changed (Update{Person}), once per shared inbox. */
export async function broadcastProfileUpdate(): Promise<void> {
  const owner = await requireOwnerRow();
  const ctx = federation().createContext(new Request(env().origin), undefined);
  const actor = await ctx.getActor(owner.username);
  if (!actor) return;
  const me = actorUrl(owner.username);
  const json = (await actor.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader })) as Record<string, unknown>;
  const { "@context": context, ...object } = json;
  const id = `${me}#updates/${Date.now()}`;
  const update = { "@context": context, id, type: "Update", actor: me, to: [PUBLIC_ADDRESS], object };
  const followers = await db().follow.findMany({ where: { direction: "in", state: "accepted" } });
  const actors = await db().remoteActor.findMany({ where: { id: { in: followers.map((f) => f.actorId) } } });
  const inboxes = new Map<string, string | null>();
  for (const a of actors) if (!a.gone) inboxes.set(a.sharedInbox ?? a.inbox, a.sharedInbox ? null : a.id);
  await enqueueDeliveries([...inboxes].map(([inbox, recipient]) => ({ activityId: id, body: JSON.stringify(update), inbox, recipient })));
}
