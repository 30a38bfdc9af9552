import { db } from "../db";
import { conversationsOf, type ConversationRow } from "./conversation-entity";
import { apiIdString } from "./ids";
import { NOTIFICATION_COLUMNS, VISIBLE_NOTIFICATION, notificationsOf, type NotificationRow } from "./notifications";
import { STATUS_COLUMNS, statusesOf, type StatusRow } from "./status-entity";

// What a streaming connection has not sent yet, found with cursors over the
// database rather than in-process events: changes also come from other
// processes (the CLI, the other module copy Next loads). New statuses and
// notifications have ids that only grow (a trigger numbers messages; the
// notification id autoincrements; both within SQLite's single writer, so a
// lower id never commits after a higher one). Edits and deletions are found
// by their time within a recent window, remembering what was already sent:
// an incoming edit carries the sender's clock, which may lag ours.

/** The streams a connection can follow (docs.joinmastodon.org/methods/streaming). */
export type StreamName = "user" | "user:notification" | "direct";

export type StreamEvent = { event: string; payload: string };

/** How far back edits and deletions are looked for (allows for a sender's clock lagging ours). */
const CHANGE_WINDOW_MS = 10 * 60_000;
/** Rows taken per check; more wait for the next one, which follows at once. */
const BATCH = 50;

type ChangeRow = StatusRow;

function changeKey(r: Pick<StatusRow, "updated" | "deletedAt">): string {
  const t = (v: Date | string | null) => (v === null ? "" : new Date(v).getTime().toString());
  return r.deletedAt ? `deleted` : `edited:${t(r.updated)}`;
}

export class StreamCursor {
  private messageApiId = 0n;
  private notificationId = 0n;
  /** Messages edited or deleted within the window, with what was last seen of them. */
  private changes = new Map<string, string>();

  private constructor(
    private readonly stream: StreamName,
    /** Whether `notification` events go out on `user` (the token may read notifications). */
    private readonly withNotifications: boolean,
  ) {}

  /** A cursor at "now": only what happens from here on is sent. */
  static async start(stream: StreamName, withNotifications: boolean): Promise<StreamCursor> {
    const c = new StreamCursor(stream, withNotifications);
    const [m] = await db().$queryRawUnsafe<{ v: bigint | number | null }[]>(`SELECT max("apiId") AS "v" FROM "Message"`);
    const [n] = await db().$queryRawUnsafe<{ v: bigint | number | null }[]>(`SELECT max("id") AS "v" FROM "Notification"`);
    c.messageApiId = BigInt(m?.v ?? 0);
    c.notificationId = BigInt(n?.v ?? 0);
    for (const r of await c.recentChanges()) c.changes.set(r.id, changeKey(r));
    return c;
  }

  private recentChanges(): Promise<ChangeRow[]> {
    const since = new Date(Date.now() - CHANGE_WINDOW_MS);
    return db().$queryRawUnsafe<ChangeRow[]>(
      `SELECT ${STATUS_COLUMNS} FROM "Message" m WHERE (m."updated" > ? OR m."deletedAt" > ?) AND m."apiId" <= ?`,
      since,
      since,
      this.messageApiId,
    );
  }

  /** Events since the last call, oldest first; `more` when a batch was full. */
  async next(): Promise<{ events: StreamEvent[]; more: boolean }> {
    const events: StreamEvent[] = [];
    let more = false;
    if (this.stream !== "user:notification") more = (await this.newMessages(events)) || more;
    if (this.stream === "user:notification" || (this.stream === "user" && this.withNotifications)) more = (await this.newNotifications(events)) || more;
    if (this.stream !== "user:notification") await this.changedMessages(events);
    return { events, more };
  }

  private async newMessages(events: StreamEvent[]): Promise<boolean> {
    const rows = await db().$queryRawUnsafe<(StatusRow & { unreadCount: bigint | number; conversationApiId: bigint | number })[]>(
      `SELECT ${STATUS_COLUMNS}, c."unreadCount", c."apiId" AS "conversationApiId"
         FROM "Message" m JOIN "Conversation" c ON c."id" = m."conversationId"
        WHERE m."apiId" > ? ORDER BY m."apiId" LIMIT ${BATCH}`,
      this.messageApiId,
    );
    if (rows.length === 0) return false;
    this.messageApiId = BigInt(rows[rows.length - 1].apiId);
    const live = rows.filter((r) => !r.deletedAt);
    for (const r of rows) if (r.updated || r.deletedAt) this.changes.set(r.id, changeKey(r));
    if (this.stream === "user") {
      const statuses = await statusesOf(live);
      for (const s of statuses) events.push({ event: "update", payload: JSON.stringify(s) });
    } else if (this.stream === "direct") {
      // One conversation event per conversation, as it stands after the newest of these messages.
      const seen = new Set<string>();
      const convRows: ConversationRow[] = [];
      for (const r of [...live].reverse()) {
        if (seen.has(r.conversationId)) continue;
        seen.add(r.conversationId);
        if (r.conversationApiId !== null) convRows.unshift({ id: r.conversationId, apiId: r.conversationApiId, unreadCount: r.unreadCount });
      }
      for (const c of await conversationsOf(convRows)) events.push({ event: "conversation", payload: JSON.stringify(c) });
    }
    return rows.length === BATCH;
  }

  private async newNotifications(events: StreamEvent[]): Promise<boolean> {
    const rows = await db().$queryRawUnsafe<(NotificationRow & { visible: bigint | number })[]>(
      `SELECT ${NOTIFICATION_COLUMNS}, (${VISIBLE_NOTIFICATION}) AS "visible" FROM "Notification" n WHERE n."id" > ? ORDER BY n."id" LIMIT ${BATCH}`,
      this.notificationId,
    );
    if (rows.length === 0) return false;
    this.notificationId = BigInt(rows[rows.length - 1].id);
    for (const n of await notificationsOf(rows.filter((r) => Number(r.visible) === 1))) {
      events.push({ event: "notification", payload: JSON.stringify(n) });
    }
    return rows.length === BATCH;
  }

  private async changedMessages(events: StreamEvent[]): Promise<void> {
    const rows = await this.recentChanges();
    const current = new Map<string, string>();
    const edited: ChangeRow[] = [];
    for (const r of rows) {
      const key = changeKey(r);
      current.set(r.id, key);
      if (this.changes.get(r.id) === key) continue;
      if (r.deletedAt) events.push({ event: "delete", payload: apiIdString(r.apiId) });
      else if (this.stream === "user") edited.push(r);
    }
    // Whatever left the window is forgotten: it cannot change again without a newer time.
    this.changes = current;
    for (const s of await statusesOf(edited)) events.push({ event: "status.update", payload: JSON.stringify(s) });
  }
}
