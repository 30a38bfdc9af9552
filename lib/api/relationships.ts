import { db } from "../db";
import { getFollow, isBlocked, removeBlock } from "../domain/contacts";
import { LookupError } from "../federation/lookup";
import { approveFollower, blockActor, followActor, rejectFollower, unfollowActor } from "../domain/follows";
import { SendError } from "../domain/sending";
import { accountTarget, actorIdsFor, requireOwnerRow, type AccountTarget } from "./account-target";
import { requireToken } from "./auth";
import { api, ApiError, json } from "./http";
import { list, readParams } from "./params";

// Mastodon's Relationship entity (docs.joinmastodon.org/entities/Relationship)
// from the Follow and Block tables, and the calls that change it. Each call
// goes through the same use case as the web UI's People page and the CLI.

export type Relationship = ReturnType<typeof emptyRelationship>;

function emptyRelationship(id: string) {
  return {
    id,
    following: false,
    showing_reblogs: false,
    notifying: false,
    languages: null as string[] | null,
    followed_by: false,
    blocking: false,
    // Moiety keeps no record of being blocked (a Block only ends follows).
    blocked_by: false,
    muting: false,
    muting_notifications: false,
    requested: false,
    requested_by: false,
    domain_blocking: false,
    endorsed: false,
    note: "",
  };
}

/** Is the actor's server (or a parent domain of it) blocked as a whole? */
async function domainBlocked(actorId: string): Promise<boolean> {
  const host = new URL(actorId).hostname.toLowerCase();
  const parts = host.split(".");
  const candidates = [...new Set([...parts.map((_, i) => parts.slice(i).join(".")), new URL(actorId).host.toLowerCase()])];
  return (await db().block.count({ where: { kind: "domain", value: { in: candidates } } })) > 0;
}

/** Relationships with actors, keyed by API id (the Map's keys), in its order. */
export async function relationshipsFor(ids: Map<string, string>): Promise<Relationship[]> {
  const actorIds = [...new Set(ids.values())];
  if (actorIds.length === 0) return [];
  const [follows, blocks] = await Promise.all([
    db().follow.findMany({ where: { actorId: { in: actorIds } } }),
    db().block.findMany({ where: { kind: "actor", value: { in: actorIds } } }),
  ]);
  const blocked = new Set(blocks.map((b) => b.value));
  const result: Relationship[] = [];
  for (const [apiId, actorId] of ids) {
    const out = follows.find((f) => f.actorId === actorId && f.direction === "out");
    const inbound = follows.find((f) => f.actorId === actorId && f.direction === "in");
    const following = out?.state === "accepted";
    result.push({
      ...emptyRelationship(apiId),
      following,
      // Mastodon shows a followed account's boosts unless told not to.
      showing_reblogs: following,
      followed_by: inbound?.state === "accepted",
      blocking: blocked.has(actorId),
      requested: out?.state === "pending",
      requested_by: inbound?.state === "pending",
      domain_blocking: await domainBlocked(actorId),
    });
  }
  return result;
}

async function relationshipOf(target: AccountTarget, apiId: string): Promise<Relationship> {
  if (target.kind === "owner") return emptyRelationship(apiId);
  return (await relationshipsFor(new Map([[apiId, target.actorId]])))[0];
}

type Ctx = { params: Promise<Record<string, string | string[]>> };

async function idParam(ctx: Ctx): Promise<string> {
  const { id } = await ctx.params;
  return Array.isArray(id) ? id[0] : id;
}

/** Run an outgoing use case; its plain-words failures become 422 as Mastodon's validation errors do. */
async function attempt(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof SendError || err instanceof LookupError) throw new ApiError(422, err.message);
    throw err;
  }
}

/** A POST on one account: check the token, find the account, act, answer the relationship after. */
function accountAction(scope: string, act: (target: Extract<AccountTarget, { kind: "actor" }>) => Promise<void>, onOwner: string) {
  return api(async (request, ctx) => {
    await requireToken(request, scope);
    const id = await idParam(ctx);
    const target = await accountTarget(id);
    if (target.kind === "owner") throw new ApiError(403, onOwner);
    await act(target);
    return json(await relationshipOf(target, id));
  });
}

export const relationships = api(async (request) => {
  await requireToken(request, "read:follows");
  const owner = await requireOwnerRow();
  const params = await readParams(request);
  const wanted = (list(params, "id") ?? []).slice(0, 80);
  const actors = await actorIdsFor(wanted, owner);
  const ids = new Map<string, string>();
  for (const id of wanted) {
    if (id === String(owner.id)) ids.set(id, "");
    else if (actors.has(id)) ids.set(id, actors.get(id)!);
  }
  const found = await relationshipsFor(new Map([...ids].filter(([, actor]) => actor)));
  // In the order asked for; the owner's own id has no relationship to itself.
  return json([...ids.keys()].map((id) => found.find((r) => r.id === id) ?? emptyRelationship(id)));
});

export const follow = accountAction(
  "write:follows",
  async (t) => {
    // Mastodon's 403 for following someone blocked, before anything is sent.
    if (await isBlocked(t.actorId)) throw new ApiError(403, "You block this account or its server; unblock it first.");
    await attempt(() => followActor(t.actorId));
  },
  // Mastodon's words (config/locales/en.yml, accounts.self_follow_error).
  "Following your own account is not allowed",
);

export const unfollow = accountAction(
  "write:follows",
  async (t) => {
    // Not following is no error: Mastodon answers the relationship as it stands.
    if (await getFollow("out", t.actorId)) await attempt(() => unfollowActor(t.actorId));
  },
  "You cannot unfollow your own account",
);

export const block = accountAction(
  "write:blocks",
  async (t) => attempt(() => blockActor(t.actorId)),
  "You cannot block your own account",
);

export const unblock = accountAction(
  "write:blocks",
  async (t) => {
    await removeBlock("actor", t.actorId);
  },
  "You cannot unblock your own account",
);

/** authorize / reject a pending follow request; no request from that account is Mastodon's 404. */
function followRequestAction(decide: (actorId: string) => Promise<void>) {
  return api(async (request, ctx) => {
    await requireToken(request, "write:follows");
    const id = await idParam(ctx);
    const target = await accountTarget(id);
    const pending = target.kind === "actor" ? await getFollow("in", target.actorId) : null;
    if (target.kind !== "actor" || pending?.state !== "pending") throw new ApiError(404, "Record not found");
    await attempt(() => decide(target.actorId));
    return json(await relationshipOf(target, id));
  });
}

export const authorizeFollowRequest = followRequestAction(approveFollower);
export const rejectFollowRequest = followRequestAction(rejectFollower);
