import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  AddressingError,
  PUBLIC,
  assertNeverWidens,
  audienceOf,
  buildDmAddressing,
  classifyVisibility,
  isDirectMessage,
  isPublicAddress,
  looksLikeFollowersCollection,
} from "@/lib/activitypub/addressing";
import { loadFixture } from "./load-fixture";

const DAVE = "https://ours.example/users/dave";
const ALICE = "https://mastodon.example/users/alice";
const CAROL = "https://gts.example/users/carol";

const DM_FIXTURES = [
  "mastodon-dm-create.json",
  "mastodon-4.3-dm-reply-with-media.json",
  "gts-dm-create.json",
  "gts-reply-scalar-to.json",
  "misskey-dm-create.json",
  "pleroma-dm-create.json",
  "pleroma-chatmessage-create.json",
];
const NOT_DM_FIXTURES = [
  "mastodon-public-create.json",
  "mastodon-unlisted-create.json",
  "mastodon-followers-create.json",
  "misskey-followers-create.json",
  "mastodon-delete-note.json",
];

describe("Public and followers recognition", () => {
  it("PUBLIC is the ActivityStreams public collection", () => {
    expect(PUBLIC).toBe("https://www.w3.org/ns/activitystreams#Public");
  });

  it("accepts the compacted forms of Public", () => {
    expect(isPublicAddress(PUBLIC)).toBe(true);
    expect(isPublicAddress("as:Public")).toBe(true);
    expect(isPublicAddress("Public")).toBe(true);
    expect(isPublicAddress("http://www.w3.org/ns/activitystreams#Public")).toBe(true);
    expect(isPublicAddress(ALICE)).toBe(false);
  });

  it("recognises the followers collections of the servers we talk to", () => {
    for (const id of [
      "https://mastodon.example/users/alice/followers",
      "https://mastodon.example/ap/users/115521409425946651/followers",
      "https://gts.example/users/carol/followers",
      "https://misskey.example/users/9x8y7z6w5v/followers",
      "https://snac.example/erin/followers/",
    ]) {
      expect(looksLikeFollowersCollection(id), id).toBe(true);
    }
    expect(looksLikeFollowersCollection(ALICE)).toBe(false);
    expect(looksLikeFollowersCollection("https://x.example/users/followers-fan")).toBe(false);
    expect(looksLikeFollowersCollection("not a url /followers")).toBe(false);
  });
});

describe("audienceOf", () => {
  it("takes each property from the object, else from the activity", () => {
    const activity = { to: ["https://a.example/1"], cc: ["https://a.example/2"], object: {} };
    expect(audienceOf({ to: "https://b.example/1" }, activity)).toEqual({
      to: ["https://b.example/1"],
      cc: ["https://a.example/2"],
    });
  });

  it("treats an explicit empty array on the object as the object's answer", () => {
    expect(audienceOf({ to: [DAVE], cc: [] }, { to: [DAVE], cc: [PUBLIC] })).toEqual({ to: [DAVE], cc: [] });
  });

  it("reads GoToSocial's scalar addressing", () => {
    const gts = loadFixture("gts-dm-create.json");
    expect(audienceOf(gts.object, gts)).toEqual({ to: ["https://mastodon.example/users/alice"], cc: [] });
  });
});

describe("classifyVisibility (Mastodon's rule)", () => {
  it.each([
    ["mastodon-public-create.json", "public"],
    ["mastodon-unlisted-create.json", "unlisted"],
    ["mastodon-followers-create.json", "followers"],
    ["misskey-followers-create.json", "followers"],
    ["mastodon-dm-create.json", "direct"],
    ["gts-dm-create.json", "direct"],
    ["gts-reply-scalar-to.json", "direct"],
    ["misskey-dm-create.json", "direct"],
    ["pleroma-chatmessage-create.json", "direct"],
  ] as const)("%s → %s", (file, expected) => {
    const activity = loadFixture(file);
    expect(classifyVisibility(activity.object, activity)).toBe(expected);
  });

  it("Misskey 'home' (followers in to, Public in cc) is unlisted", () => {
    const note = { to: ["https://misskey.example/users/abc/followers"], cc: [PUBLIC, DAVE] };
    expect(classifyVisibility(note)).toBe("unlisted");
  });

  it("uses the activity's addressing when the object has none", () => {
    expect(classifyVisibility({ type: "Note" }, { type: "Create", to: [PUBLIC] })).toBe("public");
    expect(classifyVisibility({ type: "Note" }, { type: "Create", to: DAVE })).toBe("direct");
  });

  it("accepts compacted as:Public", () => {
    expect(classifyVisibility({ to: ["as:Public"] })).toBe("public");
    expect(classifyVisibility({ to: [DAVE], cc: "Public" })).toBe("unlisted");
  });

  it("knows followers collections that do not end in /followers when told", () => {
    const note = { to: ["https://odd.example/u/alice/fans"], cc: [DAVE] };
    expect(classifyVisibility(note)).toBe("direct");
    expect(classifyVisibility(note, undefined, { followersCollections: ["https://odd.example/u/alice/fans"] })).toBe(
      "followers",
    );
  });

  it("counts a followers collection in cc as followers, not direct (stricter than Mastodon)", () => {
    expect(classifyVisibility({ to: [DAVE], cc: ["https://mastodon.example/users/alice/followers"] })).toBe("followers");
  });

  it("is direct for an object with no addressing at all", () => {
    expect(classifyVisibility({ type: "Note" })).toBe("direct");
  });
});

