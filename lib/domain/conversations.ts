import { db, writeTransaction } from "../db";
import { participantKey } from "../activitypub/conversation";
import {
  addRefsSteps,
  createConversationSteps,
  deleteIncomingSteps,
  editIncomingSteps,
  findConversationSteps,
  storeIncomingSteps,
  type Edit,
  type IncomingMessage,
  type Stored,
} from "./incoming-store";
import { shownText } from "./encrypted-placeholder";
import { runAsync } from "./sql-steps";

// Conversations and their messages. What an incoming DM writes, and how a
// conversation is found, are SQL steps in lib/domain/incoming-store.ts, shared
// with the fast inbox worker.

/** The conversation an outgoing message goes into: an existing one (reply) or the one for these people. */
export async function conversationForOutgoing(participants: string[], at: Date): Promise<{ id: string; created: boolean }> {
  const key = participantKey(participants);
  return writeTransaction(async (tx) => {
    const found = await runAsync(tx, findConversationSteps([], key));
    if (found) return { id: found.id, created: false };
    return { id: await runAsync(tx, createConversationSteps(participants, key, at, false, new Date())), created: true };
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
  await runAsync(db(), addRefsSteps(conversationId, [uri]));
}

/** Store an incoming DM once (lib/domain/incoming-store.ts); a repeat of the same object id is ignored. */
export async function storeIncomingMessage(m: IncomingMessage): Promise<Stored> {
  return writeTransaction((tx) => runAsync(tx, storeIncomingSteps(m)));
}

/** Apply an Update: only a later `updated` counts, and only from the original author. */
export async function editIncomingMessage(objectId: string, authorId: string, edit: Edit): Promise<boolean> {
  return writeTransaction((tx) => runAsync(tx, editIncomingSteps(objectId, authorId, edit)));
}

/** A Delete: the content goes, a marker stays. Only the author's own server may delete. */
export async function deleteIncomingMessage(objectId: string, authorId: string, at: Date): Promise<boolean> {
  return writeTransaction((tx) => runAsync(tx, deleteIncomingSteps(objectId, authorId, at)));
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
      preview: c.messages[0] ? (c.messages[0].deletedAt ? "(deleted)" : shownText(c.messages[0]).slice(0, 140)) : "",
    })),
  };
}

type MessageRow = { id: string; direction: string; authorId: string; published: Date; updated: Date | null; deletedAt: Date | null; text: string; html: string; encrypted?: boolean };

/** A message as `dm show --json` and the export write it (the fields both promise). */
export function messageRecord(m: MessageRow) {
  return {
    id: m.id,
    direction: m.direction as "in" | "out",
    author: m.authorId,
    published: m.published.toISOString(),
    updated: m.updated?.toISOString() ?? null,
    deleted: m.deletedAt !== null,
    // An encrypted message's text is the placeholder: the server never had the plaintext.
    text: shownText(m),
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
