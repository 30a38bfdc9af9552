import { db, writeTransaction } from "../db";
import { participantKey, type ThreadRef } from "../activitypub/conversation";
import { newId } from "./ids";

// Conversations and their messages. Grouping follows lib/activitypub/conversation.ts:
// context/conversation first, then the inReplyTo chain, always for the same
// participant set; failing those, the newest conversation with exactly these
// people (a messenger keeps one chat per group of people).

const MAX_TEXT = 100_000;

type Tx = Parameters<Parameters<ReturnType<typeof db>["$transaction"]>[0]>[0];

async function findConversation(tx: Tx, refs: ThreadRef[], key: string): Promise<string | null> {
  for (const ref of refs) {
    if (ref.kind === "inReplyTo") {
      const parent = await tx.message.findUnique({ where: { objectId: ref.id }, select: { conversation: true } });
      if (parent && parent.conversation.participantKey === key) return parent.conversation.id;
    } else {
      const hit = await tx.conversationRef.findFirst({ where: { uri: ref.id, conversation: { participantKey: key } } });
      if (hit) return hit.conversationId;
    }
  }
  const byPeople = await tx.conversation.findFirst({ where: { participantKey: key }, orderBy: { lastMessageAt: "desc" } });
  return byPeople?.id ?? null;
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
    await tx.conversationRef.upsert({
      where: { uri_conversationId: { uri, conversationId } },
      create: { uri, conversationId },
      update: {},
    });
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
  /** A stranger: neither followed by the owner nor written to before. */
  isRequest: boolean;
};

/** Store an incoming DM once; a repeat of the same object id is ignored. Returns the message id. */
export async function storeIncomingMessage(m: IncomingMessage): Promise<{ messageId: string; conversationId: string; created: boolean }> {
  const key = participantKey(m.participants);
  return writeTransaction(async (tx) => {
    const existing = await tx.message.findUnique({ where: { objectId: m.objectId } });
    if (existing) return { messageId: existing.id, conversationId: existing.conversationId, created: false };
    const conversationId =
      (await findConversation(tx, m.refs, key)) ?? (await createConversation(tx, m.participants, key, m.published, m.isRequest));
    await addRefs(tx, conversationId, m.refs.filter((r) => r.kind !== "inReplyTo").map((r) => r.id));
    const id = newId();
    await tx.message.create({
      data: {
        id,
        conversationId,
        objectId: m.objectId,
        direction: "in",
        authorId: m.authorId,
        inReplyTo: m.inReplyTo,
        html: m.html.slice(0, MAX_TEXT * 2),
        text: m.text.slice(0, MAX_TEXT),
        summary: m.summary,
        attachments: JSON.stringify(m.attachments),
        published: m.published,
      },
    });
    const conv = await tx.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    await tx.conversation.update({
      where: { id: conversationId },
      data: {
        unreadCount: { increment: 1 },
        archived: false,
        lastMessageAt: m.published > conv.lastMessageAt ? m.published : conv.lastMessageAt,
      },
    });
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
    if (found) return { id: found, created: false };
    return { id: await createConversation(tx, participants, key, at, false), created: true };
  });
}

export async function getConversation(id: string) {
  return db().conversation.findUnique({ where: { id }, include: { participants: true } });
}

export async function addConversationRef(conversationId: string, uri: string) {
  await writeTransaction((tx) => addRefs(tx, conversationId, [uri]));
}

/** Has the owner ever written in a conversation with this actor? */
export async function ownerHasWrittenTo(actorId: string): Promise<boolean> {
  const n = await db().message.count({
    where: { direction: "out", conversation: { participants: { some: { actorId } } } },
  });
  return n > 0;
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
      id: m.id,
      direction: m.direction as "in" | "out",
      author: m.authorId,
      published: m.published.toISOString(),
      updated: m.updated?.toISOString() ?? null,
      deleted: m.deletedAt !== null,
      text: m.text,
      html: m.html,
      deliveries: m.deliveries.map((d) => ({ inbox: d.inbox, state: d.state, lastStatus: d.lastStatus })),
    })),
  };
}

export async function markConversationRead(id: string) {
  await db().conversation.updateMany({ where: { id }, data: { unreadCount: 0 } });
}
