import { db, writeTransaction } from "../db";
import { participantKey, type ThreadRef } from "../activitypub/conversation";
import { newId } from "./ids";

// Conversations and their messages. Grouping follows lib/activitypub/conversation.ts:
// context/conversation first, then the inReplyTo chain, always for the same
// participant set; failing those, the newest conversation with exactly these
// people (a messenger keeps one chat per group of people).

const MAX_TEXT = 100_000;

type Tx = Parameters<Parameters<ReturnType<typeof db>["$transaction"]>[0]>[0];

/**
 * The conversation these refs (in order) or, failing them, these people lead
 * to, and the context/conversation URI that matched (already stored, so it
 * need not be added again). Plain SQL: this runs for every incoming DM, and
 * Prisma's query building costs more than these index lookups.
 */
async function findConversation(tx: Tx, refs: ThreadRef[], key: string): Promise<{ id: string; via: string | null } | null> {
  for (const ref of refs) {
    if (ref.kind === "inReplyTo") {
      const parent = await tx.$queryRawUnsafe<{ id: string }[]>(
        `SELECT c."id" FROM "Message" m JOIN "Conversation" c ON c."id" = m."conversationId" WHERE m."objectId" = ? AND c."participantKey" = ?`,
        ref.id,
        key,
      );
      if (parent[0]) return { id: parent[0].id, via: null };
    } else {
      const hit = await tx.$queryRawUnsafe<{ id: string }[]>(
        `SELECT r."conversationId" AS "id" FROM "ConversationRef" r JOIN "Conversation" c ON c."id" = r."conversationId"
          WHERE r."uri" = ? AND c."participantKey" = ? LIMIT 1`,
        ref.id,
        key,
      );
      if (hit[0]) return { id: hit[0].id, via: ref.id };
    }
  }
  const byPeople = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT "id" FROM "Conversation" WHERE "participantKey" = ? ORDER BY "lastMessageAt" DESC LIMIT 1`,
    key,
  );
  return byPeople[0] ? { id: byPeople[0].id, via: null } : null;
}

/** Does the owner follow this actor (accepted or asked), or has the owner written in a conversation with them? */
async function ownerKnows(tx: Tx, actorId: string): Promise<boolean> {
  const rows = await tx.$queryRawUnsafe<{ known: bigint | number }[]>(
    `SELECT EXISTS (SELECT 1 FROM "Follow" WHERE "direction" = 'out' AND "actorId" = ?)
         OR EXISTS (SELECT 1 FROM "ConversationParticipant" p JOIN "Message" m ON m."conversationId" = p."conversationId"
                     WHERE p."actorId" = ? AND m."direction" = 'out') AS "known"`,
    actorId,
    actorId,
  );
  return Number(rows[0]?.known ?? 0) === 1;
}

async function createConversation(tx: Tx, participants: string[], key: string, at: Date, isRequest: boolean) {
  const id = newId();
  await tx.conversation.create({
    data: {
      id,
      participantKey: key,
      lastMessageAt: at,
      isRequest,
      participants: { create: participants.map((actorId) => ({ actorId })) },
    },
  });
  return id;
}

async function addRefs(tx: Tx, conversationId: string, uris: string[]) {
  for (const uri of uris) {
    await tx.$executeRawUnsafe(`INSERT INTO "ConversationRef" ("uri", "conversationId") VALUES (?, ?) ON CONFLICT DO NOTHING`, uri, conversationId);
  }
}

export type IncomingMessage = {
  objectId: string;
  authorId: string;
  /** Everyone in it except the owner (author included). */
  participants: string[];
  refs: ThreadRef[];
  inReplyTo: string | null;
  html: string;
  text: string;
  summary: string | null;
  attachments: unknown[];
  published: Date;
  /**
   * A stranger: neither followed by the owner nor written to before. Only
   * matters when the DM starts a conversation; left out, it is worked out
   * then (inside the transaction) from the author.
   */
  isRequest?: boolean;
};

/** Store an incoming DM once; a repeat of the same object id is ignored. Returns the message id. */
export async function storeIncomingMessage(m: IncomingMessage): Promise<{ messageId: string; conversationId: string; created: boolean }> {
  const key = participantKey(m.participants);
  return writeTransaction(async (tx) => {
    const existing = await tx.$queryRawUnsafe<{ id: string; conversationId: string }[]>(
      `SELECT "id", "conversationId" FROM "Message" WHERE "objectId" = ?`,
      m.objectId,
    );
    if (existing[0]) return { messageId: existing[0].id, conversationId: existing[0].conversationId, created: false };
    const found = await findConversation(tx, m.refs, key);
    const conversationId =
      found?.id ??
      (await createConversation(tx, m.participants, key, m.published, m.isRequest ?? !(await ownerKnows(tx, m.authorId))));
    await addRefs(
      tx,
      conversationId,
      m.refs.filter((r) => r.kind !== "inReplyTo" && r.id !== found?.via).map((r) => r.id),
    );
    const id = newId();
    await tx.$executeRawUnsafe(
      `INSERT INTO "Message" ("id", "conversationId", "objectId", "direction", "authorId", "inReplyTo", "html", "text", "summary", "attachments", "published", "createdAt")
       VALUES (?, ?, ?, 'in', ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      conversationId,
      m.objectId,
      m.authorId,
      m.inReplyTo,
      m.html.slice(0, MAX_TEXT * 2),
      m.text.slice(0, MAX_TEXT),
      m.summary,
      JSON.stringify(m.attachments),
      m.published,
      new Date(),
    );
    // Dates are stored as ISO-8601 text in one fixed form, so they compare as text.
    await tx.$executeRawUnsafe(
      `UPDATE "Conversation" SET "unreadCount" = "unreadCount" + 1, "archived" = 0,
              "lastMessageAt" = CASE WHEN "lastMessageAt" < ? THEN ? ELSE "lastMessageAt" END
        WHERE "id" = ?`,
      m.published,
      m.published,
      conversationId,
    );
    // The Mastodon API's "mention" (lib/api/notifications.ts), in the same transaction as the DM it announces.
    await tx.$executeRawUnsafe(`INSERT INTO "Notification" ("type", "actorId", "messageId", "createdAt") VALUES ('mention', ?, ?, ?)`, m.authorId, id, new Date());
    return { messageId: id, conversationId, created: true };
  });
}

