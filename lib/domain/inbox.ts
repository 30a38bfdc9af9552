import { db } from "../db";
import { env } from "../env";
import { ENCRYPTED_PREVIEW, shownText } from "./encrypted-placeholder";

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

type ActorRow = { id: string; name: string | null; handle: string | null; host: string; iconUrl: string | null; gone: bigint | number | boolean };

// The pages below read with plain SQL: every query Prisma builds costs about
// half a millisecond before SQLite starts, and a page makes a dozen.

async function people(ids: string[]): Promise<Map<string, Person>> {
  const unique = [...new Set(ids)];
  const rows = unique.length
    ? await db().$queryRawUnsafe<ActorRow[]>(
        `SELECT "id", "name", "handle", "host", "iconUrl", "gone" FROM "RemoteActor" WHERE "id" IN (${marks(unique.length)})`,
        ...unique,
      )
    : [];
  const byId = new Map(rows.map((r) => [r.id, { ...r, gone: Boolean(Number(r.gone)) }]));
  return new Map(ids.map((id) => [id, toPerson(id, byId.get(id))]));
}

/** "?, ?, …" for an IN list of n values. */
function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
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

export type DeliveryView = { id: number; recipient: Person | null; inbox: string; state: "queued" | "delivered" | "failed"; lastStatus: number | null; lastError: string | null; attempts: number };

export type Attachment = { url: string; mediaType: string | null; kind: string; alt: string | null };

export type MessageView = {
  id: string;
  direction: "in" | "out";
  author: Person | null;
  html: string;
  text: string;
  summary: string | null;
  /** Its images stay hidden until clicked. */
  sensitive: boolean;
  attachments: Attachment[];
  published: Date;
  updated: Date | null;
  deleted: boolean;
  deliveries: DeliveryView[];
  /** End-to-end encrypted: `html` is only a placeholder; the owner's browser decrypts it. */
  encrypted: boolean;
};

export type ThreadView = {
  id: string;
  participants: Person[];
  isRequest: boolean;
  archived: boolean;
  unread: number;
  /** The servers that hold a copy: this one and each participant's. */
  readableBy: string[];
  /** MLS envelopes travel in this conversation: new messages are end-to-end encrypted (docs/E2EE.md). */
  encrypted: boolean;
  /** It also holds messages that were not end-to-end encrypted. */
  hasPlaintext: boolean;
  /** The newest messages (at most THREAD_PAGE_SIZE, or the `limit` asked for), oldest first. */
  messages: MessageView[];
  /** There are older messages: pass this as `before` to get the page before these; null when these are all. */
  earlier: string | null;
  /** There are newer messages than these (an older page): the newest page is the thread without `before`. */
  later: boolean;
  /**
   * On an older page: pass this as `before` for the page right after this one;
   * null when that page is the newest (the thread without `before`).
   */
  newer: string | null;
};

/** How many messages a thread page shows: the newest ones; older ones page in with `before`. */
const THREAD_PAGE_SIZE = 50;

type MessageRow = {
  id: string;
  direction: string;
  authorId: string;
  html: string;
  encrypted: unknown;
  text: string;
  summary: string | null;
  sensitive: unknown;
  attachments: string;
  published: Date | string;
  updated: Date | string | null;
  deletedAt: Date | string | null;
};

