import { parseHandleInput } from "../activitypub/mentions";
import { db } from "../db";
import type { Owner } from "../domain/owner";
import { env } from "../env";
import { LookupError, resolveActor } from "../federation/lookup";
import { ownerAccount, remoteAccount, type AccountEntity } from "./accounts";
import { requireOwnerRow } from "./account-target";
import { requireToken } from "./auth";
import { api, ApiError, json } from "./http";
import { readParams, str, type Params } from "./params";

// Finding accounts: `lookup` (stored accounts only, no network, as Mastodon's
// lookup skips WebFinger) and search for mention autocomplete, which with
// `resolve=true` looks an exact address up over the network through
// lib/federation/lookup.ts (SSRF guard, same-origin rules, 24 h cache).

const TRUE = new Set(["true", "1", "on"]);
const ourHost = () => new URL(env().origin).host.toLowerCase();

/** Is `input` (a handle or URL) the owner? Answered here: the owner is never fetched over the network. */
function isOwner(owner: Owner, input: string): boolean {
  const parsed = parseHandleInput(input);
  if (parsed.kind === "handle") return parsed.user.toLowerCase() === owner.username && parsed.host === ourHost();
  if (parsed.kind === "url") {
    const url = new URL(parsed.url);
    return url.origin === env().origin && (url.pathname === `/users/${owner.username}` || url.pathname === `/@${owner.username}`);
  }
  return false;
}

export const lookup = api(async (request) => {
  await requireToken(request, "read:accounts");
  const owner = await requireOwnerRow();
  const acct = (str(await readParams(request), "acct") ?? "").trim().replace(/^acct:/i, "").replace(/^@/, "");
  if (!acct) throw new ApiError(404, "Record not found");
  if (!acct.includes("@")) {
    if (acct.toLowerCase() === owner.username) return json(await ownerAccount(owner));
    throw new ApiError(404, "Record not found");
  }
  if (isOwner(owner, acct)) return json(await ownerAccount(owner));
  const parsed = parseHandleInput(acct);
  if (parsed.kind !== "handle") throw new ApiError(404, "Record not found");
  const row = await db().remoteActor.findFirst({ where: { handle: parsed.handle }, orderBy: { fetchedAt: "desc" } });
  if (!row) throw new ApiError(404, "Record not found");
  return json(remoteAccount(row));
});

/** `%`, `_` and `\` typed by the user match themselves in LIKE. */
function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type SearchOptions = { q: string; resolve: boolean; limit: number; offset: number; following: boolean };

function searchOptions(params: Params, defaults: { limit: number; max: number }): SearchOptions {
  const rawLimit = Number(str(params, "limit"));
  const rawOffset = Number(str(params, "offset"));
  return {
    q: (str(params, "q") ?? "").trim().slice(0, 2048),
    resolve: TRUE.has(str(params, "resolve") ?? ""),
    limit: Number.isFinite(rawLimit) && rawLimit >= 1 ? Math.min(Math.floor(rawLimit), defaults.max) : defaults.limit,
    offset: Number.isFinite(rawOffset) && rawOffset > 0 ? Math.floor(rawOffset) : 0,
    following: TRUE.has(str(params, "following") ?? ""),
  };
}

/** An exact address resolved over the network; null when it is not one, or nothing answers for it. */
async function resolveExact(q: string): Promise<AccountEntity | null> {
  const parsed = parseHandleInput(q);
  if (parsed.kind === "invalid") return null;
  try {
    const actor = await resolveActor(q);
    // The stored row carries the apiId its trigger gave it (the returned object was read before).
    const row = await db().remoteActor.findUnique({ where: { id: actor.id } });
    return row && !row.gone ? remoteAccount(row) : null;
  } catch (err) {
    // Mastodon answers a failed resolve with no results, and so do we; the reason goes to the log.
    if (err instanceof LookupError) {
      console.info(`account search: ${q} not resolved: ${(err as Error).message}`);
      return null;
    }
    throw err;
  }
}

/** Stored accounts (and the owner) whose handle, user name or display name starts with `q`. */
async function localMatches(owner: Owner, o: SearchOptions): Promise<AccountEntity[]> {
  const bare = o.q.replace(/^acct:/i, "").replace(/^@/, "");
  if (!bare) return [];
  const results: AccountEntity[] = [];
  const lower = bare.toLowerCase();
  const ownerMatches =
    !o.following &&
    (owner.username.startsWith(lower) || owner.displayName.toLowerCase().startsWith(lower) || `${owner.username}@${ourHost()}`.startsWith(lower));
  if (ownerMatches) results.push(await ownerAccount(owner));
  const prefix = likePrefix(bare);
  const followingOnly = o.following ? `AND "id" IN (SELECT "actorId" FROM "Follow" WHERE "direction" = 'out' AND "state" = 'accepted')` : "";
  const rows = await db().$queryRawUnsafe<{ id: string }[]>(
    `SELECT "id" FROM "RemoteActor"
     WHERE "gone" = 0 AND ("handle" LIKE ? ESCAPE '\\' OR "name" LIKE ? ESCAPE '\\') ${followingOnly}
     ORDER BY ("handle" = ?) DESC, "fetchedAt" DESC LIMIT ? OFFSET ?`,
    `@${prefix}`,
    prefix,
    `@${bare}`,
    o.limit,
    o.offset,
  );
  if (rows.length) {
    const stored = await db().remoteActor.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
    const byId = new Map(stored.map((r) => [r.id, r]));
    for (const r of rows) if (byId.has(r.id)) results.push(remoteAccount(byId.get(r.id)!));
  }
  return results;
}

async function searchAccounts(owner: Owner, o: SearchOptions): Promise<AccountEntity[]> {
  if (!o.q) return [];
  if (isOwner(owner, o.q)) return o.offset === 0 && !o.following ? [await ownerAccount(owner)] : [];
  const exact = o.resolve && o.offset === 0 ? await resolveExact(o.q) : null;
  const local = await localMatches(owner, o);
  const merged = exact ? [exact, ...local.filter((a) => a.id !== exact.id)] : local;
  return merged.slice(0, o.limit);
}

/** GET /api/v1/accounts/search: an array of accounts. */
export const searchV1 = api(async (request) => {
  await requireToken(request, "read:accounts");
  const owner = await requireOwnerRow();
  return json(await searchAccounts(owner, searchOptions(await readParams(request), { limit: 40, max: 80 })));
});

/** GET /api/v2/search: accounts only; Moiety has no public statuses or hashtags to find. */
export const searchV2 = api(async (request) => {
  await requireToken(request, "read:search");
  const owner = await requireOwnerRow();
  const params = await readParams(request);
  const type = str(params, "type");
  const accounts = type === undefined || type === "accounts" ? await searchAccounts(owner, searchOptions(params, { limit: 20, max: 40 })) : [];
  return json({ accounts, statuses: [], hashtags: [] });
});
