import {
  Accept,
  Application,
  Block,
  Create,
  Delete,
  Endpoints,
  Follow,
  Image,
  Note,
  Person,
  Reject,
  Undo,
  Update,
  createFederation,
  parseSemVer,
  type Federation,
} from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { env } from "../env";
import { countFollows } from "../domain/contacts";
import { getOwner } from "../domain/owner";
import { getSetting } from "../domain/settings";
import { textToHtml } from "../activitypub/html";
import { idsOf, isObject } from "../activitypub/values";
import { SqliteKvStore } from "./kv-store";
import { SqliteMessageQueue } from "./inbound/message-queue";
import { safeAuthenticatedDocumentLoader, safeContextLoader, safeDocumentLoader } from "./document-loader";
import { withFetchBudget } from "./fetch-budget";
import { loadKeyPairs } from "./keys";
import { INSTANCE_ACTOR } from "./paths";
import { onAccept, onBlock, onCreate, onDelete, onFollow, onReject, onUndo, onUpdate, onInboxError } from "./inbound/inbox-listeners";
import { authorizedNote } from "./objects";

// The one Fedify Federation object: discovery (WebFinger, NodeInfo), the
// actor documents, the inboxes and the object dispatcher. Outgoing deliveries
// do not go through Fedify's outbox queue but through lib/federation/outbound/delivery.ts,
// which keeps a per-recipient state the UI shows (Fedify 1.5's outbox has no
// per-delivery result, ignores Retry-After and retries permanent failures).

export { SOFTWARE_VERSION } from "./version";
import { SOFTWARE_VERSION } from "./version";

// One Federation per loaded copy of Fedify, found by its createFederation. Next's
// module copies share one (Fedify is external to the bundle, next.config.js);
// `moiety serve` runs the workers from source, with the Fedify of the project's
// own node_modules, in the same process as Next: its classes are other classes,
// and an object of one copy fails the instanceof checks of the other.
const g = globalThis as unknown as { moietyFederations?: WeakMap<object, Federation<void>> };

/**
 * The inbox worker: several activities at once, but at most two per sending
 * server, so one server whose documents are slow to arrive cannot hold every
 * lane; one at a time per actor, so an actor's Create, Update and Delete of a
 * note are handled in the order they came. Each activity may spend 4 s per
 * object or actor it fetches and 15 s in all; past that it fails and Fedify
 * retries it later with backoff.
 */
const INBOX_QUEUE = {
  concurrency: 8,
  groupLimit: 2,
  keysOf: inboxMessageKeys,
  around: <T>(work: () => Promise<T>) => withFetchBudget({ totalMs: 15_000, perFetchMs: 4_000 }, work),
};

/** The sending server and actor of a queued inbox message (Fedify's InboxMessage: { type: "inbox", activity, … }). */
function inboxMessageKeys(message: unknown): { group: string | null; sequence: string | null } {
  const activity = isObject(message) && message.type === "inbox" ? message.activity : null;
  const actor = isObject(activity) ? idsOf(activity.actor)[0] : undefined;
  if (!actor) return { group: null, sequence: null };
  try {
    return { group: new URL(actor).host, sequence: actor };
  } catch {
    return { group: null, sequence: actor };
  }
}

