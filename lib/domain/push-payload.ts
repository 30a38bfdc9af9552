import { createHash } from "node:crypto";

// What a push says and to whom it goes, as pure functions: the worker
// (lib/federation/outbound/push-delivery.ts) gathers the facts from the database and
// asks here. The payload is Mastodon's (app/serializers/web/notification_serializer.rb
// in mastodon/mastodon): apps
// decode notification_id as an integer and use access_token to fetch the
// notification. Browsers (the owner's own web app) also get where to go.

/** Mastodon's alert keys, each shown in the WebPushSubscription entity. */
export const MASTODON_ALERT_KEYS = ["mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update", "admin.sign_up", "admin.report"] as const;

/**
 * Moiety's own alert: `request` — a DM from a stranger (a conversation that is
 * a message request). When a subscription has it, it alone decides for
 * requests (the web UI's "New messages" and "Message requests" are separate
 * choices); a Mastodon app never sends it, and is told about requests as
 * about any DM, by `mention`.
 */
export const REQUEST_ALERT = "request";

export type NotificationType = "mention" | "follow" | "follow_request";

export type PushFacts = {
  notificationId: number;
  type: string;
  sender: {
    actorId: string;
    name: string | null;
    handle: string | null;
    /** An avatar URL apps can load (the signed media-proxy URL the API gives), or null. */
    icon: string | null;
    /** The owner follows them (accepted). */
    followedByOwner: boolean;
    /** They follow the owner (accepted). */
    followsOwner: boolean;
    blocked: boolean;
  };
  /** The owner's own actor: nothing is pushed for what the owner did. */
  ownerActor: string;
  /** For a mention: the DM. */
  message: { text: string; summary: string | null; direction: string; deleted: boolean } | null;
  conversation: { id: string; isRequest: boolean } | null;
  /** When the notification was made: stale ones are not pushed. */
  createdAt: Date;
};

export type Subscriber = {
  alerts: Record<string, boolean>;
  policy: string;
  /** A browser of the owner's (no API token): its payload says where to go. */
  browser: boolean;
  /** The token the app subscribed with, for Mastodon's `access_token`; null for browsers. */
  accessToken: string | null;
  /** When the subscription was made: nothing from before it is pushed. */
  createdAt: Date;
};

/** Notifications older than this are not pushed (a push service keeps a message at most as long: the TTL). */
export const PUSH_MAX_AGE_MS = 48 * 60 * 60_000;

/**
 * Why this subscription is not told about this notification, or null when it
 * is: what it asked for (alerts, and `request` for message requests), its
 * policy (Mastodon's: followed = only from people the owner follows,
 * follower = only from the owner's followers, none = nothing), never the
 * owner's own doings, a blocked sender, a deleted DM or a stale notification.
 */
export function whyNotPushed(f: PushFacts, s: Subscriber, now: Date): string | null {
  if (f.type !== "mention" && f.type !== "follow" && f.type !== "follow_request") return `no pushes for ${f.type} notifications`;
  if (f.sender.actorId === f.ownerActor) return "the owner's own doing";
  if (f.message && (f.message.direction !== "in" || f.message.deleted)) return "not an incoming message, or deleted";
  if (f.type === "mention" && !f.message) return "the message is gone";
  if (f.sender.blocked) return "the sender is blocked";
  if (now.getTime() - f.createdAt.getTime() > PUSH_MAX_AGE_MS) return "too old";
  if (f.createdAt.getTime() < s.createdAt.getTime() - 1000) return "older than the subscription";
  // A message request follows the `request` choice when the subscription made one (the web UI's
  // "Message requests"), else `mention` like any DM (apps never send `request`).
  const isRequest = f.type === "mention" && f.conversation?.isRequest === true && typeof s.alerts[REQUEST_ALERT] === "boolean";
  if (isRequest && s.alerts[REQUEST_ALERT] !== true) return "message request alerts are off";
  if (!isRequest && s.alerts[f.type] !== true) return `${f.type} alerts are off`;
  switch (s.policy) {
    case "all":
      return null;
    case "followed":
      return f.sender.followedByOwner ? null : "policy: only from people the owner follows";
    case "follower":
      return f.sender.followsOwner ? null : "policy: only from followers";
    case "none":
      return "policy: none";
    default:
      return `unknown policy ${s.policy}`;
  }
}