type DeliveryRow = {
  id: bigint | number;
  messageId: string;
  recipient: string | null;
  inbox: string;
  state: string;
  lastStatus: bigint | number | null;
  lastError: string | null;
  attempts: bigint | number;
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

type AnchorRow = { id: string; published: Date | string };

async function messageIn(conversationId: string, messageId: string): Promise<AnchorRow | undefined> {
  const rows = await db().$queryRawUnsafe<AnchorRow[]>(`SELECT "id", "published" FROM "Message" WHERE "id" = ? AND "conversationId" = ?`, messageId, conversationId);
  return rows[0];
}

/**
 * Where the page that shows message `around` ends: null when the message is
 * among the newest `limit` (the newest page shows it, and that page is the one
 * that takes new messages live), else the message half a page after it, so it
 * sits mid-page with context on both sides.
 */
async function pageEndAround(conversationId: string, around: AnchorRow, limit: number): Promise<AnchorRow | null> {
  const newer = await db().$queryRawUnsafe<AnchorRow[]>(
    `SELECT "id", "published" FROM "Message"
      WHERE "conversationId" = ? AND ("published" > ? OR ("published" = ? AND "id" > ?))
      ORDER BY "published", "id"
      LIMIT ?`,
    conversationId,
    toDate(around.published),
    toDate(around.published),
    around.id,
    limit,
  );
  return newer.length < limit ? null : newer[Math.floor(limit / 2)];
}

/**
 * The `before` cursor of the page that follows the one ending with `last`:
 * the message `limit` places after it. Null when fewer follow, as the newest
 * page then shows them all.
 */
async function pageAfter(conversationId: string, last: { id: string; published: Date | string }, limit: number): Promise<string | null> {
  const rows = await db().$queryRawUnsafe<{ id: string }[]>(
    `SELECT "id" FROM "Message"
      WHERE "conversationId" = ? AND ("published" > ? OR ("published" = ? AND "id" > ?))
      ORDER BY "published", "id"
      LIMIT 1 OFFSET ?`,
    conversationId,
    toDate(last.published),
    toDate(last.published),
    last.id,
    limit,
  );
  return rows[0]?.id ?? null;
}

/**
 * A conversation with its newest messages (a page of THREAD_PAGE_SIZE), the
 * page before message `before`, or the page that shows message `around`.
 * Rendering a thousand-message thread at once costs the server over a second
 * and the browser megabytes of HTML.
 */
export async function getThread(id: string, opts: { before?: string; around?: string; limit?: number } = {}): Promise<ThreadView | null> {
  const limit = Math.max(1, Math.min(opts.limit ?? THREAD_PAGE_SIZE, 1000));
  const convRows = await db().$queryRawUnsafe<{ id: string; isRequest: bigint | number | boolean; archived: bigint | number | boolean; unreadCount: bigint | number }[]>(
    `SELECT "id", "isRequest", "archived", "unreadCount" FROM "Conversation" WHERE "id" = ?`,
    id,
  );
  if (!convRows[0]) return null;
  const participantRows = await db().$queryRawUnsafe<{ actorId: string }[]>(
    `SELECT "actorId" FROM "ConversationParticipant" WHERE "conversationId" = ?`,
    id,
  );
  // An unknown or foreign message id falls back to the newest page rather than failing: links outlive messages.
  let anchor = opts.before ? await messageIn(id, opts.before) : undefined;
  if (!anchor && opts.around) {
    const target = await messageIn(id, opts.around);
    anchor = target ? ((await pageEndAround(id, target, limit)) ?? undefined) : undefined;
  }
  const newestFirst = await db().$queryRawUnsafe<MessageRow[]>(
    `SELECT "id", "direction", "authorId", "html", "text", "summary", "sensitive", "attachments", "published", "updated", "deletedAt", "encrypted"
       FROM "Message"
      WHERE "conversationId" = ?${anchor ? ` AND ("published" < ? OR ("published" = ? AND "id" < ?))` : ""}
      ORDER BY "published" DESC, "id" DESC
      LIMIT ?`,
    id,
    ...(anchor ? [toDate(anchor.published), toDate(anchor.published), anchor.id] : []),
    limit + 1,
  );
  const more = newestFirst.length > limit;
  const page = newestFirst.slice(0, limit).reverse();
  const newer = anchor && page.length > 0 ? await pageAfter(id, page[page.length - 1], limit) : null;
  // Not the body: the signed activity, kilobytes per row, is never shown.
  const deliveryRows = page.length
    ? await db().$queryRawUnsafe<DeliveryRow[]>(
        `SELECT "id", "messageId", "recipient", "inbox", "state", "lastStatus", "lastError", "attempts"
           FROM "Delivery" WHERE "messageId" IN (${marks(page.length)}) ORDER BY "id"`,
        ...page.map((m) => m.id),
      )
    : [];
  const deliveriesOf = new Map<string, DeliveryRow[]>();
  for (const d of deliveryRows) {
    const list = deliveriesOf.get(d.messageId) ?? [];
    list.push(d);
    deliveriesOf.set(d.messageId, list);
  }
  const c = {
    id: convRows[0].id,
    isRequest: Boolean(Number(convRows[0].isRequest)),
    archived: Boolean(Number(convRows[0].archived)),
    unread: Number(convRows[0].unreadCount),
    participants: participantRows,
    messages: page.map((m) => ({
      ...m,
      published: toDate(m.published),
      updated: m.updated === null ? null : toDate(m.updated),
      deliveries: (deliveriesOf.get(m.id) ?? []).map((d) => ({ ...d, id: Number(d.id), lastStatus: d.lastStatus === null ? null : Number(d.lastStatus), attempts: Number(d.attempts) })),
    })),
  };
  const map = await people([...c.participants.map((p) => p.actorId), ...c.messages.map((m) => m.authorId).filter((a) => !a.startsWith(env().origin))]);
  const participants = c.participants.map((p) => map.get(p.actorId)!);
  const ownHost = new URL(env().origin).host;
  const servers = [ownHost, ...new Set(participants.map((p) => p.server))].filter((s, i, all) => all.indexOf(s) === i);
  const [kinds] = await db().$queryRawUnsafe<{ encrypted: number | bigint; plaintext: number | bigint }[]>(
    `SELECT EXISTS (SELECT 1 FROM "MlsEnvelope" WHERE "conversationId" = ?) AS "encrypted",
            EXISTS (SELECT 1 FROM "Message" WHERE "conversationId" = ? AND "encrypted" = 0 AND "deletedAt" IS NULL) AS "plaintext"`,
    id,
    id,
  );
  // A message goes to each person once; Update/Delete deliveries of the same message share its rows' view.
  return {
    id: c.id,
    participants,
    isRequest: c.isRequest,
    archived: c.archived,
    unread: c.unread,
    readableBy: servers,
    encrypted: Boolean(Number(kinds.encrypted)),
    hasPlaintext: Boolean(Number(kinds.plaintext)),
    earlier: more && page.length > 0 ? page[0].id : null,
    later: anchor !== undefined,
    newer,
    messages: c.messages.map((m) => {
      const latestPerRecipient = new Map<string, (typeof m.deliveries)[number]>();
      for (const d of m.deliveries) latestPerRecipient.set(d.recipient ?? d.inbox, d);
      return {
        id: m.id,
        direction: m.direction as "in" | "out",
        author: m.direction === "in" ? (map.get(m.authorId) ?? toPerson(m.authorId)) : null,
        html: m.html,
        text: shownText({ text: m.text, encrypted: Number(m.encrypted) === 1 }),
        /** End-to-end encrypted: html and text are the placeholder; the browser holding the keys decrypts it. */
        encrypted: Number(m.encrypted) === 1,
        summary: m.summary,
        sensitive: m.summary !== null || Number(m.sensitive) === 1,
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

/** The text of one of the owner's own messages, to edit; null for anyone else's, or a deleted one. */
export async function ownMessageText(messageId: string): Promise<string | null> {
  const rows = await db().$queryRawUnsafe<{ text: string }[]>(
    `SELECT "text" FROM "Message" WHERE "id" = ? AND "direction" = 'out' AND "deletedAt" IS NULL`,
    messageId,
  );
  return rows[0]?.text ?? null;
}

export async function markRead(id: string): Promise<void> {
  // Every thread page load calls this; usually nothing is unread and nothing is written.
  await db().$executeRawUnsafe(`UPDATE "Conversation" SET "unreadCount" = 0 WHERE "id" = ? AND "unreadCount" > 0`, id);
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

/**
 * A fingerprint of everything the UI shows; when it changes, open pages
 * refresh. Every open page asks once a second, so each part is an index
 * probe, not a scan: max(rowid) for new messages (messages only go away with
 * their conversation, which the Conversation part sees), max(id) for new
 * deliveries (never deleted), and max() of indexed timestamps for edits,
 * deletions and delivery state changes; max(seq) for new MLS envelopes (a
 * device decrypting in an open page needs to know of them).
 */
export async function changeFingerprint(): Promise<string> {
  const rows = await db().$queryRawUnsafe<{ m: unknown; d: unknown; c: unknown; u: unknown; f: unknown }[]>(
    `SELECT
       (SELECT coalesce(max(rowid), 0) FROM Message) || ':' || (SELECT coalesce(max(updated), '') FROM Message) || ':' || (SELECT coalesce(max(deletedAt), '') FROM Message)
         || ':' || (SELECT coalesce(max(seq), 0) FROM MlsEnvelope) AS m,
       (SELECT coalesce(max(id), 0) FROM Delivery) || ':' || (SELECT coalesce(max(updatedAt), '') FROM Delivery) AS d,
       (SELECT count(*) || ':' || coalesce(sum(unreadCount), 0) || ':' || coalesce(sum(isRequest), 0) || ':' || coalesce(sum(archived), 0) FROM Conversation) AS c,
       (SELECT count(*) || ':' || coalesce(max(createdAt), '') FROM Follow) AS f,
       (SELECT coalesce(sum(state = 'accepted'), 0) FROM Follow) AS u`,
  );
  const r = rows[0];
  return [r.m, r.d, r.c, r.f, r.u].map(String).join("|");
}
