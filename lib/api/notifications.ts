import { db } from "../db";
import { getMarker } from "../domain/markers";
import { requireToken } from "./auth";
import { accountsByActor, type AccountEntity } from "./accounts";
import { api, ApiError, json } from "./http";
import { parseApiId, requireApiId } from "./ids";
import { pageAnswer, newestFirst, pageOf, pageSql, type Page } from "./paging";
import { list, readParams, str, type Params } from "./params";
import { STATUS_COLUMNS, statusesOf, type StatusEntity, type StatusRow } from "./status-entity";

// Mastodon's v1 notifications (docs.joinmastodon.org/methods/notifications):
// "mention" for each incoming DM, "follow" / "follow_request" for inbound
// follows, rows of the Notification table (created with what they announce,
// lib/domain/conversations.ts and lib/domain/contacts.ts). A mention whose
// DM was deleted, and anything from a blocked account or domain, is left out.

export const NOTIFICATION_TYPES = ["mention", "follow", "follow_request"] as const;

export type NotificationRow = { id: bigint | number; type: string; actorId: string; messageId: string | null; createdAt: Date | string | number };

export type NotificationEntity = {
  id: string;
  type: string;
  created_at: string;
  group_key: string;
  account: AccountEntity;
  status?: StatusEntity;
};

/** Rows that may be shown: not a mention of a deleted DM, not from a blocked account or domain. */
export const VISIBLE_NOTIFICATION = `(n."messageId" IS NULL AND n."type" <> 'mention'
    OR EXISTS (SELECT 1 FROM "Message" vm WHERE vm."id" = n."messageId" AND vm."deletedAt" IS NULL))
  AND NOT EXISTS (SELECT 1 FROM "Block" b WHERE (b."kind" = 'actor' AND b."value" = n."actorId")
    OR (b."kind" = 'domain' AND b."value" = (SELECT lower(ra."host") FROM "RemoteActor" ra WHERE ra."id" = n."actorId")))`;

export const NOTIFICATION_COLUMNS = `n."id", n."type", n."actorId", n."messageId", n."createdAt"`;

