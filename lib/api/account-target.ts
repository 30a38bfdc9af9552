import { db } from "../db";
import { getOwner, type Owner } from "../domain/owner";
import { actorUrl } from "../federation/paths";
import { accountsByActor, OWNER_ACCOUNT_ID, ownerAccount, unstoredActorId, type AccountEntity } from "./accounts";
import { ApiError } from "./http";
import { requireApiId } from "./ids";

// The account an API path names (`/api/v1/accounts/:id/…`): the owner ("1"),
// a stored remote actor (its apiId), or an actor Moiety knows only by URL (a
// third person on a DM, a follower whose profile never loaded), whose id is
// derived from that URL by unstoredActorId in lib/api/accounts.ts.

export type AccountTarget = { kind: "owner"; owner: Owner } | { kind: "actor"; owner: Owner; actorId: string };

export async function requireOwnerRow(): Promise<Owner> {
  const owner = await getOwner();
  if (!owner) throw new ApiError(404, "Record not found");
  return owner;
}

const DERIVED_FROM = 9_000_000_000_000_000_000n;

/** Actor URLs Moiety holds without a stored document: the only ones a derived id can name. */
async function unstoredActorUrls(): Promise<string[]> {
  const rows = await db().$queryRawUnsafe<{ id: string }[]>(
    `SELECT "actorId" AS "id" FROM "ConversationParticipant"
     UNION SELECT "authorId" FROM "Message" WHERE "direction" = 'in'
     UNION SELECT "actorId" FROM "Follow"
     UNION SELECT "value" FROM "Block" WHERE "kind" = 'actor'
     EXCEPT SELECT "id" FROM "RemoteActor"`,
  );
  return rows.map((r) => r.id);
}

/** The account named by `param`, or Mastodon's 404. */
export async function accountTarget(param: unknown): Promise<AccountTarget> {
  const owner = await requireOwnerRow();
  if (param === OWNER_ACCOUNT_ID(owner)) return { kind: "owner", owner };
  const id = requireApiId(param);
  if (id >= DERIVED_FROM) {
    const wanted = id.toString();
    const actorId = (await unstoredActorUrls()).find((url) => unstoredActorId(url) === wanted);
    if (actorId) return { kind: "actor", owner, actorId };
    throw new ApiError(404, "Record not found");
  }
  const row = await db().remoteActor.findUnique({ where: { apiId: id }, select: { id: true } });
  if (!row) throw new ApiError(404, "Record not found");
  return { kind: "actor", owner, actorId: row.id };
}

/** Actor URLs for several API ids at once (relationships); ids naming nothing are left out, the owner too. */
export async function actorIdsFor(params: string[], owner: Owner): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const stored: bigint[] = [];
  let derived = false;
  for (const p of params) {
    if (p === OWNER_ACCOUNT_ID(owner)) continue;
    try {
      const id = requireApiId(p);
      if (id >= DERIVED_FROM) derived = true;
      else stored.push(id);
    } catch {
      // an id that cannot be ours names no account
    }
  }
  if (stored.length) {
    const rows = await db().remoteActor.findMany({ where: { apiId: { in: stored } }, select: { id: true, apiId: true } });
    for (const r of rows) result.set(String(r.apiId), r.id);
  }
  if (derived) for (const url of await unstoredActorUrls()) result.set(unstoredActorId(url), url);
  return result;
}

/** The Account entity of a target. */
export async function targetAccount(target: AccountTarget): Promise<AccountEntity> {
  if (target.kind === "owner") return ownerAccount(target.owner);
  return (await accountsByActor([target.actorId])).get(target.actorId)!;
}

/** The owner's own actor URL (messages they wrote carry it as author). */
export function ownerActor(owner: Owner): string {
  return actorUrl(owner.username);
}
