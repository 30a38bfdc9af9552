import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  outgoingThreadFields,
  participantKey,
  participantsOf,
  pickConversation,
  threadRefs,
  type ThreadRef,
} from "@/lib/activitypub/conversation";
import { PUBLIC } from "@/lib/activitypub/addressing";
import { loadFixture } from "./load-fixture";

const DAVE = "https://ours.example/users/dave";

describe("threadRefs", () => {
  it("Mastodon 4.5: context and conversation carry one value, listed once", () => {
    const { object } = loadFixture("mastodon-dm-create.json");
    expect(threadRefs(object)).toEqual([
      { kind: "context", id: "https://mastodon.example/contexts/115521409425946651-115581234567890123" },
    ]);
  });

  it("Mastodon 4.3/4.4: only a tag: conversation, then inReplyTo", () => {
    const { object } = loadFixture("mastodon-4.3-dm-reply-with-media.json");
    expect(threadRefs(object)).toEqual([
      { kind: "conversation", id: "tag:mastodon43.example,2025-11-21:objectId=4242:objectType=Conversation" },
      { kind: "inReplyTo", id: "https://ours.example/notes/01JDAB0000000000000000000" },
    ]);
  });

  it("Pleroma: context = conversation", () => {
    const { object } = loadFixture("pleroma-dm-create.json");
    expect(threadRefs(object)).toEqual([
      { kind: "context", id: "https://pleroma.example/contexts/77d1e0aa-1b2c-4d3e-8f90-a1b2c3d4e5f6" },
    ]);
  });

  it("GoToSocial: neither, so only inReplyTo", () => {
    expect(threadRefs(loadFixture("gts-reply-scalar-to.json").object)).toEqual([
      { kind: "inReplyTo", id: "https://ours.example/notes/01JDAB0000000000000000001" },
    ]);
    expect(threadRefs(loadFixture("gts-dm-create.json").object)).toEqual([]);
  });

  it("keeps context before conversation when they differ, and reads embedded objects", () => {
    expect(
      threadRefs({
        context: { id: "https://a.example/ctx/1", type: "Collection" },
        conversation: "tag:a.example,2025:objectId=1:objectType=Conversation",
        inReplyTo: { id: "https://a.example/notes/9", type: "Note" },
      }),
    ).toEqual([
      { kind: "context", id: "https://a.example/ctx/1" },
      { kind: "conversation", id: "tag:a.example,2025:objectId=1:objectType=Conversation" },
      { kind: "inReplyTo", id: "https://a.example/notes/9" },
    ]);
  });

  it("answers nothing for a non-object", () => {
    expect(threadRefs(null)).toEqual([]);
    expect(threadRefs("https://a.example/notes/1")).toEqual([]);
  });
});

describe("pickConversation", () => {
  // A tiny in-memory stand-in for the domain layer's lookups.
  const conversations = [
    { id: "c1", key: participantKey([DAVE, "https://a.example/users/alice"]), contexts: ["ctx-1"], messages: ["m-1"] },
    { id: "c2", key: participantKey([DAVE, "https://a.example/users/alice", "https://b.example/users/bob"]), contexts: ["ctx-1"], messages: ["m-2"] },
  ];
  const lookup = (ref: ThreadRef, key: string) =>
    conversations.find(
      (c) => c.key === key && (ref.kind === "inReplyTo" ? c.messages.includes(ref.id) : c.contexts.includes(ref.id)),
    )?.id;

  it("prefers the context, and splits the same context by participant set", () => {
    const refs: ThreadRef[] = [{ kind: "context", id: "ctx-1" }, { kind: "inReplyTo", id: "m-2" }];
    expect(pickConversation(refs, conversations[0].key, lookup)).toBe("c1");
    expect(pickConversation(refs, conversations[1].key, lookup)).toBe("c2");
  });

  it("falls back to the inReplyTo chain", () => {
    expect(pickConversation([{ kind: "inReplyTo", id: "m-1" }], conversations[0].key, lookup)).toBe("c1");
  });

  it("finds nothing for new participants or unknown refs", () => {
    const strangers = participantKey([DAVE, "https://z.example/users/zed"]);
    expect(pickConversation([{ kind: "context", id: "ctx-1" }], strangers, lookup)).toBeUndefined();
    expect(pickConversation([{ kind: "context", id: "ctx-9" }], conversations[0].key, lookup)).toBeUndefined();
    expect(pickConversation([], conversations[0].key, lookup)).toBeUndefined();
  });
});

