import { db } from "../db";
import { requireToken } from "./auth";
import { api, json } from "./http";
import { pageAnswer, newestFirst, pageOf, pageSql } from "./paging";
import { readParams } from "./params";
import { STATUS_COLUMNS, statusesOf, type StatusRow } from "./status-entity";

// Timelines (docs.joinmastodon.org/methods/timelines). Home is every DM, sent
// and received (Mastodon puts a direct status in the home feed of its author
// and of its recipients, and apps open on home), newest first by id. There is
// nothing public here, so the public and hashtag timelines are empty lists
// rather than 404s, which some apps open without checking.

/** GET /api/v1/timelines/home */
export const homeTimeline = api(async (request) => {
  await requireToken(request, "read:statuses");
  const page = pageOf(await readParams(request));
  const sql = pageSql(`m."apiId"`, page);
  const rows = await db().$queryRawUnsafe<StatusRow[]>(
    `SELECT ${STATUS_COLUMNS} FROM "Message" m WHERE m."deletedAt" IS NULL AND m."apiId" IS NOT NULL AND ${sql.where} ORDER BY ${sql.order} LIMIT ?`,
    ...sql.args,
    sql.limit,
  );
  const statuses = await statusesOf(newestFirst(rows, page));
  return pageAnswer(request, statuses);
});

/** GET /api/v1/timelines/public and /timelines/tag/:tag */
export const emptyTimeline = api(async () => json([]));
