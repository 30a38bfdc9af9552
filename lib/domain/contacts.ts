import { db, writeTransaction } from "../db";
import type { ActorFields } from "../activitypub/key-document";
import type { RemoteActor } from "../generated/prisma/client";
import { blockedSteps, cachedActorSteps, markActorGoneSteps, type CachedActor } from "./incoming-store";
import { runAsync } from "./sql-steps";

// Remote people: the cached actor documents, follows both ways, and blocks.

export type { RemoteActor };

/** What is kept of an actor document (read from JSON in lib/activitypub/key-document.ts, from Fedify in lib/federation/lookup.ts). */
export type ActorInfo = ActorFields;

/**
 * Store an actor document. `servedBy` is the URL the document was fetched
 * from: only an account's own server may describe it, so a document served
 * elsewhere never writes (or overwrites) that account's row.
 */
export async function saveRemoteActor(a: ActorInfo, servedBy: string): Promise<RemoteActor> {
  if (new URL(a.id).origin !== new URL(servedBy).origin) {
    throw new Error(`Refusing to store ${a.id}: its document came from ${new URL(servedBy).origin}`);
  }
  const host = new URL(a.id).host;
  const data = { ...a, host, gone: false, fetchedAt: new Date() };
  return db().remoteActor.upsert({ where: { id: a.id }, create: data, update: data });
}

export async function getRemoteActor(id: string): Promise<RemoteActor | null> {
  return db().remoteActor.findUnique({ where: { id } });
}

/** What the inbox needs of a cached actor, read with one plain query (it runs for every incoming DM). */
export async function getCachedActor(id: string): Promise<CachedActor | null> {
  return runAsync(db(), cachedActorSteps(id));
}

export async function findRemoteActorByHandle(handle: string): Promise<RemoteActor | null> {
  return db().remoteActor.findFirst({ where: { handle }, orderBy: { fetchedAt: "desc" } });
}

/** The actor deleted itself: forget follows, keep messages (they are the owner's record). */
export async function markActorGone(id: string): Promise<void> {
  await writeTransaction((tx) => runAsync(tx, markActorGoneSteps(id)));
}

// ── follows ──

export type FollowDirection = "in" | "out";

/**
 * Record a follow. A new inbound one also gets its Mastodon API notification
 * ("follow", or "follow_request" while it waits for approval) in the same
 * transaction; a repeated Follow or an approval adds none, as in Mastodon.
 */
export async function recordFollow(direction: FollowDirection, actorId: string, activityId: string, state: "pending" | "accepted") {
  return writeTransaction(async (tx) => {
    const existing = direction === "in" ? await tx.follow.findUnique({ where: { direction_actorId: { direction, actorId } } }) : null;
    const row = await tx.follow.upsert({
      where: { direction_actorId: { direction, actorId } },
      create: { direction, actorId, activityId, state },
      update: { activityId, state },
    });
    if (direction === "in" && !existing) {
      await tx.notification.create({ data: { type: state === "accepted" ? "follow" : "follow_request", actorId } });
    }
    return row;
  });
}

export async function getFollow(direction: FollowDirection, actorId: string) {
  return db().follow.findUnique({ where: { direction_actorId: { direction, actorId } } });
}

export async function removeFollow(direction: FollowDirection, actorId: string): Promise<boolean> {
  const r = await db().follow.deleteMany({ where: { direction, actorId } });
  return r.count > 0;
}

export async function listFollows(direction: FollowDirection, state?: "pending" | "accepted") {
  const follows = await db().follow.findMany({ where: { direction, ...(state ? { state } : {}) }, orderBy: { createdAt: "desc" } });
  const actors = await db().remoteActor.findMany({ where: { id: { in: follows.map((f) => f.actorId) } } });
  const byId = new Map(actors.map((a) => [a.id, a]));
  return follows.map((f) => ({ ...f, actor: byId.get(f.actorId) ?? null }));
}

export async function countFollows(direction: FollowDirection): Promise<number> {
  return db().follow.count({ where: { direction, state: "accepted" } });
}

/** Does the owner follow this actor (accepted or asked)? */
export async function ownerFollows(actorId: string): Promise<boolean> {
  return (await db().follow.count({ where: { direction: "out", actorId } })) > 0;
}

// ── blocks ──

export type BlockKind = "actor" | "domain";

export async function addBlock(kind: BlockKind, value: string): Promise<void> {
  const v = kind === "domain" ? value.toLowerCase() : value;
  await db().block.upsert({ where: { kind_value: { kind, value: v } }, create: { kind, value: v }, update: {} });
  // A block ends follows both ways.
  if (kind === "actor") await db().follow.deleteMany({ where: { actorId: v } });
  else {
    const actors = await db().remoteActor.findMany({ where: { host: v }, select: { id: true } });
    await db().follow.deleteMany({ where: { actorId: { in: actors.map((a) => a.id) } } });
  }
}

export async function removeBlock(kind: BlockKind, value: string): Promise<boolean> {
  const r = await db().block.deleteMany({ where: { kind, value: kind === "domain" ? value.toLowerCase() : value } });
  return r.count > 0;
}

export async function listBlocks() {
  return db().block.findMany({ orderBy: { createdAt: "desc" } });
}

/** Is this actor (or its whole domain) blocked? Subdomains of a blocked domain count too. */
export async function isBlocked(actorOrUrl: string): Promise<boolean> {
  // Plain SQL: every inbox POST asks this at least twice, and Prisma's query building costs more than the lookup.
  return runAsync(db(), blockedSteps(actorOrUrl));
}
