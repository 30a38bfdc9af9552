import type { Actor } from "@fedify/fedify";
import { normalizeHandle, parseHandleInput } from "../activitypub/mentions";
import { findRemoteActorByHandle, getRemoteActor, saveRemoteActor, type ActorInfo, type RemoteActor } from "../domain/contacts";
import { fetchActor, ForeignIdentityError, LookupError, webfingerSelf, type Loaders, type VerifiedActor } from "./actor-fetch";
import { safeDocumentLoader } from "./document-loader";
import { describeUnreachable, networkErrorCode } from "./network-errors";

export { LookupError, ForeignIdentityError };

/** What we keep of an actor document. */
export async function actorInfo(actor: Actor): Promise<ActorInfo | null> {
  if (!actor.id || !actor.inboxId) return null;
  const username = actor.preferredUsername?.toString();
  const icon = await actor.getIcon().catch(() => null);
  const iconUrl = icon?.url instanceof URL ? icon.url.href : (icon?.url?.href?.href ?? null);
  return {
    id: actor.id.href,
    // Only a well-formed user name makes a handle: it is how the owner finds this row again.
    handle: (username && normalizeHandle(`@${username}@${actor.id.host}`)) || null,
    name: actor.name?.toString() ?? username ?? null,
    inbox: actor.inboxId.href,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    url: actor.url instanceof URL ? actor.url.href : (actor.url?.href?.href ?? null),
    iconUrl,
    followersUrl: actor.followersId?.href ?? null,
  };
}

/**
 * Cache an actor fetched by fetchActor. Only such an actor is stored: its
 * document came from its own server, so it cannot rewrite someone else's row.
 */
export async function rememberActor(verified: VerifiedActor): Promise<RemoteActor | null> {
  const info = await actorInfo(verified.actor);
  return info ? saveRemoteActor(info, verified.source.href) : null;
}

/** Fetch an actor by its id (an activity's actor, a key's owner): the document at that URL must give that id. */
export async function fetchActorById(id: URL, loaders: Loaders): Promise<VerifiedActor> {
  const verified = await fetchActor(id, loaders);
  if (verified.actor.id.href !== id.href) throw new ForeignIdentityError();
  return verified;
}

/**
 * Resolve what a person typed (`@bob@example.com`, `bob@example.com`, or an
 * actor URL) to an actor, fetching it (WebFinger, then the actor document,
 * signed by our instance actor for servers in authorized-fetch mode) unless
 * a fresh copy is cached.
 */
export async function resolveActor(input: string, opts: { refresh?: boolean } = {}): Promise<RemoteActor> {
  const parsed = parseHandleInput(input);
  if (parsed.kind === "invalid") throw new LookupError(parsed.error);
  const cacheKey = parsed.kind === "handle" ? parsed.handle : parsed.url;
  if (!opts.refresh) {
    const cached = parsed.kind === "handle" ? await findRemoteActorByHandle(parsed.handle) : await getRemoteActor(parsed.url);
    if (cached && !cached.gone && Date.now() - cached.fetchedAt.getTime() < 24 * 60 * 60_000) return cached;
  }
  const loader = safeDocumentLoader();
  let verified: VerifiedActor;
  let asked: URL;
  try {
    if (parsed.kind === "handle") {
      const self = await webfingerSelf(parsed.user, parsed.host);
      if (!self) throw new LookupError(`No account found for ${cacheKey}.`);
      asked = self;
    } else {
      asked = new URL(parsed.url);
    }
    verified = await fetchActor(asked, { documentLoader: loader, contextLoader: loader });
  } catch (err) {
    if (err instanceof LookupError) throw err;
    if ((err as Error)?.name === "PrivateAddressError") throw new LookupError(`${cacheKey} is on a private or local network address, which Moiety does not contact.`);
    // Never the library's own words ("getaddrinfo ENOTFOUND …"): a sentence a person can act on.
    throw new LookupError(describeUnreachable(err, parsed.kind === "handle" ? parsed.host : new URL(parsed.url).host), {
      transient: networkErrorCode(err) !== "ENOTFOUND",
    });
  }
  // The account must live where the address pointed (the WebFinger self link
  // or the URL typed, or where that redirected): a server cannot answer for
  // an account on another one, even one that exists.
  const origin = verified.actor.id.origin;
  if (origin !== asked.origin && origin !== verified.firstServedBy.origin) throw new ForeignIdentityError();
  const saved = await rememberActor(verified);
  if (!saved) throw new LookupError(`${cacheKey} has no inbox; it cannot receive messages.`);
  return saved;
}
