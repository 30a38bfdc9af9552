import { env } from "../env";
import { json } from "./http";
import { parseApiId } from "./ids";
import { str, type Params } from "./params";

// Mastodon's paging (docs.joinmastodon.org/api/guidelines/#pagination): lists
// come newest first; `max_id` asks for older items, `since_id` for newer ones
// (the newest of them), `min_id` for the items right after it (oldest of them
// first, returned newest first). The answer's Link header names the next page
// (`max_id`, first, as Ice Cubes takes the first match) and the previous one
// (`min_id`), and is left out on an empty page so Tusky's min_id loop ends.

export type Page = {
  maxId: bigint | null;
  sinceId: bigint | null;
  minId: bigint | null;
  limit: number;
};

/** Paging parameters; ids that cannot be ours are ignored as Mastodon does with unknown ones. */
export function pageOf(params: Params, defaults: { limit: number; max: number } = { limit: 20, max: 40 }): Page {
  const raw = Number(str(params, "limit"));
  const limit = Number.isFinite(raw) && raw >= 1 ? Math.min(Math.floor(raw), defaults.max) : defaults.limit;
  return { maxId: parseApiId(str(params, "max_id")), sinceId: parseApiId(str(params, "since_id")), minId: parseApiId(str(params, "min_id")), limit };
}

/**
 * SQL for a page over an id column: a WHERE fragment, its arguments, the
 * ORDER BY and the LIMIT. With `min_id` rows come oldest first; pass them to
 * `newestFirst` before answering.
 */
export function pageSql(column: string, page: Page): { where: string; args: bigint[]; order: string; limit: number } {
  const parts: string[] = [];
  const args: bigint[] = [];
  if (page.maxId !== null) {
    parts.push(`${column} < ?`);
    args.push(page.maxId);
  }
  if (page.sinceId !== null) {
    parts.push(`${column} > ?`);
    args.push(page.sinceId);
  }
  if (page.minId !== null) {
    parts.push(`${column} > ?`);
    args.push(page.minId);
  }
  return { where: parts.length ? parts.join(" AND ") : "1 = 1", args, order: `${column} ${page.minId !== null ? "ASC" : "DESC"}`, limit: page.limit };
}

/** Rows read for a `min_id` page come oldest first; answers are always newest first. */
export function newestFirst<T>(rows: T[], page: Page): T[] {
  return page.minId !== null ? [...rows].reverse() : rows;
}

/**
 * The Link header for a page whose items (newest first) have these ids;
 * none for an empty page. Other query parameters (types[], limit…) are kept.
 */
export function linkHeader(request: Request, ids: string[]): Record<string, string> {
  if (ids.length === 0) return {};
  const base = new URL(new URL(request.url).pathname + new URL(request.url).search, env().origin);
  const withParam = (name: string, value: string) => {
    const url = new URL(base);
    for (const p of ["max_id", "since_id", "min_id"]) url.searchParams.delete(p);
    url.searchParams.set(name, value);
    return url.toString();
  };
  return { link: `<${withParam("max_id", ids[ids.length - 1])}>; rel="next", <${withParam("min_id", ids[0])}>; rel="prev"` };
}

/** A page's answer: the items as JSON, with the Link header made from their ids (newest first). */
export function pageAnswer<T extends { id: string }>(request: Request, items: T[]): Response;
export function pageAnswer<T>(request: Request, items: T[], ids: string[]): Response;
export function pageAnswer(request: Request, items: { id?: string }[], ids?: string[]): Response {
  return json(items, 200, linkHeader(request, ids ?? items.map((i) => i.id!)));
}
