import { buildMlsMessage, mlsBytesProblem, type MlsMessageKind } from "../activitypub/mls";
import { db, writeTransaction } from "../db";
import type { EnvelopeKind, OutgoingEnvelope, StreamEnvelope } from "../e2ee/transport-types";
import { deliveriesOf, enqueueDeliveries, type NewDelivery } from "../federation/outbound/delivery";
import { actorUrl } from "../federation/paths";
import { conversationForOutgoing } from "./conversations";
import { checkRecipients, resolveRecipients } from "./direct-messages";
import { ENCRYPTED_HTML } from "./encrypted-placeholder";
import { newId } from "./ids";
import { decodeOrRefuse, E2eeError, randomId, requireDevice } from "./mls-devices";
import { requireSender } from "./sending";

// The owner's MLS envelopes (docs/E2EE.md): what a device sends (wrapped in
// Create activities and queued for the recipients' inboxes), the one ordered
// stream of everything sent and received, and hiding the placeholder row of a
// PrivateMessage that turned out not to be a new message. Incoming envelopes
// are stored by lib/domain/mls-incoming.ts.

export const ENVELOPE_KINDS: EnvelopeKind[] = ["Welcome", "PrivateMessage", "PublicMessage", "GroupInfo"];
export const MAX_RECIPIENTS = 10;
export const MAX_ENVELOPES_PER_SEND = 10;
export const MAX_STREAM_PAGE = 200;

export const mlsObjectUrl = (username: string, id: string) => `${actorUrl(username)}/mls/${id}`;

/** Deliveries of one conversation's envelopes keep their order per inbox (lib/federation/outbound/delivery.ts). */
const orderKeyOf = (conversationId: string) => `mls:${conversationId}`;

type Checked = OutgoingEnvelope & { bytes: Uint8Array };

function checkEnvelopes(envelopes: OutgoingEnvelope[]): Checked[] {
  if (envelopes.length === 0) throw new E2eeError("Send at least one envelope.");
  if (envelopes.length > MAX_ENVELOPES_PER_SEND) throw new E2eeError(`Send at most ${MAX_ENVELOPES_PER_SEND} envelopes at once.`);
  return envelopes.map((e, i) => {
    const where = envelopes.length > 1 ? `Envelope ${i + 1}` : "The envelope";
    if (!ENVELOPE_KINDS.includes(e.kind)) throw new E2eeError(`${where} is of kind ${String(e.kind)}; it must be one of ${ENVELOPE_KINDS.join(", ")}.`);
    if (e.visible && e.kind !== "PrivateMessage") throw new E2eeError(`${where} is a ${e.kind}; only a PrivateMessage can be a visible message.`);
    const bytes = decodeOrRefuse(e.content, where);
    const problem = mlsBytesProblem(e.kind, bytes);
    if (problem) throw new E2eeError(`${where}: ${problem}`);
    return { ...e, bytes };
  });
}

/**
 * Send a device's envelopes to the named actors: one Create each, addressed to
 * them only, stored in the conversation of exactly these people and queued so
 * that each inbox gets them in this order. A visible PrivateMessage also gets
 * a Message row with the placeholder, which carries the delivery state.
 */
export async function sendEnvelopes(input: { deviceId: string; recipients: string[]; envelopes: OutgoingEnvelope[] }) {
  const owner = await requireSender();
  await requireDevice(input.deviceId);
  const me = actorUrl(owner.username);
  const wanted = [...new Set(input.recipients)];
  if (wanted.length === 0) throw new E2eeError("Name at least one recipient.");
  if (wanted.length > MAX_RECIPIENTS) throw new E2eeError(`An encrypted conversation has at most ${MAX_RECIPIENTS} other people.`);
  if (wanted.includes(me)) throw new E2eeError("Your own other browsers get your messages through the stream; do not name yourself as a recipient.");
  const envelopes = checkEnvelopes(input.envelopes);
  const recipients = await resolveRecipients(wanted, me);
  await checkRecipients(recipients);
  const ids = recipients.map((r) => r.id);
  const conversationId = (await conversationForOutgoing(ids, new Date())).id;

  const base = Date.now();
  const built = envelopes.map((e, i) => {
    // A millisecond apart: the stream and the thread keep the order of the send.
    const published = new Date(base + i);
    const objectId = mlsObjectUrl(owner.username, randomId());
    const { create } = buildMlsMessage({ kind: e.kind as MlsMessageKind, id: objectId, attributedTo: me, published, bytes: e.bytes, recipients: ids });
    return { ...e, published, objectId, create, messageId: e.visible ? newId() : null };
  });

  await writeTransaction(async (tx) => {
    for (const b of built) {
      if (b.messageId) {
        await tx.message.create({
          data: { id: b.messageId, conversationId, objectId: b.objectId, direction: "out", authorId: me, html: ENCRYPTED_HTML, text: "", encrypted: true, published: b.published },
        });
      }
      await tx.mlsEnvelope.create({
        data: {
          objectId: b.objectId,
          kind: b.kind,
          direction: "out",
          actorId: me,
          conversationId,
          senderDevice: input.deviceId,
          messageId: b.messageId,
          content: b.content,
          createdAt: b.published,
        },
      });
    }
    const last = built.filter((b) => b.messageId).at(-1);
    if (last) await tx.conversation.update({ where: { id: conversationId }, data: { lastMessageAt: last.published, archived: false, isRequest: false } });
  });
  const deliveries: NewDelivery[] = built.flatMap((b) => deliveriesOf(b.create, recipients, b.messageId, orderKeyOf(conversationId)));
  await enqueueDeliveries(deliveries);
  return { conversationId, objectIds: built.map((b) => b.objectId), messageIds: built.map((b) => b.messageId) };
}

