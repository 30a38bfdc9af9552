import { createHash } from "node:crypto";
import { db } from "../db";
import type { Owner } from "../domain/owner";
import type { RemoteActor } from "../domain/contacts";
import { signedMediaUrl } from "../domain/signed-media-url";
import { textToHtml } from "../activitypub/html";
import { getSetting } from "../domain/settings";
import { env } from "../env";
import { apiIdString } from "./ids";

// Mastodon's Account entity (docs.joinmastodon.org/entities/Account). The
// owner's id is its database id ("1"); remote accounts carry a Snowflake-like
// `apiId`, so the two never meet. `acct` is the bare username for the owner
// and user@host for everyone else, as Mastodon gives them.

export const OWNER_ACCOUNT_ID = (owner: Owner) => String(owner.id);

/** Midnight UTC of a day: Mastodon gives accounts' created_at to the day. */
function day(d: Date): string {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())).toISOString();
}

const placeholder = () => `${env().origin}/apple-icon.png`;

export type AccountEntity = ReturnType<typeof remoteAccount>;

/** The owner's numbers as Mastodon counts them: accepted follows each way, own messages not deleted. */
async function ownerCounts() {
  const [followers, following, statuses, newest, locked] = await Promise.all([
    db().follow.count({ where: { direction: "in", state: "accepted" } }),
    db().follow.count({ where: { direction: "out", state: "accepted" } }),
    db().message.count({ where: { direction: "out", deletedAt: null } }),
    db().message.findFirst({ where: { direction: "out", deletedAt: null }, orderBy: { published: "desc" }, select: { published: true } }),
    getSetting("approveFollowers"),
  ]);
  // Mastodon gives last_status_at as a date without a time ("2019-11-24").
  const lastStatusAt = newest ? newest.published.toISOString().slice(0, 10) : null;
  return { followers, following, statuses, lastStatusAt, locked: locked ?? false };
}

export async function ownerAccount(owner: Owner) {
  const origin = env().origin;
  const avatar = owner.avatarFile ? `${origin}/media/${owner.avatarFile}` : placeholder();
  const counts = await ownerCounts();
  return {
    id: OWNER_ACCOUNT_ID(owner),
    username: owner.username,
    acct: owner.username,
    display_name: owner.displayName,
    // "Approve followers" in Settings: apps then offer the follow requests list.
    locked: counts.locked,
    bot: false,
    discoverable: false,
    indexable: false,
    group: false,
    noindex: true,
    created_at: day(owner.createdAt),
    note: owner.bio ? textToHtml(owner.bio) : "",
    url: `${origin}/users/${owner.username}`,
    uri: `${origin}/users/${owner.username}`,
    avatar,
    avatar_static: avatar,
    // Apps decode these as URLs (Ice Cubes fails on ""); Moiety has no header image.
    header: placeholder(),
    header_static: placeholder(),
    followers_count: counts.followers,
    following_count: counts.following,
    statuses_count: counts.statuses,
    last_status_at: counts.lastStatusAt,
    hide_collections: true,
    emojis: [] as never[],
    fields: [] as never[],
    roles: [] as never[],
  };
}

/** verify_credentials: the account plus `source`, the plain-text profile the apps edit. */
export async function credentialAccount(owner: Owner) {
  const [account, requests] = await Promise.all([ownerAccount(owner), db().follow.count({ where: { direction: "in", state: "pending" } })]);
  return {
    ...account,
    source: { privacy: "direct", sensitive: false, language: "en", note: owner.bio, fields: [], follow_requests_count: requests, hide_collections: true, discoverable: false, indexable: false },
    role: { id: "-99", name: "", permissions: "0", color: "", highlighted: false },
  };
}

type ActorRow = Pick<RemoteActor, "id" | "handle" | "name" | "host" | "url" | "iconUrl" | "fetchedAt" | "gone"> & { apiId: bigint | number | string | null };

/** user and host of a remote account: from its handle, else from its URL's last path segment. */
export function remoteUsername(a: Pick<RemoteActor, "id" | "handle" | "host">): { username: string; acct: string } {
  const fromHandle = a.handle ? /^@?([^@]+)@(.+)$/.exec(a.handle) : null;
  if (fromHandle) return { username: fromHandle[1], acct: `${fromHandle[1]}@${fromHandle[2]}` };
  const last = new URL(a.id).pathname.split("/").filter(Boolean).pop() ?? "unknown";
  const username = decodeURIComponent(last).replace(/^@/, "");
  return { username, acct: `${username}@${a.host}` };
}

export function remoteAccount(a: ActorRow) {
  const { username, acct } = remoteUsername(a);
  const avatar = a.iconUrl ? signedMediaUrl(a.iconUrl) : placeholder();
  return {
    id: apiIdString(a.apiId),
    username,
    acct,
    display_name: a.name ?? "",
    locked: false,
    bot: false,
    discoverable: null as boolean | null,
    indexable: false,
    group: false,
    noindex: null as boolean | null,
    created_at: day(a.fetchedAt instanceof Date ? a.fetchedAt : new Date(a.fetchedAt)),
    note: "",
    url: a.url ?? a.id,
    uri: a.id,
    avatar,
    avatar_static: avatar,
    header: placeholder(),
    header_static: placeholder(),
    followers_count: 0,
    following_count: 0,
    statuses_count: 0,
    last_status_at: null as string | null,
    hide_collections: null as boolean | null,
    emojis: [] as never[],
    fields: [] as never[],
    // Mastodon's flag for an account that deleted itself (only the name stays).
    ...(a.gone ? { suspended: true } : {}),
  };
}

/**
 * The id of an actor with no stored document (a third person copied on a
 * DM whose profile was never fetched): derived from its URL, above every
 * Snowflake id (those reach 9e18 only in the year 6200), so it is stable and
 * never collides. `GET /accounts/:id` finds it again by the same hash.
 */
export function unstoredActorId(actorId: string): string {
  const digest = createHash("sha256").update(actorId).digest();
  return (9_000_000_000_000_000_000n + (digest.readBigUInt64BE(0) % 2n ** 57n)).toString();
}

function unstoredAccount(actorId: string): AccountEntity {
  const url = new URL(actorId);
  return remoteAccount({ id: actorId, handle: null, name: null, host: url.host, url: null, iconUrl: null, fetchedAt: new Date(0), gone: false, apiId: unstoredActorId(actorId) });
}

/** Accounts for actor URLs, in one query; actors never stored get a derived id (unstoredActorId). */
export async function accountsByActor(actorIds: string[]): Promise<Map<string, AccountEntity>> {
  const unique = [...new Set(actorIds)];
  if (unique.length === 0) return new Map();
  const rows = await db().remoteActor.findMany({ where: { id: { in: unique } } });
  const byId = new Map(rows.map((r) => [r.id, remoteAccount(r)]));
  return new Map(unique.map((id) => [id, byId.get(id) ?? unstoredAccount(id)]));
}
