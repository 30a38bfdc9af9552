import { db } from "../db";
import { env } from "../env";

// What the owner's web UI shows: the conversation list (with its tabs) and
// one thread, shaped for rendering. Mutations the UI makes live here too.

export type Tab = "inbox" | "requests" | "archived";

export type Person = {
  id: string;
  name: string;
  handle: string;
  server: string;
  iconUrl: string | null;
  gone: boolean;
};

function toPerson(actorId: string, a?: { name: string | null; handle: string | null; host: string; iconUrl: string | null; gone: boolean }): Person {
  const url = new URL(actorId);
  const handle = a?.handle ?? `${url.host}${url.pathname}`;
  return {
    id: actorId,
    name: a?.name || handle.replace(/^@/, "").split("@")[0],
    handle,
    server: a?.host ?? url.host,
    iconUrl: a?.iconUrl ?? null,
    gone: a?.gone ?? false,
  };
}

async function people(ids: string[]): Promise<Map<string, Person>> {
  const rows = await db().remoteActor.findMany({ where: { id: { in: [...new Set(ids)] } } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return new Map(ids.map((id) => [id, toPerson(id, byId.get(id))]));
}

export type ConversationSummary = {
  id: string;
  participants: Person[];
  lastMessageAt: Date;
  unread: number;
  preview: string;
  previewFromMe: boolean;
  isRequest: boolean;
  archived: boolean;
};

function tabWhere(tab: Tab) {
  if (tab === "requests") return { isRequest: true };
  if (tab === "archived") return { archived: true, isRequest: false };
  return { archived: false, isRequest: false };
}

export async function listConversationSummaries(tab: Tab): Promise<ConversationSummary[]> {
  const convs = await db().conversation.findMany({
    where: tabWhere(tab),
    orderBy: { lastMessageAt: "desc" },
    take: 500,
    include: { participants: true, messages: { orderBy: { published: "desc" }, take: 1 } },
  });
  const map = await people(convs.flatMap((c) => c.participants.map((p) => p.actorId)));
  return convs.map((c) => {
    const last = c.messages[0];
    return {
      id: c.id,
      participants: c.participants.map((p) => map.get(p.actorId)!),
      lastMessageAt: c.lastMessageAt,
      unread: c.unreadCount,
      preview: last ? (last.deletedAt ? "Message deleted" : last.text.replace(/\s+/g, " ").slice(0, 160)) : "",
      previewFromMe: last?.direction === "out",
      isRequest: c.isRequest,
      archived: c.archived,
    };
  });
}

export async function tabCounts(): Promise<{ inboxUnread: number; requests: number }> {
  const [unread, requests] = await Promise.all([
    db().conversation.aggregate({ where: { isRequest: false }, _sum: { unreadCount: true } }),
    db().conversation.count({ where: { isRequest: true } }),
  ]);
  return { inboxUnread: unread._sum.unreadCount ?? 0, requests };
}

export type DeliveryView = { id: number; recipient: Person | null; inbox: string; state: "queued" | "delivered" | "failed"; lastStatus: number | null; lastError: string | null; attempts: number };

export type Attachment = { url: string; mediaType: string | null; kind: string; alt: string | null };

export type MessageView = {
  id: string;
  direction: "in" | "out";
  author: Person | null;
  html: string;
  text: string;
  summary: string | null;
  attachments: Attachment[];
  published: Date;
  updated: Date | null;
  deleted: boolean;
  deliveries: DeliveryView[];
};

export type ThreadView = {
  id: string;
  participants: Person[];
  isRequest: boolean;
  archived: boolean;
  /** The servers that hold a copy: this one and each participant's. */
  readableBy: string[];
  messages: MessageView[];
};

function parseAttachments(json: string): Attachment[] {
  try {
    const list = JSON.parse(json);
    return Array.isArray(list)
      ? list
          .filter((a) => a && typeof a.url === "string")
          .map((a) => ({ url: a.url, mediaType: a.mediaType ?? null, kind: a.kind ?? "document", alt: a.alt ?? null }))
      : [];
  } catch {
    return [];
  }
}

export async function getThread(id: string): Promise<ThreadView | null> {
  const c = await db().conversation.findUnique({
    where: { id },
    include: {
      participants: true,
      messages: { orderBy: { published: "asc" }, include: { deliveries: { orderBy: { id: "asc" } } } },
    },
  });
  if (!c) return null;
  const map = await people([...c.participants.map((p) => p.actorId), ...c.messages.map((m) => m.authorId).filter((a) => !a.startsWith(env().origin))]);
  const participants = c.participants.map((p) => map.get(p.actorId)!);
  const ownHost = new URL(env().origin).host;
  const servers = [ownHost, ...new Set(participants.map((p) => p.server))].filter((s, i, all) => all.indexOf(s) === i);
  // A message goes to each person once; Update/Delete deliveries of the same message share its rows' view.
  return {
    id: c.id,
    participants,
    isRequest: c.isRequest,
    archived: c.archived,
    readableBy: servers,
    messages: c.messages.map((m) => {
      const latestPerRecipient = new Map<string, (typeof m.deliveries)[number]>();
      for (const d of m.deliveries) latestPerRecipient.set(d.recipient ?? d.inbox, d);
      return {
        id: m.id,
        direction: m.direction as "in" | "out",
        author: m.direction === "in" ? (map.get(m.authorId) ?? toPerson(m.authorId)) : null,
        html: m.html,
        text: m.text,
        summary: m.summary,
        attachments: parseAttachments(m.attachments),
        published: m.published,
        updated: m.updated,
        deleted: m.deletedAt !== null,
        deliveries: [...latestPerRecipient.values()].map((d) => ({
          id: d.id,
          recipient: d.recipient ? (map.get(d.recipient) ?? toPerson(d.recipient)) : null,
          inbox: d.inbox,
          state: d.state as DeliveryView["state"],
          lastStatus: d.lastStatus,
          lastError: d.lastError,
          attempts: d.attempts,
        })),
      };
    }),
  };
}

export async function markRead(id: string): Promise<void> {
  await db().conversation.updateMany({ where: { id, unreadCount: { gt: 0 } }, data: { unreadCount: 0 } });
}

export async function setArchived(id: string, archived: boolean): Promise<void> {
  await db().conversation.updateMany({ where: { id }, data: { archived } });
}

export async function acceptRequest(id: string): Promise<void> {
  await db().conversation.updateMany({ where: { id }, data: { isRequest: false } });
}

/** Delete a conversation here (only here: the other servers keep their copies). */
export async function deleteConversation(id: string): Promise<void> {
  await db().conversation.deleteMany({ where: { id } });
}

/** A fingerprint of everything the UI shows; when it changes, open pages refresh. */
export async function changeFingerprint(): Promise<string> {
  const rows = await db().$queryRawUnsafe<{ m: unknown; d: unknown; c: unknown; u: unknown; f: unknown }[]>(
    `SELECT
       (SELECT count(*) || ':' || coalesce(max(createdAt), '') || ':' || coalesce(max(updated), '') || ':' || coalesce(max(deletedAt), '') FROM Message) AS m,
       (SELECT count(*) || ':' || coalesce(max(updatedAt), '') FROM Delivery) AS d,
       (SELECT count(*) || ':' || coalesce(sum(unreadCount), 0) || ':' || coalesce(sum(isRequest), 0) || ':' || coalesce(sum(archived), 0) FROM Conversation) AS c,
       (SELECT count(*) || ':' || coalesce(max(createdAt), '') FROM Follow) AS f,
       (SELECT coalesce(sum(state = 'accepted'), 0) FROM Follow) AS u`,
  );
  const r = rows[0];
  return [r.m, r.d, r.c, r.f, r.u].map(String).join("|");
}