/** Apply an Update: only a later `updated` counts, and only from the original author. */
export async function editIncomingMessage(objectId: string, authorId: string, edit: { html: string; text: string; summary: string | null; attachments: unknown[]; updated: Date }): Promise<boolean> {
  const msg = await db().message.findUnique({ where: { objectId } });
  if (!msg || msg.authorId !== authorId || msg.deletedAt) return false;
  if (msg.updated && msg.updated >= edit.updated) return false;
  if (edit.updated <= msg.published) return false;
  await db().message.update({
    where: { id: msg.id },
    data: { html: edit.html, text: edit.text.slice(0, MAX_TEXT), summary: edit.summary, attachments: JSON.stringify(edit.attachments), updated: edit.updated },
  });
  return true;
}

/** A Delete: the content goes, a marker stays. Only the author's own server may delete. */
export async function deleteIncomingMessage(objectId: string, authorId: string, at: Date): Promise<boolean> {
  const msg = await db().message.findUnique({ where: { objectId } });
  if (!msg || msg.authorId !== authorId || msg.deletedAt) return false;
  await db().message.update({ where: { id: msg.id }, data: { html: "", text: "", summary: null, attachments: "[]", deletedAt: at } });
  return true;
}

/** The conversation an outgoing message goes into: an existing one (reply) or the one for these people. */
export async function conversationForOutgoing(participants: string[], at: Date): Promise<{ id: string; created: boolean }> {
  const key = participantKey(participants);
  return writeTransaction(async (tx) => {
    const found = await findConversation(tx, [], key);
    if (found) return { id: found.id, created: false };
    return { id: await createConversation(tx, participants, key, at, false), created: true };
  });
}

/** One primary-key lookup, for answering 404 before a page starts streaming. */
export async function conversationExists(id: string): Promise<boolean> {
  return (await db().conversation.count({ where: { id } })) > 0;
}

export async function getConversation(id: string) {
  return db().conversation.findUnique({ where: { id }, include: { participants: true } });
}

export async function addConversationRef(conversationId: string, uri: string) {
  await writeTransaction((tx) => addRefs(tx, conversationId, [uri]));
}

function actorSummary(actorId: string, actors: Map<string, { handle: string | null; name: string | null }>) {
  const a = actors.get(actorId);
  return { handle: a?.handle ?? null, actor: actorId, name: a?.name ?? null };
}

async function actorsById(ids: string[]) {
  const rows = await db().remoteActor.findMany({ where: { id: { in: ids } } });
  return new Map(rows.map((r) => [r.id, r]));
}

/** `dm list --json` shape (fixed; other tools rely on it). */
export async function listConversations() {
  const convs = await db().conversation.findMany({
    orderBy: { lastMessageAt: "desc" },
    include: {
      participants: true,
      messages: { orderBy: { published: "desc" }, take: 1 },
    },
  });
  const actors = await actorsById(convs.flatMap((c) => c.participants.map((p) => p.actorId)));
  return {
    conversations: convs.map((c) => ({
      id: c.id,
      participants: c.participants.map((p) => actorSummary(p.actorId, actors)),
      lastMessageAt: c.lastMessageAt.toISOString(),
      unread: c.unreadCount,
      preview: c.messages[0] ? (c.messages[0].deletedAt ? "(deleted)" : c.messages[0].text.slice(0, 140)) : "",
    })),
  };
}

type MessageRow = { id: string; direction: string; authorId: string; published: Date; updated: Date | null; deletedAt: Date | null; text: string; html: string };

/** A message as `dm show --json` and the export write it (the fields both promise). */
export function messageRecord(m: MessageRow) {
  return {
    id: m.id,
    direction: m.direction as "in" | "out",
    author: m.authorId,
    published: m.published.toISOString(),
    updated: m.updated?.toISOString() ?? null,
    deleted: m.deletedAt !== null,
    text: m.text,
    html: m.html,
  };
}

/** `dm show ID --json` shape (fixed). */
export async function showConversation(id: string) {
  const c = await db().conversation.findUnique({
    where: { id },
    include: {
      participants: true,
      messages: { orderBy: { published: "asc" }, include: { deliveries: { orderBy: { id: "asc" } } } },
    },
  });
  if (!c) return null;
  const actors = await actorsById(c.participants.map((p) => p.actorId));
  return {
    id: c.id,
    participants: c.participants.map((p) => actorSummary(p.actorId, actors)),
    messages: c.messages.map((m) => ({
      ...messageRecord(m),
      deliveries: m.deliveries.map((d) => ({ inbox: d.inbox, state: d.state, lastStatus: d.lastStatus })),
    })),
  };
}

export async function markConversationRead(id: string) {
  await db().conversation.updateMany({ where: { id }, data: { unreadCount: 0 } });
}
