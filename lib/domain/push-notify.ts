import { db } from "../db";
import { env } from "../env";
import { shownText } from "./encrypted-placeholder";
import { isBlocked } from "./contacts";
import { alertsOf } from "./push-subscriptions";
import { openToken } from "./push-token";
import { pushPayload, pushTopic, pushUrgency, whyNotPushed, type PushFacts, type PushPayload, type Subscriber } from "./push-payload";
import { getSetting } from "./settings";
import { signedMediaUrl } from "./signed-media-url";

// Who is told what: for one queued push (a PushDelivery row: one notification
// for one subscription), the facts from the database, the decision
// (lib/domain/push-payload.ts) and, when it goes, the payload and the headers
// that shape it. Sending is lib/federation/outbound/push-delivery.ts.

export type PushTarget = { id: number; endpoint: string; p256dh: string; auth: string; standard: boolean };

export type PushJob =
  | { send: false; reason: string; removeSubscription?: boolean }
  | { send: true; subscription: PushTarget; payload: PushPayload; topic: string | undefined; urgency: "high" | "normal" };

type Row = {
  sid: number | bigint;
  endpoint: string;
  p256dh: string;
  auth: string;
  standard: number | bigint | boolean;
  alerts: string;
  policy: string;
  tokenId: number | bigint | null;
  tokenCipher: string | null;
  sCreated: Date | string | number;
  tokenRow: number | bigint | null;
  tokenRevoked: Date | string | number | null;
  nid: number | bigint;
  type: string;
  actorId: string;
  messageId: string | null;
  nCreated: Date | string | number;
  text: string | null;
  encrypted: number | bigint | boolean | null;
  summary: string | null;
  direction: string | null;
  deletedAt: Date | string | number | null;
  conversationId: string | null;
  isRequest: number | bigint | boolean | null;
  name: string | null;
  handle: string | null;
  iconUrl: string | null;
};

const date = (v: Date | string | number) => (v instanceof Date ? v : new Date(v));

async function followedAccepted(direction: "in" | "out", actorId: string): Promise<boolean> {
  return (await db().follow.count({ where: { direction, actorId, state: "accepted" } })) > 0;
}

/** Decide about one queued push and, when it goes, build it. */
export async function pushJob(deliveryId: number, now = new Date()): Promise<PushJob> {
  const rows = await db().$queryRawUnsafe<Row[]>(
    `SELECT s."id" AS sid, s."endpoint", s."p256dh", s."auth", s."standard", s."alerts", s."policy", s."tokenId", s."tokenCipher", s."createdAt" AS sCreated,
            t."id" AS tokenRow, t."revokedAt" AS tokenRevoked,
            n."id" AS nid, n."type", n."actorId", n."messageId", n."createdAt" AS nCreated,
            m."text", m."encrypted", m."summary", m."direction", m."deletedAt", m."conversationId", c."isRequest",
            a."name", a."handle", a."iconUrl"
       FROM "PushDelivery" d
       JOIN "PushSubscription" s ON s."id" = d."subscriptionId"
       JOIN "Notification" n ON n."id" = d."notificationId"
       LEFT JOIN "ApiToken" t ON t."id" = s."tokenId"
       LEFT JOIN "Message" m ON m."id" = n."messageId"
       LEFT JOIN "Conversation" c ON c."id" = m."conversationId"
       LEFT JOIN "RemoteActor" a ON a."id" = n."actorId"
      WHERE d."id" = ?`,
    deliveryId,
  );
  const r = rows[0];
  if (!r) return { send: false, reason: "the push, its subscription or its notification is gone" };
  // An app's subscription lives only as long as its token (revoking deletes it too; this is the
  // safety net for a revocation that happened between queueing and sending).
  if (r.tokenId !== null && (r.tokenRow === null || r.tokenRevoked !== null)) {
    return { send: false, reason: "the app's token was revoked", removeSubscription: true };
  }
  const owner = await db().owner.findUnique({ where: { id: 1 }, select: { username: true } });
  if (!owner) return { send: false, reason: "no owner" };
  const facts: PushFacts = {
    notificationId: Number(r.nid),
    type: r.type,
    sender: {
      actorId: r.actorId,
      name: r.name,
      handle: r.handle,
      icon: r.iconUrl ? signedMediaUrl(r.iconUrl) : null,
      followedByOwner: await followedAccepted("out", r.actorId),
      followsOwner: await followedAccepted("in", r.actorId),
      blocked: await isBlocked(r.actorId),
    },
    ownerActor: `${env().origin}/users/${owner.username}`,
    message:
      r.messageId && r.direction !== null
        ? { text: shownText({ text: r.text ?? "", encrypted: Number(r.encrypted ?? 0) === 1 }), summary: r.summary, direction: r.direction, deleted: r.deletedAt !== null }
        : null,
    conversation: r.conversationId ? { id: r.conversationId, isRequest: Boolean(Number(r.isRequest ?? 0)) } : null,
    createdAt: date(r.nCreated),
  };
  const tokenId = r.tokenId === null ? null : Number(r.tokenId);
  const accessToken = tokenId !== null && r.tokenCipher ? openToken(r.tokenCipher, tokenId) : null;
  const subscriber: Subscriber = {
    alerts: alertsOf({ alerts: r.alerts }),
    policy: r.policy,
    browser: tokenId === null,
    accessToken,
    createdAt: date(r.sCreated),
  };
  const why = whyNotPushed(facts, subscriber, now);
  if (why) return { send: false, reason: why };
  const showText = (await getSetting("pushShowText")) ?? false;
  return {
    send: true,
    subscription: { id: Number(r.sid), endpoint: r.endpoint, p256dh: r.p256dh, auth: r.auth, standard: Boolean(Number(r.standard)) },
    payload: pushPayload(facts, subscriber, { showText, defaultIcon: `${env().origin}/apple-icon.png` }),
    topic: pushTopic(facts),
    urgency: pushUrgency(facts.type),
  };
}