/** One line without control characters, at most `max` characters (an ellipsis marks a cut). */
export function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, " ").replace(/\s+/g, " ").trim();
  const chars = [...clean];
  return chars.length <= max ? clean : chars.slice(0, max - 1).join("").trimEnd() + "…";
}

/** How the sender is called: their display name, else the user part of their handle, else their URL's last segment. */
export function senderName(sender: PushFacts["sender"]): string {
  const name = oneLine(sender.name ?? "", 60);
  if (name) return name;
  const user = sender.handle?.replace(/^@/, "").split("@")[0];
  if (user) return oneLine(user, 60);
  try {
    const last = new URL(sender.actorId).pathname.split("/").filter(Boolean).pop();
    if (last) return oneLine(decodeURIComponent(last), 60);
  } catch {
    // not a URL: fall through
  }
  return "Someone";
}

/** Mastodon truncates the body at 140 characters. */
export const BODY_MAX = 140;

export type PushPayload = {
  access_token: string | null;
  preferred_locale: string;
  notification_id: number;
  notification_type: string;
  icon: string;
  title: string;
  body: string;
  /** Browsers only: the page a click opens. */
  url?: string;
  /** Browsers only: the conversation it belongs to (mentions). */
  conversation_id?: string;
};

/**
 * The JSON a push carries. The message text is in it only when the owner
 * said so (`showText`, Settings → Notifications); otherwise a push says who
 * wrote and nothing of what: the push service cannot read it anyway (RFC 8291
 * encryption), but a locked phone's screen can.
 */
export function pushPayload(f: PushFacts, s: Subscriber, opts: { showText: boolean; defaultIcon: string }): PushPayload {
  const name = senderName(f.sender);
  let title: string;
  let body: string;
  if (f.type === "mention") {
    title = f.conversation?.isRequest ? `Message request from ${name}` : `New message from ${name}`;
    const summary = f.message?.summary ? oneLine(f.message.summary, BODY_MAX) : "";
    const text = oneLine(f.message?.text ?? "", BODY_MAX);
    // A content warning stands in for the text, as in Mastodon.
    body = opts.showText ? summary || text || "(an attachment)" : "Open Moiety to read it.";
  } else if (f.type === "follow") {
    title = `${name} followed you`;
    body = f.sender.handle ? oneLine(f.sender.handle, BODY_MAX) : "";
  } else {
    title = `${name} asked to follow you`;
    body = f.sender.handle ? oneLine(f.sender.handle, BODY_MAX) : "";
  }
  const payload: PushPayload = {
    access_token: s.accessToken,
    preferred_locale: "en",
    notification_id: f.notificationId,
    notification_type: f.type,
    icon: f.sender.icon ?? opts.defaultIcon,
    title,
    body,
  };
  if (s.browser) {
    if (f.type === "mention" && f.conversation) {
      payload.url = `/messages/${encodeURIComponent(f.conversation.id)}`;
      payload.conversation_id = f.conversation.id;
    } else {
      payload.url = "/people";
    }
  }
  return payload;
}

/** RFC 8030 §5.4: pushes with one Topic replace each other while undelivered; ≤ 32 base64url characters. */
export function pushTopic(f: Pick<PushFacts, "type" | "conversation" | "sender">): string | undefined {
  const key = f.type === "mention" && f.conversation ? `conversation:${f.conversation.id}` : null;
  if (!key) return undefined;
  return createHash("sha256").update(key).digest("base64url").slice(0, 32);
}

/** RFC 8030 §5.3: a DM should wake the device; a new follower can wait. */
export function pushUrgency(type: string): "high" | "normal" {
  return type === "mention" ? "high" : "normal";
}