function iso(v: Date | string | number): string {
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** Notification entities for rows, in the rows' order; a mention whose status is gone is dropped. */
export async function notificationsOf(rows: NotificationRow[]): Promise<NotificationEntity[]> {
  if (rows.length === 0) return [];
  const messageIds = rows.map((r) => r.messageId).filter((x): x is string => x !== null);
  const statusRows = messageIds.length
    ? await db().$queryRawUnsafe<StatusRow[]>(`SELECT ${STATUS_COLUMNS} FROM "Message" m WHERE m."id" IN (${marks(messageIds.length)}) AND m."deletedAt" IS NULL`, ...messageIds)
    : [];
  const statuses = await statusesOf(statusRows);
  const statusOf = new Map(statusRows.map((r, i) => [r.id, statuses[i]]));
  const accounts = await accountsByActor(rows.map((r) => r.actorId));
  const out: NotificationEntity[] = [];
  for (const r of rows) {
    const id = String(r.id);
    const entity: NotificationEntity = { id, type: r.type, created_at: iso(r.createdAt), group_key: `ungrouped-${id}`, account: accounts.get(r.actorId)! };
    if (r.messageId) {
      const status = statusOf.get(r.messageId);
      if (!status) continue;
      entity.status = status;
    }
    out.push(entity);
  }
  return out;
}

/** The actor URL behind an account id, or null when no notification can be from it. */
async function actorOfAccount(accountId: string): Promise<string | null> {
  const apiId = parseApiId(accountId);
  if (apiId === null) return null;
  const row = await db().remoteActor.findUnique({ where: { apiId }, select: { id: true } });
  return row?.id ?? null;
}

/** The WHERE clause and arguments for `types[]`, `exclude_types[]` and `account_id`; null when nothing can match. */
async function filterOf(params: Params): Promise<{ where: string[]; args: unknown[] } | null> {
  const where: string[] = [VISIBLE_NOTIFICATION];
  const args: unknown[] = [];
  const types = list(params, "types");
  if (types && types.length > 0) {
    const wanted = types.filter((t) => (NOTIFICATION_TYPES as readonly string[]).includes(t));
    if (wanted.length === 0) return null;
    where.push(`n."type" IN (${marks(wanted.length)})`);
    args.push(...wanted);
  }
  const excluded = list(params, "exclude_types");
  if (excluded && excluded.length > 0) {
    where.push(`n."type" NOT IN (${marks(excluded.length)})`);
    args.push(...excluded);
  }
  const accountId = str(params, "account_id");
  if (accountId !== undefined) {
    const actor = await actorOfAccount(accountId);
    if (!actor) return null;
    where.push(`n."actorId" = ?`);
    args.push(actor);
  }
  return { where, args };
}

async function pageOfNotifications(params: Params, page: Page): Promise<NotificationEntity[]> {
  const filter = await filterOf(params);
  if (!filter) return [];
  const sql = pageSql(`n."id"`, page);
  const rows = await db().$queryRawUnsafe<NotificationRow[]>(
    `SELECT ${NOTIFICATION_COLUMNS} FROM "Notification" n WHERE ${[...filter.where, sql.where].join(" AND ")} ORDER BY ${sql.order} LIMIT ?`,
    ...filter.args,
    ...sql.args,
    sql.limit,
  );
  return notificationsOf(newestFirst(rows, page));
}

/** GET /api/v1/notifications */
export const listNotifications = api(async (request) => {
  await requireToken(request, "read:notifications");
  const params = await readParams(request);
  const page = pageOf(params, { limit: 40, max: 80 });
  const items = await pageOfNotifications(params, page);
  return pageAnswer(request, items);
});

async function findVisible(id: bigint): Promise<NotificationRow | null> {
  const rows = await db().$queryRawUnsafe<NotificationRow[]>(`SELECT ${NOTIFICATION_COLUMNS} FROM "Notification" n WHERE n."id" = ? AND ${VISIBLE_NOTIFICATION}`, id);
  return rows[0] ?? null;
}

function idParam(context: { params: Promise<Record<string, string | string[]>> }) {
  return context.params.then((p) => requireApiId(p.id));
}

/** GET /api/v1/notifications/:id */
export const getNotification = api(async (request, context) => {
  await requireToken(request, "read:notifications");
  const row = await findVisible(await idParam(context));
  const entity = row ? (await notificationsOf([row]))[0] : undefined;
  if (!entity) throw new ApiError(404, "Record not found");
  return json(entity);
});

/** POST /api/v1/notifications/:id/dismiss */
export const dismissNotification = api(async (request, context) => {
  await requireToken(request, "write:notifications");
  const id = await idParam(context);
  const removed = await db().notification.deleteMany({ where: { id: Number(id) } });
  if (removed.count === 0) throw new ApiError(404, "Record not found");
  return json({});
});

/** POST /api/v1/notifications/clear */
export const clearNotifications = api(async (request) => {
  await requireToken(request, "write:notifications");
  await db().notification.deleteMany({});
  return json({});
});

/** How many unread notifications are counted at most: `limit`, 100 unless given, 1000 at most (as Mastodon). */
function countLimit(params: Params): number {
  const raw = Number(str(params, "limit"));
  return Number.isFinite(raw) && raw >= 1 ? Math.min(Math.floor(raw), 1000) : 100;
}

/** GET /api/v1/notifications/unread_count: notifications newer than the notifications marker. */
export const unreadCount = api(async (request) => {
  await requireToken(request, "read:notifications");
  const params = await readParams(request);
  const filter = await filterOf(params);
  if (!filter) return json({ count: 0 });
  const marker = await getMarker("notifications");
  const after = parseApiId(marker?.lastReadId) ?? 0n;
  const rows = await db().$queryRawUnsafe<{ n: bigint | number }[]>(
    `SELECT count(*) AS "n" FROM (SELECT 1 FROM "Notification" n WHERE ${[...filter.where, `n."id" > ?`].join(" AND ")} LIMIT ${countLimit(params)})`,
    ...filter.args,
    after,
  );
  return json({ count: Number(rows[0]?.n ?? 0) });
});
