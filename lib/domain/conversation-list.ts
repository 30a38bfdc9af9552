import { db } from "../db";
import { ENCRYPTED_PREVIEW } from "./encrypted-placeholder";
import { marks, people, type Person } from "./people";

// The owner's conversation list: its tabs, a page of conversations with their
// people and a preview of the last message, and the counts on the tabs.

export type Tab = "inbox" | "requests" | "archived";

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

/** How many conversations a list page shows, newest first (older ones: `before`, the last one's cursor). */
const CONVERSATION_PAGE_SIZE = 50;

type SummaryRow = {
  id: string;
  lastMessageAt: Date | string;
  unreadCount: bigint | number;
  isRequest: bigint | number | boolean;
  archived: bigint | number | boolean;
  lastId: string | null;
};

const TAB_SQL: Record<Tab, string> = {
  inbox: `"archived" = 0 AND "isRequest" = 0`,
  requests: `"isRequest" = 1`,
  archived: `"archived" = 1 AND "isRequest" = 0`,
};

/** How much of the last message's text is read for its preview (more only when that is not enough). */
const PREVIEW_READ = 1000;
const PREVIEW_CHARS = 160;

/** A content warning stands in for the text it covers: the list is seen at a glance, by anyone near the screen. */
function lastMessagePreview(m: { deletedAt: unknown; encrypted: unknown; text: string; summary: string | null }): string {
  if (m.deletedAt !== null) return "Message deleted";
  if (Number(m.encrypted) === 1) return ENCRYPTED_PREVIEW;
  return m.summary ? previewOf(`Content warning: ${m.summary}`) : previewOf(m.text);
}

function previewOf(text: string): string {
  return text.replace(/\s+/g, " ").slice(0, PREVIEW_CHARS);
}

/**
 * One page of a folder, newest first. Plain SQL: the newest message of each
 * conversation comes from the (conversationId, published) index, one probe
 * per conversation, where Prisma's nested `take: 1` reads every message of
 * every listed conversation. `before` is a cursor from a previous page
 * (`${lastMessageAt ISO}|${id}` of its last conversation).
 */
async function listConversationSummaries(tab: Tab, opts: { limit?: number; before?: string } = {}): Promise<ConversationSummary[]> {
  const limit = Math.max(1, Math.min(opts.limit ?? CONVERSATION_PAGE_SIZE, 500));
  const cursor = parseCursor(opts.before);
  const rows = await db().$queryRawUnsafe<SummaryRow[]>(
    `SELECT c."id", c."lastMessageAt", c."unreadCount", c."isRequest", c."archived",
            (SELECT m."id" FROM "Message" m WHERE m."conversationId" = c."id" ORDER BY m."published" DESC LIMIT 1) AS "lastId"
       FROM "Conversation" c
      WHERE ${TAB_SQL[tab]}${cursor ? ` AND (c."lastMessageAt" < ? OR (c."lastMessageAt" = ? AND c."id" < ?))` : ""}
      ORDER BY c."lastMessageAt" DESC, c."id" DESC
      LIMIT ?`,
    ...(cursor ? [cursor.at, cursor.at, cursor.id] : []),
    limit,
  );
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const participantRows = await db().$queryRawUnsafe<{ conversationId: string; actorId: string }[]>(
    `SELECT "conversationId", "actorId" FROM "ConversationParticipant" WHERE "conversationId" IN (${marks(ids.length)})`,
    ...ids,
  );
  const lastIds = rows.map((r) => r.lastId).filter((x): x is string => x !== null);
  const lastRows = lastIds.length
    ? await db().$queryRawUnsafe<{ id: string; direction: string; deletedAt: unknown; text: string; length: bigint | number; encrypted: unknown; summary: string | null }[]>(
        `SELECT "id", "direction", "deletedAt", substr("text", 1, ${PREVIEW_READ}) AS "text", length("text") AS "length", "encrypted", "summary" FROM "Message" WHERE "id" IN (${marks(lastIds.length)})`,
        ...lastIds,
      )
    : [];
  const last = new Map(lastRows.map((r) => [r.id, r]));
  // A preview cut short by much whitespace: read the whole text (rare).
  for (const r of lastRows) {
    if (Number(r.length) > PREVIEW_READ && previewOf(r.text).length < PREVIEW_CHARS) {
      const full = await db().message.findUnique({ where: { id: r.id }, select: { text: true } });
      if (full) r.text = full.text;
    }
  }
  const byConversation = new Map<string, string[]>();
  for (const p of participantRows) {
    const list = byConversation.get(p.conversationId) ?? [];
    list.push(p.actorId);
    byConversation.set(p.conversationId, list);
  }
  const map = await people(participantRows.map((p) => p.actorId));
  return rows.map((c) => {
    const m = c.lastId ? last.get(c.lastId) : undefined;
    return {
      id: c.id,
      participants: (byConversation.get(c.id) ?? []).map((a) => map.get(a)!),
      lastMessageAt: toDate(c.lastMessageAt),
      unread: Number(c.unreadCount),
      preview: m ? lastMessagePreview(m) : "",
      previewFromMe: m?.direction === "out",
      isRequest: Boolean(Number(c.isRequest)),
      archived: Boolean(Number(c.archived)),
    };
  });
}

/**
 * A page of a folder and the cursor of the page after it (null when there is
 * none). One row more than the page is read, so the "Older" link only shows
 * when it leads somewhere.
 */
export async function conversationPage(tab: Tab, before?: string): Promise<{ conversations: ConversationSummary[]; older: string | null }> {
  const rows = await listConversationSummaries(tab, { before, limit: CONVERSATION_PAGE_SIZE + 1 });
  const conversations = rows.slice(0, CONVERSATION_PAGE_SIZE);
  return { conversations, older: rows.length > CONVERSATION_PAGE_SIZE ? conversationCursor(conversations.at(-1)!) : null };
}

/** The cursor for the page after this one (pass as `before`). */
function conversationCursor(c: Pick<ConversationSummary, "id" | "lastMessageAt">): string {
  return `${c.lastMessageAt.toISOString()}|${c.id}`;
}

function parseCursor(before: string | undefined): { at: Date; id: string } | null {
  if (!before) return null;
  const i = before.indexOf("|");
  const at = new Date(before.slice(0, i));
  return i > 0 && !Number.isNaN(at.getTime()) ? { at, id: before.slice(i + 1) } : null;
}

function toDate(v: Date | string | number): Date {
  return v instanceof Date ? v : new Date(v);
}

export async function tabCounts(): Promise<{ inboxUnread: number; requests: number }> {
  // One statement, and both parts read the (isRequest, archived, lastMessageAt) index plus rows with unread messages only.
  const rows = await db().$queryRawUnsafe<{ unread: bigint | number | null; requests: bigint | number }[]>(
    `SELECT (SELECT sum("unreadCount") FROM "Conversation" WHERE "isRequest" = 0 AND "unreadCount" > 0) AS "unread",
            (SELECT count(*) FROM "Conversation" WHERE "isRequest" = 1) AS "requests"`,
  );
  return { inboxUnread: Number(rows[0]?.unread ?? 0), requests: Number(rows[0]?.requests ?? 0) };
}
