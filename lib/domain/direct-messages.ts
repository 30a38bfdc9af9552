import { assertNeverWidens } from "../activitypub/addressing";
import { buildDirectMessage, buildDirectMessageDelete, buildDirectMessageUpdate } from "../activitypub/direct-message";
import { htmlToText, textToHtml } from "../activitypub/html";
import { db, writeTransaction } from "../db";
import { deliverActivity } from "../federation/outbound/delivery";
import { resolveActor } from "../federation/lookup";
import { actorUrl, contextUrl, noteUrl } from "../federation/paths";
import { AttachmentError, ATTACHMENTS_MAX, checkAttachments, storeAttachments, type NewAttachment } from "./attachments";
import { getRemoteActor, isBlocked, type RemoteActor } from "./contacts";
import { addConversationRef, conversationForOutgoing, getConversation } from "./conversations";
import { newId } from "./ids";
import { mentionName, requireSender, SendError } from "./sending";
import { uploadAttachment, waitingUploads, type Upload } from "./uploads";

// The owner's DMs: send, edit, delete. Every DM goes to = each recipient,
// cc = [], a Mention for each, no Public, no followers — identical on the
// Create and the Note (lib/activitypub/direct-message.ts builds them), which is
// what Mastodon and the others read as a direct message.

export const MAX_DM_TEXT = 5000;

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
type SendInput = { text: string; attachments?: NewAttachment[]; uploads?: bigint[] } & ContentWarning & ({ to: string[] } | { conversationId: string });

/** A content warning (shown before the text, which stays folded away) and whether the images are sensitive. */
export type ContentWarning = { summary?: string | null; sensitive?: boolean };

/** The content warning as sent: trimmed, one line of plain text, counted with the text against MAX_DM_TEXT; "" is none. */
function validateWarning(summary: string | null | undefined, text: string): string | null {
  const s = (summary ?? "").replace(/\s+/g, " ").trim();
  if (s.length + text.length > MAX_DM_TEXT) throw new SendError(`The message and its content warning are longer than ${MAX_DM_TEXT} characters together.`);
  return s || null;
}

export type SentMessage = { messageId: string; conversationId: string; objectId: string; recipients: string[] };

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

/**
 * The actors for what the owner typed (handles or actor URLs), fetched unless
 * cached, each once; never the owner. Shared with encrypted sends (lib/domain/mls-envelopes.ts).
 */
export async function resolveRecipients(to: string[], me: string): Promise<RemoteActor[]> {
  if (to.length === 0) throw new SendError("Name at least one recipient.");
  // Looked up a few at a time: one after another, 100 new people took seconds.
  const found = await mapConcurrently(to, LOOKUP_CONCURRENCY, (who) => resolveActor(who));
  const recipients: RemoteActor[] = [];
  for (const actor of found) {
    if (actor.id === me) throw new SendError("You cannot send a message to yourself.");
    if (!recipients.some((r) => r.id === actor.id)) recipients.push(actor);
  }
  return recipients;
}

/** Refuse to send to accounts that are gone or blocked. */
export async function checkRecipients(recipients: RemoteActor[]): Promise<void> {
  for (const r of recipients) {
    if (r.gone) throw new SendError(`${mentionName(r)} has deleted their account.`);
    if (await isBlocked(r.id)) throw new SendError(`${mentionName(r)} is blocked; unblock them first.`);
  }
}

/**
 * Send a DM to people (handles or actor URLs) or as a reply in a conversation.
 * A reply goes to exactly the conversation's participants: it can never widen
 * the audience.
 */
export async function sendDirectMessage(input: SendInput): Promise<SentMessage> {
  const owner = await requireSender();
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
  const summary = validateWarning(input.summary, text);
  const sensitive = summary !== null || input.sensitive === true;
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
    recipients = await resolveRecipients(input.to, me);
    conversationId = (await conversationForOutgoing(recipients.map((r) => r.id), new Date())).id;
  }
  await checkRecipients(recipients);

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
    summary,
    sensitive,
  });

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
        summary,
        sensitive,
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
  await deliverActivity(create, recipients, messageId);
  return { messageId, conversationId, objectId, recipients: recipients.map((r) => r.id) };
}

async function ownMessage(messageId: string) {
  const owner = await requireSender();
  const msg = await db().message.findUnique({ where: { id: messageId }, include: { conversation: { include: { participants: true } } } });
  if (!msg || msg.direction !== "out") throw new SendError(`No message of yours with id ${messageId}.`);
  if (msg.deletedAt) throw new SendError("That message was deleted.");
  // Its edit or delete is an MLS message only the browser holding the keys can make (docs/E2EE.md).
  if (msg.encrypted) throw new SendError("An end-to-end encrypted message can only be edited or deleted from a browser that holds your keys.");
  const recipients = (await Promise.all(msg.conversation.participants.map((p) => getRemoteActor(p.actorId)))).filter(
    (a): a is RemoteActor => a !== null && !a.gone,
  );
  return { owner, msg, recipients };
}

/**
 * Edit one of the owner's messages: a new text, an Update with a later
 * `updated`. The content warning and sensitivity change only when given.
 */
export async function editDirectMessage(messageId: string, newText: string, warning: ContentWarning = {}): Promise<void> {
  const { owner, msg, recipients } = await ownMessage(messageId);
  const text = validateText(newText);
  const summary = warning.summary === undefined ? msg.summary : validateWarning(warning.summary, text);
  const sensitive = summary !== null || (warning.sensitive ?? (warning.summary === undefined ? msg.sensitive : false));
  const mentions = new Map(recipients.filter((r) => r.handle).map((r) => [r.handle!, r.id]));
  const html = textToHtml(text, { mentions });
  const updated = new Date();
  const { note, update } = buildDirectMessageUpdate({
    actor: actorUrl(owner.username),
    objectId: msg.objectId,
    sentNote: JSON.parse(msg.objectJson ?? "{}"),
    html,
    updated,
    summary,
    sensitive,
  });
  await db().message.update({ where: { id: msg.id }, data: { html, text: htmlToText(html), summary, sensitive, objectJson: JSON.stringify(note), updated } });
  await deliverActivity(update, recipients, msg.id);
}

/** Delete one of the owner's messages everywhere it went; a marker stays here. */
export async function deleteDirectMessage(messageId: string): Promise<void> {
  const { owner, msg, recipients } = await ownMessage(messageId);
  const del = buildDirectMessageDelete({ actor: actorUrl(owner.username), objectId: msg.objectId, recipients: recipients.map((r) => r.id) });
  await db().message.update({ where: { id: msg.id }, data: { html: "", text: "", attachments: "[]", deletedAt: new Date() } });
  await deliverActivity(del, recipients, msg.id);
}
