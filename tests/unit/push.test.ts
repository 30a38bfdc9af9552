import { describe, expect, it } from "vitest";
import { oneLine, pushPayload, pushTopic, pushUrgency, senderName, whyNotPushed, type PushFacts, type Subscriber } from "../../lib/domain/push-payload";
import { openToken, sealToken } from "../../lib/domain/push-token";
import { vapidSubject } from "../../lib/domain/vapid";
import { classifyPushError, classifyPushResponse, pushRetryAt, pushRetryDelayMs } from "../../lib/federation/outbound/push-response";

// Who is told what, and what a push says: the pure rules behind
// lib/domain/push-notify.ts and lib/federation/outbound/push-delivery.ts.

const now = new Date("2026-12-02T12:00:00Z");
const OWNER = "https://me.example/users/alice";

function facts(over: Partial<PushFacts> = {}, sender: Partial<PushFacts["sender"]> = {}): PushFacts {
  return {
    notificationId: 42,
    type: "mention",
    sender: {
      actorId: "https://social.example/users/bob",
      name: "Bob",
      handle: "@bob@social.example",
      icon: "https://me.example/media/proxy?url=x&sig=y",
      followedByOwner: false,
      followsOwner: false,
      blocked: false,
      ...sender,
    },
    ownerActor: OWNER,
    message: { text: "Hello Alice, lunch tomorrow?", summary: null, direction: "in", deleted: false },
    conversation: { id: "conv1", isRequest: false },
    createdAt: new Date(now.getTime() - 1000),
    ...over,
  };
}

function sub(over: Partial<Subscriber> = {}): Subscriber {
  return {
    alerts: { mention: true, follow: true, follow_request: true },
    policy: "all",
    browser: false,
    accessToken: "tok",
    createdAt: new Date(now.getTime() - 60_000),
    ...over,
  };
}

describe("whyNotPushed", () => {
  it("lets a DM through to a subscription that wants mentions", () => {
    expect(whyNotPushed(facts(), sub(), now)).toBeNull();
  });

  it("follows the alerts: each type needs its key set to true", () => {
    expect(whyNotPushed(facts(), sub({ alerts: { follow: true } }), now)).toMatch(/mention alerts are off/);
    expect(whyNotPushed(facts(), sub({ alerts: {} }), now)).not.toBeNull();
    expect(whyNotPushed(facts({ type: "follow", message: null, conversation: null }), sub({ alerts: { mention: true } }), now)).toMatch(/follow alerts/);
    expect(whyNotPushed(facts({ type: "follow_request", message: null, conversation: null }), sub({ alerts: { follow: true } }), now)).toMatch(/follow_request/);
    expect(whyNotPushed(facts({ type: "follow", message: null, conversation: null }), sub(), now)).toBeNull();
  });

  it("message requests: decided by `request` when the subscription has it, else by `mention`", () => {
    const request = facts({ conversation: { id: "c", isRequest: true } });
    // An app's subscription (no `request`): requests come with mentions.
    expect(whyNotPushed(request, sub(), now)).toBeNull();
    expect(whyNotPushed(request, sub({ alerts: { mention: false } }), now)).toMatch(/mention/);
    // The web UI's separate choices.
    expect(whyNotPushed(request, sub({ alerts: { mention: true, request: true } }), now)).toBeNull();
    expect(whyNotPushed(request, sub({ alerts: { mention: true, request: false } }), now)).toMatch(/request/);
    expect(whyNotPushed(request, sub({ alerts: { mention: false, request: true } }), now)).toBeNull();
    // an ordinary conversation ignores `request`
    expect(whyNotPushed(facts(), sub({ alerts: { mention: true, request: false } }), now)).toBeNull();
    expect(whyNotPushed(facts(), sub({ alerts: { mention: false, request: true } }), now)).toMatch(/mention/);
  });

  it("policy: all, followed (the owner follows them), follower (they follow the owner), none", () => {
    expect(whyNotPushed(facts(), sub({ policy: "followed" }), now)).toMatch(/policy/);
    expect(whyNotPushed(facts({}, { followedByOwner: true }), sub({ policy: "followed" }), now)).toBeNull();
    expect(whyNotPushed(facts({}, { followedByOwner: true }), sub({ policy: "follower" }), now)).toMatch(/policy/);
    expect(whyNotPushed(facts({}, { followsOwner: true }), sub({ policy: "follower" }), now)).toBeNull();
    expect(whyNotPushed(facts({}, { followsOwner: true, followedByOwner: true }), sub({ policy: "none" }), now)).toMatch(/none/);
    expect(whyNotPushed(facts(), sub({ policy: "bogus" }), now)).not.toBeNull();
  });

  it("never for the owner's own doing, a blocked sender, a deleted or outgoing DM, other types", () => {
    expect(whyNotPushed(facts({}, { actorId: OWNER }), sub(), now)).toMatch(/own/);
    expect(whyNotPushed(facts({}, { blocked: true }), sub(), now)).toMatch(/blocked/);
    expect(whyNotPushed(facts({ message: { text: "x", summary: null, direction: "in", deleted: true } }), sub(), now)).not.toBeNull();
    expect(whyNotPushed(facts({ message: { text: "x", summary: null, direction: "out", deleted: false } }), sub(), now)).not.toBeNull();
    expect(whyNotPushed(facts({ message: null }), sub(), now)).not.toBeNull();
    expect(whyNotPushed(facts({ type: "favourite" }), sub({ alerts: { favourite: true } }), now)).not.toBeNull();
  });

  it("nothing stale, nothing from before the subscription", () => {
    expect(whyNotPushed(facts({ createdAt: new Date(now.getTime() - 49 * 3600_000) }), sub({ createdAt: new Date(0) }), now)).toMatch(/old/);
    expect(whyNotPushed(facts({ createdAt: new Date(now.getTime() - 120_000) }), sub(), now)).toMatch(/subscription/);
  });
});