describe("isDirectMessage", () => {
  it.each(DM_FIXTURES)("%s is a DM", (file) => {
    expect(isDirectMessage(loadFixture(file))).toBe(true);
  });

  it.each(NOT_DM_FIXTURES)("%s is not a DM", (file) => {
    expect(isDirectMessage(loadFixture(file))).toBe(false);
  });

  it("is not a DM when only the activity addresses Public (Pleroma reads the activity)", () => {
    const activity = loadFixture("mastodon-dm-create.json");
    activity.cc = [PUBLIC];
    expect(isDirectMessage(activity)).toBe(false);
  });

  it("is not a DM when only the object addresses a followers collection", () => {
    const activity = loadFixture("misskey-dm-create.json");
    activity.object.cc = ["https://misskey.example/users/9x8y7z6w5v/followers"];
    expect(isDirectMessage(activity)).toBe(false);
  });

  it("honours followersCollections for unusual collection URLs", () => {
    const activity = loadFixture("gts-dm-create.json");
    activity.object.cc = "https://gts.example/collections/carol-fans";
    expect(isDirectMessage(activity)).toBe(true);
    expect(isDirectMessage(activity, { followersCollections: ["https://gts.example/collections/carol-fans"] })).toBe(false);
  });

  it("rejects a ChatMessage addressed to Public", () => {
    const activity = loadFixture("pleroma-chatmessage-create.json");
    activity.object.to = [DAVE, "as:Public"];
    expect(isDirectMessage(activity)).toBe(false);
  });

  it("needs an embedded object: a bare id says nothing about the audience", () => {
    const activity = loadFixture("mastodon-dm-create.json");
    activity.object = activity.object.id;
    expect(isDirectMessage(activity)).toBe(false);
  });

  it("needs at least one addressed actor", () => {
    const activity = loadFixture("mastodon-dm-create.json");
    activity.to = [];
    activity.object.to = [];
    expect(isDirectMessage(activity)).toBe(false);
  });

  it("only considers Create of message-like objects", () => {
    const dm = loadFixture("mastodon-dm-create.json");
    expect(isDirectMessage({ ...dm, type: "Announce" })).toBe(false);
    expect(isDirectMessage({ ...dm, type: "Update" })).toBe(false);
    expect(isDirectMessage({ ...dm, object: { ...dm.object, type: "Person" } })).toBe(false);
    expect(isDirectMessage({ ...dm, object: [dm.object, dm.object] })).toBe(false);
    expect(isDirectMessage(null)).toBe(false);
    expect(isDirectMessage("Create")).toBe(false);
  });

  it("takes the addressing from the activity when the object has none (Pleroma style)", () => {
    const activity = loadFixture("pleroma-dm-create.json");
    delete activity.object.to;
    delete activity.object.cc;
    expect(isDirectMessage(activity)).toBe(true);
  });

  it("rejects Public hidden in bcc", () => {
    const activity = loadFixture("mastodon-dm-create.json");
    activity.object.bcc = [PUBLIC];
    expect(isDirectMessage(activity)).toBe(false);
  });
});

