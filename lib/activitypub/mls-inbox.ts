import { audienceIncludes } from "./incoming";
import { participantsOf } from "./conversation";
import { MLS_CONTEXT, MLS_KINDS, readMlsEnvelope, type MlsKind, type MlsMessageKind } from "./mls";
import { asArray, hasType, isObject, typesOf, type JsonObject } from "./values";

// Which incoming Creates carry an MLS envelope for the owner, as plain values
// for lib/domain/mls-incoming.ts. Shared by the fast inbox
// (lib/federation/inbound/apply.ts) and Fedify's listener
// (lib/federation/inbound/inbox-listeners.ts), so both keep the same envelopes.

export type IncomingEnvelope = {
  objectId: string;
  kind: MlsMessageKind;
  authorId: string;
  /** Everyone in the conversation except the owner (the author included). */
  participants: string[];
  /** The MLSMessage as received: canonical base64 (readMlsEnvelope checked it). */
  content: string;
  published: Date;
};

const MLS_TYPE = new RegExp(`^(mls:|${MLS_CONTEXT.replace(/[.]/g, "\\.")}#)?(${MLS_KINDS.join("|")})$`);

/** A Create whose embedded object is typed as an MLS envelope: never a DM, whatever else it holds. */
export function carriesMls(activity: unknown): boolean {
  if (!isObject(activity) || !hasType(activity, "Create")) return false;
  return asArray(activity.object).some((o) => isObject(o) && typesOf(o).some((t) => MLS_TYPE.test(t)));
}

/** How far in the future a `published` may be before it counts as "now", as for DMs. */
const FUTURE_SLACK_MS = 5 * 60_000;

/**
 * The envelope a Create carries for the owner `me`, or null when it is none:
 * a well-formed Welcome, PrivateMessage, PublicMessage or GroupInfo, written
 * by the sender (attributedTo = actor, its id on the sender's host), addressed
 * only to named actors (never Public or a followers collection, the sender's
 * own included) and to the owner among them.
 */
export function incomingEnvelopeOf(input: {
  activity: JsonObject;
  sender: { id: string; followersUrl: string | null };
  me: string;
  now?: Date;
}): IncomingEnvelope | null {
  const { activity, sender, me } = input;
  const read = readMlsEnvelope(activity, { followersCollections: sender.followersUrl ? [sender.followersUrl] : [] });
  if (!read.ok || !read.activity || read.kind === "KeyPackage") return null;
  if (read.activity.actor !== sender.id || read.attributedTo !== sender.id) return null;
  if (new URL(read.id).host !== new URL(sender.id).host) return null;
  const object = asArray(activity.object)[0] as JsonObject;
  if (!audienceIncludes(activity, object, me)) return null;
  const now = input.now ?? new Date();
  const claimed = read.published && !Number.isNaN(Date.parse(read.published)) ? new Date(read.published) : now;
  return {
    objectId: read.id,
    kind: read.kind as Exclude<MlsKind, "KeyPackage">,
    authorId: sender.id,
    participants: participantsOf(object, activity).filter((p) => p !== me),
    content: object.content as string,
    published: claimed.getTime() > now.getTime() + FUTURE_SLACK_MS ? now : claimed,
  };
}
