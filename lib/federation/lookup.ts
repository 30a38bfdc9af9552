import { isActor, type Actor } from "@fedify/fedify";
import { parseHandleInput } from "../activitypub/mentions";
import { findRemoteActorByHandle, getRemoteActor, saveRemoteActor, type ActorInfo, type RemoteActor } from "../domain/contacts";
import { federationContext } from "./federation";
import { INSTANCE_ACTOR } from "./paths";
import { assertPublicUrl, PrivateAddressError } from "./safe-fetch";

export class LookupError extends Error {}

/** What we keep of an actor document. */
export async function actorInfo(actor: Actor): Promise<ActorInfo | null> {
  if (!actor.id || !actor.inboxId) return null;
  const username = actor.preferredUsername?.toString();
  const icon = await actor.getIcon().catch(() => null);
  const iconUrl = icon?.url instanceof URL ? icon.url.href : (icon?.url?.href?.href ?? null);
  return {
    id: actor.id.href,
    handle: username ? `@${username}@${actor.id.host}` : null,
    name: actor.name?.toString() ?? username ?? null,
    inbox: actor.inboxId.href,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    url: actor.url instanceof URL ? actor.url.href : (actor.url?.href?.href ?? null),
    iconUrl,
    followersUrl: actor.followersId?.href ?? null,
  };
}

/** Cache an actor we got from a signed activity or a lookup. */
export async function rememberActor(actor: Actor): Promise<RemoteActor | null> {
  const info = await actorInfo(actor);
  return info ? saveRemoteActor(info) : null;
}

/**
 * Resolve what a person typed (`@bob@example.com`, `bob@example.com`, or an
 * actor URL) to an actor, fetching it (signed by our instance actor, for
 * servers in authorized-fetch mode) unless `cachedOnly`.
 */
export async function resolveActor(input: string, opts: { refresh?: boolean } = {}): Promise<RemoteActor> {
  const parsed = parseHandleInput(input);
  if (parsed.kind === "invalid") throw new LookupError(`"${input}": ${parsed.error}`);
  const cacheKey = parsed.kind === "handle" ? parsed.handle : parsed.url;
  if (!opts.refresh) {
    const cached = parsed.kind === "handle" ? await findRemoteActorByHandle(parsed.handle) : await getRemoteActor(parsed.url);
    if (cached && !cached.gone && Date.now() - cached.fetchedAt.getTime() < 24 * 60 * 60_000) return cached;
  }
  const ctx = federationContext();
  const documentLoader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
  let found;
  try {
    // Fedify may fetch WebFinger itself (for a handle, or as a fallback for a URL); check the
    // host first with our rules (Fedify 1.5's own check misses IPv4-mapped IPv6 literals).
    await assertPublicUrl(parsed.kind === "handle" ? `https://${parsed.host}/` : parsed.url);
    found = await ctx.lookupObject(parsed.kind === "handle" ? parsed.handle : parsed.url, { documentLoader });
  } catch (err) {
    if (err instanceof PrivateAddressError) throw new LookupError(`${cacheKey} is on a private or local network address, which Moiety does not contact.`);
    throw new LookupError(`Could not look up ${cacheKey}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!found || !isActor(found)) throw new LookupError(`No account found for ${cacheKey}.`);
  const saved = await rememberActor(found);
  if (!saved) throw new LookupError(`${cacheKey} has no inbox; it cannot receive messages.`);
  return saved;
}