describe("pushPayload", () => {
  it("is Mastodon's payload: integer id, type, title, body, icon, token, locale; no text unless asked", () => {
    const p = pushPayload(facts(), sub(), { showText: false, defaultIcon: "https://me.example/apple-icon.png" });
    expect(p).toEqual({
      access_token: "tok",
      preferred_locale: "en",
      notification_id: 42,
      notification_type: "mention",
      icon: "https://me.example/media/proxy?url=x&sig=y",
      title: "New message from Bob",
      body: "Open Moiety to read it.",
    });
    expect(JSON.stringify(p)).not.toContain("lunch");
    expect(typeof JSON.parse(JSON.stringify(p)).notification_id).toBe("number");
  });

  it("carries the text (or the content warning instead) when the owner says so, cut at 140 characters", () => {
    expect(pushPayload(facts(), sub(), { showText: true, defaultIcon: "i" }).body).toBe("Hello Alice, lunch tomorrow?");
    const cw = facts({ message: { text: "secret", summary: "spoilers", direction: "in", deleted: false } });
    expect(pushPayload(cw, sub(), { showText: true, defaultIcon: "i" }).body).toBe("spoilers");
    const long = facts({ message: { text: "word ".repeat(100), summary: null, direction: "in", deleted: false } });
    const body = pushPayload(long, sub(), { showText: true, defaultIcon: "i" }).body;
    expect([...body].length).toBeLessThanOrEqual(140);
    expect(body.endsWith("…")).toBe(true);
  });

  it("names requests, follows and follow requests; falls back to the handle and a default icon", () => {
    expect(pushPayload(facts({ conversation: { id: "c", isRequest: true } }), sub(), { showText: false, defaultIcon: "i" }).title).toBe("Message request from Bob");
    const follow = pushPayload(facts({ type: "follow", message: null, conversation: null }, { name: null, icon: null }), sub(), { showText: false, defaultIcon: "https://me.example/apple-icon.png" });
    expect(follow.title).toBe("bob followed you");
    expect(follow.body).toBe("@bob@social.example");
    expect(follow.icon).toBe("https://me.example/apple-icon.png");
    expect(pushPayload(facts({ type: "follow_request", message: null, conversation: null }), sub(), { showText: false, defaultIcon: "i" }).title).toBe("Bob asked to follow you");
  });

  it("tells a browser where to go; an app gets no url", () => {
    const b = pushPayload(facts(), sub({ browser: true, accessToken: null }), { showText: false, defaultIcon: "i" });
    expect(b.url).toBe("/messages/conv1");
    expect(b.conversation_id).toBe("conv1");
    expect(b.access_token).toBeNull();
    expect(pushPayload(facts({ type: "follow", message: null, conversation: null }), sub({ browser: true }), { showText: false, defaultIcon: "i" }).url).toBe("/people");
    expect(pushPayload(facts(), sub(), { showText: false, defaultIcon: "i" }).url).toBeUndefined();
  });

  it("keeps names and text to one clean line", () => {
    expect(oneLine("a\u0000b\n\nc\u202Ed  ", 10)).toBe("a b c d");
    expect(senderName({ ...facts().sender, name: "  \u0007 ", handle: null, actorId: "https://x.example/users/carol" })).toBe("carol");
    expect(senderName({ ...facts().sender, name: null, handle: null, actorId: "not a url" })).toBe("Someone");
  });
});