describe("participantKey", () => {
  it("is sorted, deduplicated and normalised", () => {
    expect(participantKey(["https://b.example/users/b", "https://A.example:443/users/a", "https://b.example/users/b"])).toBe(
      "https://a.example/users/a https://b.example/users/b",
    );
  });

  it("keeps path case (user names are case-sensitive on some servers)", () => {
    expect(participantKey(["https://a.example/users/Bob"])).not.toBe(participantKey(["https://a.example/users/bob"]));
  });

  it("is the empty string for nobody", () => {
    expect(participantKey([])).toBe("");
  });

  const actor = fc.webUrl({ withFragments: false });

  it("does not depend on order or duplicates", () => {
    fc.assert(
      fc.property(
        fc.array(actor, { maxLength: 8 }).chain((ids) =>
          fc.tuple(fc.constant(ids), fc.shuffledSubarray([...ids, ...ids.slice(0, 2)], { minLength: ids.length + Math.min(2, ids.length) })),
        ),
        ([ids, shuffledWithDuplicates]) => {
          expect(participantKey(shuffledWithDuplicates)).toBe(participantKey(ids));
        },
      ),
    );
  });

  it("differs for different sets", () => {
    fc.assert(
      fc.property(fc.uniqueArray(actor, { minLength: 2, maxLength: 6, selector: (u) => new URL(u).href }), (ids) => {
        expect(participantKey(ids.slice(1))).not.toBe(participantKey(ids));
      }),
    );
  });
});

describe("participantsOf", () => {
  it("is the sender and everyone addressed", () => {
    const activity = loadFixture("mastodon-4.3-dm-reply-with-media.json");
    expect(participantsOf(activity.object, activity)).toEqual([
      "https://mastodon43.example/users/alice",
      DAVE,
      "https://gts.example/users/carol",
    ]);
  });

  it("reads GoToSocial's scalar addressing and adds the owner once", () => {
    const activity = loadFixture("gts-reply-scalar-to.json");
    expect(participantsOf(activity.object, activity, DAVE)).toEqual(["https://gts.example/users/carol", DAVE]);
  });

  it("adds the owner when only a shared inbox brought the message", () => {
    expect(participantsOf({ attributedTo: "https://a.example/u/a", to: ["https://b.example/u/b"] }, undefined, DAVE)).toEqual([
      "https://a.example/u/a",
      "https://b.example/u/b",
      DAVE,
    ]);
  });

  it("never counts Public or followers collections as people", () => {
    const activity = loadFixture("mastodon-followers-create.json");
    expect(participantsOf(activity.object, activity)).toEqual(["https://mastodon.example/ap/users/115521409425946651", DAVE]);
    expect(participantsOf({ attributedTo: "https://a.example/u/a", to: [PUBLIC, "as:Public"] })).toEqual(["https://a.example/u/a"]);
  });

  it("takes the actor when the object has no attributedTo", () => {
    expect(participantsOf({ to: DAVE }, { actor: "https://a.example/u/a" })).toEqual(["https://a.example/u/a", DAVE]);
  });
});

describe("outgoingThreadFields", () => {
  it("echoes Mastodon 4.5's shared context/conversation", () => {
    const { object } = loadFixture("mastodon-dm-create.json");
    expect(outgoingThreadFields(object, "https://ours.example/contexts/1")).toEqual({
      context: object.context,
      conversation: object.conversation,
      inReplyTo: object.id,
    });
  });

  it("echoes Mastodon 4.3's tag: conversation in both fields", () => {
    const { object } = loadFixture("mastodon-4.3-dm-reply-with-media.json");
    expect(outgoingThreadFields(object, "https://ours.example/contexts/1")).toEqual({
      context: object.conversation,
      conversation: object.conversation,
      inReplyTo: object.id,
    });
  });

  it("uses our thread id when the parent has none (GoToSocial) or for a first message", () => {
    const { object } = loadFixture("gts-dm-create.json");
    expect(outgoingThreadFields(object, "https://ours.example/contexts/7")).toEqual({
      context: "https://ours.example/contexts/7",
      conversation: "https://ours.example/contexts/7",
      inReplyTo: object.id,
    });
    expect(outgoingThreadFields(undefined, "https://ours.example/contexts/8")).toEqual({
      context: "https://ours.example/contexts/8",
      conversation: "https://ours.example/contexts/8",
    });
  });
});
