import { db } from "../db";
import { accountsByActor } from "./accounts";
import { accountTarget, ownerActor, requireOwnerRow } from "./account-target";
import { requireToken } from "./auth";
import { api, json } from "./http";
import { pageAnswer, newestFirst, pageOf, pageSql, type Page } from "./paging";
import { readParams, str } from "./params";
import { STATUS_COLUMNS, statusesOf, type StatusRow } from "./status-entity";

// Lists of accounts (followers, following, follow requests, blocks) and an
// account's statuses. Account lists page by the Follow or Block row's id, as
// Mastodon pages them by its Follow/Block ids: those ids appear only in the
// Link header, never in an entity, so apps just follow the Link.

const ACCOUNT_PAGE = { limit: 40, max: 80 };

type Ctx = { params: Promise<Record<string, string | string[]>> };

async function idParam(ctx: Ctx): Promise<string> {
  const { id } = await ctx.params;
  return Array.isArray(id) ? id[0] : id;
}

/** Accounts for rows of a table holding actor URLs, one page of it, with the Link header. */
async function accountPage(request: Request, table: "Follow" | "Block", column: string, where: string, whereArgs: string[], page: Page): Promise<Response> {
  const sql = pageSql(`"id"`, page);
  const rows = newestFirst(
    await db().$queryRawUnsafe<{ id: bigint | number; actor: string }[]>(
      `SELECT "id", "${column}" AS "actor" FROM "${table}" WHERE ${where} AND ${sql.where} ORDER BY ${sql.order} LIMIT ${sql.limit}`,
      ...whereArgs,
      ...sql.args,
    ),
    page,
  );
  const accounts = await accountsByActor(rows.map((r) => r.actor));
  return pageAnswer(
    request,
    rows.map((r) => accounts.get(r.actor)!),
    rows.map((r) => String(r.id)),
  );
}

function followList(direction: "in" | "out") {
  return api(async (request, ctx) => {
    await requireToken(request, "read:accounts");
    const target = await accountTarget(await idParam(ctx));
    // Only the owner's own follows are known here; other people's lists stay theirs.
    if (target.kind !== "owner") return json([]);
    const page = pageOf(await readParams(request), ACCOUNT_PAGE);
    return accountPage(request, "Follow", "actorId", `"direction" = ? AND "state" = 'accepted'`, [direction], page);
  });
}

export const followers = followList("in");
export const following = followList("out");

export const followRequests = api(async (request) => {
  await requireToken(request, "read:follows");
  await requireOwnerRow();
  const page = pageOf(await readParams(request), ACCOUNT_PAGE);
  return accountPage(request, "Follow", "actorId", `"direction" = 'in' AND "state" = 'pending'`, [], page);
});

export const blocks = api(async (request) => {
  await requireToken(request, "read:blocks");
  await requireOwnerRow();
  const page = pageOf(await readParams(request), ACCOUNT_PAGE);
  return accountPage(request, "Block", "value", `"kind" = 'actor'`, [], page);
});

/** Moiety has no mutes (a block is the one tool), so the list is always empty. */
export const mutes = api(async (request) => {
  await requireToken(request, "read:mutes");
  return json([]);
});

const TRUE = new Set(["true", "1", "on"]);

/**
 * The DMs an account wrote that the owner holds (the owner's own for "1"),
 * newest first. Pinned statuses: none, as Moiety pins nothing.
 */
export const accountStatuses = api(async (request, ctx) => {
  await requireToken(request, "read:statuses");
  const target = await accountTarget(await idParam(ctx));
  const params = await readParams(request);
  if (TRUE.has(str(params, "pinned") ?? "")) return json([]);
  const page = pageOf(params);
  const sql = pageSql(`m."apiId"`, page);
  const filters = [`m."authorId" = ?`, `m."deletedAt" IS NULL`, `m."apiId" IS NOT NULL`];
  if (TRUE.has(str(params, "only_media") ?? "")) filters.push(`m."attachments" <> '[]'`);
  // Mastodon's "without replies" keeps answers to oneself (threads); in a DM nearly every message answers the other side.
  if (TRUE.has(str(params, "exclude_replies") ?? "")) {
    filters.push(`(m."inReplyTo" IS NULL OR EXISTS (SELECT 1 FROM "Message" r WHERE r."objectId" = m."inReplyTo" AND r."authorId" = m."authorId"))`);
  }
  const author = target.kind === "owner" ? ownerActor(target.owner) : target.actorId;
  const rows = newestFirst(
    await db().$queryRawUnsafe<StatusRow[]>(
      `SELECT ${STATUS_COLUMNS} FROM "Message" m WHERE ${filters.join(" AND ")} AND ${sql.where} ORDER BY ${sql.order} LIMIT ${sql.limit}`,
      author,
      ...sql.args,
    ),
    page,
  );
  const statuses = await statusesOf(rows);
  return pageAnswer(request, statuses);
});