describe("buildDmAddressing", () => {
  it("puts every recipient in to and nothing in cc", () => {
    expect(buildDmAddressing([ALICE, CAROL])).toEqual({ to: [ALICE, CAROL], cc: [] });
  });

  it("deduplicates but keeps the order", () => {
    expect(buildDmAddressing([CAROL, ALICE, CAROL]).to).toEqual([CAROL, ALICE]);
  });

  it.each([PUBLIC, "as:Public", "Public", "http://www.w3.org/ns/activitystreams#Public"])("refuses %s", (id) => {
    expect(() => buildDmAddressing([ALICE, id])).toThrow(AddressingError);
    expect(() => buildDmAddressing([ALICE, id])).toThrow(/public/);
  });

  it("refuses followers collections, known or by their look", () => {
    expect(() => buildDmAddressing(["https://mastodon.example/users/alice/followers"])).toThrow(/followers collection/);
    expect(() =>
      buildDmAddressing(["https://odd.example/fans"], { followersCollections: ["https://odd.example/fans"] }),
    ).toThrow(/followers collection/);
  });

  it("refuses non-URL recipients and an empty audience", () => {
    expect(() => buildDmAddressing(["@alice@mastodon.example"])).toThrow(/actor URL/);
    expect(() => buildDmAddressing([])).toThrow(/at least one recipient/);
  });

  it("accepts loopback test instances", () => {
    expect(buildDmAddressing(["http://127.0.0.1:4001/users/bob"]).to).toEqual(["http://127.0.0.1:4001/users/bob"]);
  });

  const address = fc.oneof(
    fc.webUrl(),
    fc.constantFrom(PUBLIC, "as:Public", "Public"),
    fc.webUrl().map((u) => `${u.replace(/[?#].*$/, "").replace(/\/+$/, "")}/followers`),
    fc.string(),
  );

  it("never produces Public or a followers collection, whatever it is given", () => {
    fc.assert(
      fc.property(fc.array(address, { maxLength: 8 }), (recipients) => {
        let result: { to: string[]; cc: [] };
        try {
          result = buildDmAddressing(recipients);
        } catch (error) {
          expect(error).toBeInstanceOf(AddressingError);
          return;
        }
        expect(result.cc).toEqual([]);
        expect(result.to.length).toBeGreaterThan(0);
        for (const id of result.to) {
          expect(isPublicAddress(id)).toBe(false);
          expect(looksLikeFollowersCollection(id)).toBe(false);
          expect(recipients).toContain(id);
        }
      }),
    );
  });

  it("what it builds is recognised as a DM on the receiving side", () => {
    const actorUrl = fc.webUrl({ withQueryParameters: false, withFragments: false }).filter((u) => !looksLikeFollowersCollection(u));
    fc.assert(
      fc.property(fc.array(actorUrl, { minLength: 1, maxLength: 5 }), (recipients) => {
        const addressing = buildDmAddressing(recipients);
        const note = { type: "Note", attributedTo: DAVE, content: "<p>hi</p>", ...addressing };
        const create = { type: "Create", actor: DAVE, object: note, ...addressing };
        expect(isDirectMessage(create)).toBe(true);
        expect(classifyVisibility(note, create)).toBe("direct");
      }),
    );
  });
});

describe("assertNeverWidens (audience lock)", () => {
  const participants = [DAVE, ALICE, CAROL];

  it("allows replying to everyone or to a subset", () => {
    expect(() => assertNeverWidens(participants, [ALICE, CAROL])).not.toThrow();
    expect(() => assertNeverWidens(participants, [CAROL])).not.toThrow();
  });

  it("refuses a recipient outside the conversation and names them", () => {
    expect(() => assertNeverWidens(participants, [ALICE, "https://evil.example/users/mallory"])).toThrow(
      /https:\/\/evil\.example\/users\/mallory/,
    );
  });

  it("refuses Public and followers collections even if they were recorded as participants", () => {
    expect(() => assertNeverWidens([...participants, PUBLIC], [PUBLIC])).toThrow(AddressingError);
    const followers = "https://mastodon.example/users/alice/followers";
    expect(() => assertNeverWidens([...participants, followers], [followers])).toThrow(AddressingError);
  });

  it("compares actor ids as URLs (host case, default port)", () => {
    expect(() => assertNeverWidens(participants, ["https://MASTODON.example:443/users/alice"])).not.toThrow();
    expect(() => assertNeverWidens(participants, ["https://mastodon.example/users/Alice"])).toThrow(AddressingError);
  });

  it("holds for arbitrary subsets, and always catches one outsider", () => {
    const actorUrl = fc.webUrl({ withQueryParameters: false, withFragments: false }).filter((u) => !looksLikeFollowersCollection(u));
    // Unique as URLs, not as strings: HTTPS://A.example and https://a.example are one person.
    const people = fc.uniqueArray(actorUrl, { minLength: 1, maxLength: 6, selector: (u) => new URL(u).href });
    fc.assert(
      fc.property(people, fc.infiniteStream(fc.boolean()), (all, picks) => {
        const subset = all.filter(() => picks.next().value);
        expect(() => assertNeverWidens(all, subset)).not.toThrow();
        const [outsider, ...inside] = all;
        expect(() => assertNeverWidens(inside, [...subset, outsider])).toThrow(AddressingError);
      }),
    );
  });
});