type EnvelopeRow = {
  seq: number;
  objectId: string;
  kind: string;
  direction: string;
  actorId: string;
  conversationId: string;
  senderDevice: string | null;
  messageId: string | null;
  content: string;
  createdAt: Date;
};

/** Everything sent and received after `after`, oldest first, with each conversation's participants. */
export async function envelopeStream(input: { after: number; limit?: number }): Promise<{ envelopes: StreamEnvelope[]; last: number }> {
  const limit = Math.min(Math.max(1, Math.floor(input.limit ?? MAX_STREAM_PAGE)), MAX_STREAM_PAGE);
  const rows: EnvelopeRow[] = await db().mlsEnvelope.findMany({ where: { seq: { gt: Math.max(0, Math.floor(input.after)) } }, orderBy: { seq: "asc" }, take: limit });
  const conversationIds = [...new Set(rows.map((r) => r.conversationId))];
  const participants = await db().conversationParticipant.findMany({ where: { conversationId: { in: conversationIds } } });
  const byConversation = new Map<string, string[]>();
  for (const p of participants) byConversation.set(p.conversationId, [...(byConversation.get(p.conversationId) ?? []), p.actorId]);
  const envelopes = rows.map((r) => ({
    seq: r.seq,
    objectId: r.objectId,
    kind: r.kind as EnvelopeKind,
    direction: r.direction as "in" | "out",
    actorId: r.actorId,
    senderDevice: r.senderDevice,
    conversationId: r.conversationId,
    // A copy each: a device may change one envelope's list without touching another's.
    participants: [...(byConversation.get(r.conversationId) ?? [])].sort(),
    messageId: r.messageId,
    content: r.content,
    published: r.createdAt.toISOString(),
  }));
  return { envelopes, last: rows.at(-1)?.seq ?? Math.max(0, Math.floor(input.after)) };
}

/**
 * Take an encrypted Message row out of the thread, the list, the unread count
 * and the API: a device found its PrivateMessage to be an edit, a delete or a
 * null message. The envelope stays (messageId null) for the other devices.
 */
export async function hideEnvelopeMessage(input: { messageId: string }): Promise<Record<string, never>> {
  await writeTransaction(async (tx) => {
    const message = await tx.message.findUnique({ where: { id: input.messageId } });
    if (!message) return; // hidden already (by another device)
    if (!message.encrypted) throw new E2eeError("Only an end-to-end encrypted message can be hidden this way.");
    const conversation = await tx.conversation.findUnique({ where: { id: message.conversationId } });
    if (message.direction === "in" && conversation && conversation.unreadCount > 0) {
      // The unread ones are the newest incoming messages: was this one of them?
      const newer = await tx.message.count({ where: { conversationId: message.conversationId, direction: "in", published: { gt: message.published } } });
      if (newer < conversation.unreadCount) await tx.conversation.update({ where: { id: conversation.id }, data: { unreadCount: { decrement: 1 } } });
    }
    await tx.message.delete({ where: { id: message.id } });
    const latest = await tx.message.findFirst({ where: { conversationId: message.conversationId }, orderBy: { published: "desc" }, select: { published: true } });
    if (latest && conversation && latest.published < conversation.lastMessageAt) {
      await tx.conversation.update({ where: { id: conversation.id }, data: { lastMessageAt: latest.published } });
    }
  });
  return {};
}

/** One of our envelopes as its object, for GET /users/<name>/mls/<id>: only to an addressee (lib/federation/mls-routes.ts). */
export async function sentEnvelopeFor(objectId: string, signer: string) {
  const row = await db().mlsEnvelope.findUnique({ where: { objectId }, include: { conversation: { include: { participants: true } } } });
  if (!row || row.direction !== "out") return null;
  const recipients = row.conversation.participants.map((p) => p.actorId);
  if (!recipients.includes(signer)) return null;
  const bytes = decodeOrRefuse(row.content, "The stored envelope");
  const { object } = buildMlsMessage({ kind: row.kind as MlsMessageKind, id: row.objectId, attributedTo: row.actorId, published: row.createdAt, bytes, recipients });
  return object;
}
