import { db } from "../db";
import { env } from "../env";
import { shownText } from "./encrypted-placeholder";
import { marks, people, toDate, toPerson, type Person } from "./people";

// One thread of the owner's web UI, shaped for rendering: a page of messages
// with their attachments and delivery states, the conversation's people and
// who can read it.

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