function build(): Federation<void> {
  const e = env();
  const federation = createFederation<void>({
    kv: new SqliteKvStore(),
    // Incoming activities are stored durably before the inbox answers 202 and
    // handled by the worker (instrumentation.ts); a crash loses nothing.
    queue: { inbox: new SqliteMessageQueue("inbox", INBOX_QUEUE) },
    manuallyStartQueue: true,
    // Next hands Fedify http://localhost:<port> whatever the Host header says.
    origin: e.origin,
    // Actor, key and object fetches go through safeFetch (lib/federation/document-loader.ts),
    // which applies MOIETY_ALLOW_PRIVATE_ADDRESSES and sets the User-Agent itself (Fedify
    // refuses its own allowPrivateAddress/userAgent options next to custom loaders).
    documentLoaderFactory: () => safeDocumentLoader(),
    // JSON-LD @context documents too: a remote @context is a URL an attacker
    // chooses. The well-known ones come from memory, others are kept a while.
    contextLoaderFactory: () => safeContextLoader(),
    authenticatedDocumentLoaderFactory: (identity) => safeAuthenticatedDocumentLoader(identity),
    signatureTimeWindow: { hours: 1 },
  });

  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) {
        const keys = await ctx.getActorKeyPairs(identifier);
        return new Application({
          id: ctx.getActorUri(identifier),
          preferredUsername: new URL(e.origin).hostname,
          name: "Moiety instance actor",
          summary: "Signs this server's own requests. Not a person; messages to it are not read.",
          inbox: ctx.getInboxUri(identifier),
          outbox: ctx.getOutboxUri(identifier),
          endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
          manuallyApprovesFollowers: true,
          publicKey: keys[0]?.cryptographicKey,
          assertionMethods: keys.map((k) => k.multikey),
        });
      }
      const owner = await getOwner();
      if (!owner || owner.username !== identifier) return null;
      const keys = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: owner.username,
        name: owner.displayName,
        summary: owner.bio ? textToHtml(owner.bio) : null,
        url: ctx.getActorUri(identifier),
        inbox: ctx.getInboxUri(identifier),
        outbox: ctx.getOutboxUri(identifier),
        followers: ctx.getFollowersUri(identifier),
        following: ctx.getFollowingUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: keys[0]?.cryptographicKey,
        assertionMethods: keys.map((k) => k.multikey),
        manuallyApprovesFollowers: (await getSetting("approveFollowers")) ?? false,
        discoverable: false,
        published: Temporal.Instant.from(owner.createdAt.toISOString()),
        aliases: ((await getSetting("alsoKnownAs")) ?? []).map((a) => new URL(a)),
        icon: owner.avatarFile
          ? new Image({ url: new URL(`/media/${owner.avatarFile}`, e.origin), mediaType: owner.avatarType })
          : null,
      });
    })
    .setKeyPairsDispatcher(async (_ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return loadKeyPairs("instance");
      const owner = await getOwner();
      if (!owner || owner.username !== identifier) return [];
      return loadKeyPairs("owner");
    });

  // Collections: counts and a first page, as Mastodon needs; the lists
  // themselves are not published (who talks to whom is private).
  const emptyPage = async () => ({ items: [], nextCursor: null });
  federation
    .setFollowersDispatcher("/users/{identifier}/followers", async (_ctx, _id, cursor) => (cursor === null ? null : emptyPage()))
    .setCounter(async () => countFollows("in"))
    .setFirstCursor(() => "0");
  federation
    .setFollowingDispatcher("/users/{identifier}/following", async (_ctx, _id, cursor) => (cursor === null ? null : emptyPage()))
    .setCounter(async () => countFollows("out"))
    .setFirstCursor(() => "0");
  // DMs never appear in the outbox: it is always empty.
  federation
    .setOutboxDispatcher("/users/{identifier}/outbox", async (_ctx, _id, cursor) => (cursor === null ? null : emptyPage()))
    .setCounter(() => 0)
    .setFirstCursor(() => "0");

  // A DM's object URL answers only to a signed request from someone it was addressed to.
  federation.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", authorizedNote);

  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .setSharedKeyDispatcher(() => ({ identifier: INSTANCE_ACTOR }))
    .on(Follow, onFollow)
    .on(Undo, onUndo)
    .on(Accept, onAccept)
    .on(Reject, onReject)
    .on(Create, onCreate)
    .on(Update, onUpdate)
    .on(Delete, onDelete)
    .on(Block, onBlock)
    .onError(onInboxError);

  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => ({
    software: { name: "moiety", version: parseSemVer(SOFTWARE_VERSION) },
    protocols: ["activitypub"],
    openRegistrations: false,
    // One user; posts are never counted, since every post here is a DM.
    usage: { users: { total: 1, activeMonth: 1, activeHalfyear: 1 }, localPosts: 0, localComments: 0 },
    metadata: {},
  }));

  return federation;
}

/** The Federation of this copy of Fedify (Next loads modules several times; one object, on globalThis). */
export function federation(): Federation<void> {
  const all = (g.moietyFederations ??= new WeakMap());
  let made = all.get(createFederation);
  if (!made) {
    made = build();
    all.set(createFederation, made);
  }
  return made;
}

/** A Context for work outside a request (CLI, workers). */
export function federationContext() {
  return federation().createContext(new URL(env().origin), undefined);
}