describe("topic and urgency", () => {
  it("one Topic per conversation (≤ 32 base64url characters), none for follows; DMs are urgent", () => {
    const a = pushTopic(facts())!;
    expect(a).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(pushTopic(facts({ notificationId: 43 }))).toBe(a);
    expect(pushTopic(facts({ conversation: { id: "other", isRequest: false } }))).not.toBe(a);
    expect(pushTopic(facts({ type: "follow", conversation: null, message: null }))).toBeUndefined();
    expect(pushUrgency("mention")).toBe("high");
    expect(pushUrgency("follow")).toBe("normal");
  });
});

describe("push service answers", () => {
  it("2xx delivered; 404/410 gone; 429/5xx retried, honouring Retry-After; other 4xx dropped", () => {
    expect(classifyPushResponse(201, null, now).kind).toBe("delivered");
    expect(classifyPushResponse(410, null, now).kind).toBe("gone");
    expect(classifyPushResponse(404, null, now).kind).toBe("gone");
    expect(classifyPushResponse(400, null, now).kind).toBe("drop");
    expect(classifyPushResponse(413, null, now).kind).toBe("drop");
    expect(classifyPushResponse(403, null, now).kind).toBe("drop");
    const limited = classifyPushResponse(429, "1", now);
    expect(limited).toMatchObject({ kind: "retry", notBefore: new Date(now.getTime() + 1000) });
    expect(classifyPushResponse(503, "Wed, 02 Dec 2026 12:05:00 GMT", now)).toMatchObject({ kind: "retry", notBefore: new Date("2026-12-02T12:05:00Z") });
    const plain = classifyPushResponse(500, null, now);
    expect(plain.kind).toBe("retry");
    if (plain.kind === "retry") {
      expect(plain.notBefore).toBeUndefined();
      expect(pushRetryAt(plain, 1, now, () => 0).getTime()).toBe(now.getTime() + 10_000);
    }
    if (limited.kind === "retry") expect(pushRetryAt(limited, 5, now).getTime()).toBe(now.getTime() + 1000);
    expect(pushRetryDelayMs(30, () => 0)).toBe(3600_000);
    expect(classifyPushError(Object.assign(new Error("no"), { name: "PrivateAddressError" })).kind).toBe("drop");
    expect(classifyPushError(Object.assign(new Error("ECONNREFUSED"), { code: "ECONNREFUSED" })).kind).toBe("retry");
  });
});

describe("the app's token in the subscription", () => {
  it("opens only with the same secret and the same token row", () => {
    const sealed = sealToken("the-token", 7, "secret one that is long enough");
    expect(sealed).not.toContain("the-token");
    expect(openToken(sealed, 7, "secret one that is long enough")).toBe("the-token");
    expect(openToken(sealed, 8, "secret one that is long enough")).toBeNull();
    expect(openToken(sealed, 7, "another secret")).toBeNull();
    expect(openToken(sealed.slice(0, -2) + "AA", 7, "secret one that is long enough")).toBeNull();
    expect(openToken("garbage", 7, "secret one that is long enough")).toBeNull();
    expect(sealToken("the-token", 7, "s")).not.toBe(sealToken("the-token", 7, "s"));
  });
});

describe("VAPID subject", () => {
  it("is the https origin, or a mailto: for an http one (web-push accepts only those)", () => {
    expect(vapidSubject("https://me.example")).toBe("https://me.example");
    expect(vapidSubject("http://127.0.0.1:3000")).toBe("mailto:push@127.0.0.1");
    expect(vapidSubject("http://[::1]:3000")).toBe("mailto:push@::1");
  });
});
