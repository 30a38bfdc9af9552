import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { contextsKnown, directMessageOf, editOf, knownContext, readIncoming } from "@/lib/activitypub/incoming";
import { PUBLIC } from "@/lib/activitypub/addressing";
import { loadFixture } from "./load-fixture";

const DAVE = "https://ours.example/users/dave";
const AS = "https://www.w3.org/ns/activitystreams";
const FIXTURES = readdirSync(fileURLToPath(new URL("../../fixtures/activitypub/", import.meta.url))).filter((f) => f.endsWith(".json"));

describe("knownContext", () => {
  it.each(FIXTURES)("knows every context of %s (Mastodon, Misskey, GoToSocial, Pleroma shapes)", (name) => {
    expect(contextsKnown(loadFixture(name))).toBe(true);
  });

  it("knows snac's plain ActivityStreams context, security and data-integrity contexts, and litepub on any host", () => {
    expect(knownContext(AS)).toBe(true);
    expect(knownContext([AS, "https://w3id.org/security/v1", "https://w3id.org/security/data-integrity/v1", "https://w3id.org/security/multikey/v1"])).toBe(true);
    expect(knownContext([AS, "https://akkoma.example.net/schemas/litepub-0.1.jsonld", { "@language": "en" }])).toBe(true);
    expect(knownContext(["https://gotosocial.org/ns", AS, { sensitive: "as:sensitive" }])).toBe(true);
  });

  it("does not know a context document it has not read", () => {
    expect(knownContext([AS, "https://example.com/ns"])).toBe(false);
    expect(knownContext([AS, "https://example.com/schemas/litepub-0.2.jsonld"])).toBe(false);
    expect(knownContext([AS, "https://example.com/schemas/litepub-0.1.jsonld/../x"])).toBe(false);
    expect(knownContext([])).toBe(false);
    expect(knownContext(undefined)).toBe(false);
    expect(knownContext(42)).toBe(false);
  });

  it("refuses inline maps that rename a term it reads, or reach outside the known vocabularies", () => {
    expect(knownContext([AS, { to: "as:bcc" }])).toBe(false);
    expect(knownContext([AS, { attributedTo: "as:actor" }])).toBe(false);
    expect(knownContext([AS, { Note: "toot:Note" }])).toBe(false);
    expect(knownContext([AS, { id: "as:url" }])).toBe(false);
    expect(knownContext([AS, { conversation: "as:context" }])).toBe(false);
    expect(knownContext([AS, { content: { "@id": "as:content", "@container": "@language" } }])).toBe(false);
    expect(knownContext([AS, { as: "https://evil.example/ns#", foo: "as:foo" }])).toBe(false);
    expect(knownContext([AS, { foo: "https://evil.example/ns#foo" }])).toBe(false);
    expect(knownContext([AS, { "@vocab": "https://evil.example/ns#" }])).toBe(false);
    expect(knownContext([AS, { "@base": "https://evil.example/" }])).toBe(false);
    expect(knownContext([AS, { scoped: { "@id": "toot:scoped", "@context": { to: "as:bcc" } } }])).toBe(false);
    expect(knownContext([AS, { p: "https://evil.example/ns#", foo: "p:foo" }])).toBe(false);
  });

  it("accepts the usual meaning of a term it reads, and prefixes defined in any order", () => {
    expect(knownContext([AS, { sensitive: "as:sensitive", conversation: "ostatus:conversation", ostatus: "http://ostatus.org#" }])).toBe(true);
    expect(knownContext([AS, { conversation: { "@id": "ostatus:conversation", "@type": "@id" }, ostatus: "http://ostatus.org#" }])).toBe(true);
    expect(knownContext([AS, { focalPoint: { "@container": "@list", "@id": "toot:focalPoint" }, toot: "http://joinmastodon.org/ns#" }])).toBe(true);
  });

  it("checks a context embedded deeper in the activity too", () => {
    const create = loadFixture("mastodon-dm-create.json");
    create.object["@context"] = [AS, { to: "as:bcc" }];
    expect(contextsKnown(create)).toBe(false);
    create.object["@context"] = AS;
    expect(contextsKnown(create)).toBe(true);
    const { "@context": _, ...bare } = loadFixture("mastodon-dm-create.json");
    expect(contextsKnown(bare)).toBe(false);
  });
});

describe("readIncoming", () => {
  it("reads a Create of an embedded Note", () => {
    const create = loadFixture("mastodon-dm-create.json");
    expect(readIncoming(create)).toMatchObject({ kind: "create", actorId: create.actor, objectId: create.object.id });
  });

  it("reads an Update of a Note, a Delete of a Tombstone and a Delete of the actor itself", () => {
    const update = loadFixture("mastodon-update-note.json");
    expect(readIncoming(update)).toMatchObject({ kind: "update", actorId: update.actor, objectId: update.object.id });
    const del = loadFixture("mastodon-delete-note.json");
    expect(readIncoming(del)).toEqual({ kind: "delete", actorId: del.actor, objectId: del.object.id });
    const gone = loadFixture("mastodon-delete-person.json");
    expect(readIncoming(gone)).toEqual({ kind: "delete", actorId: gone.actor, objectId: gone.actor });
  });

  it("leaves other types and unusual shapes to Fedify", () => {
    expect(readIncoming(loadFixture("mastodon-follow.json")).kind).toBe("unhandled");
    expect(readIncoming(loadFixture("mastodon-update-person.json")).kind).toBe("unhandled");
    expect(readIncoming(loadFixture("pleroma-chatmessage-create.json")).kind).toBe("unhandled");
    const byReference = loadFixture("mastodon-dm-create.json");
    byReference.object = byReference.object.id;
    expect(readIncoming(byReference).kind).toBe("unhandled");
    const twoActors = loadFixture("mastodon-dm-create.json");
    twoActors.actor = [twoActors.actor, "https://mastodon.example/users/other"];
    expect(readIncoming(twoActors).kind).toBe("unhandled");
    const oddUrl = loadFixture("mastodon-dm-create.json");
    oddUrl.actor = "HTTPS://Mastodon.Example/ap/users/115521409425946651";
    expect(readIncoming(oddUrl).kind).toBe("unhandled");
    const badDate = loadFixture("mastodon-dm-create.json");
    badDate.object.published = "yesterday-ish";
    expect(readIncoming(badDate).kind).toBe("unhandled");
    expect(readIncoming({ ...loadFixture("mastodon-delete-note.json"), object: { type: "Tombstone" } }).kind).toBe("unhandled");
  });
});

describe("directMessageOf", () => {
  function dm(name: string, edit?: (a: Record<string, any>) => void, followersUrl: string | null = null) {
    const activity = loadFixture(name);
    edit?.(activity);
    return directMessageOf({ activity, object: activity.object, objectId: activity.object.id, sender: { id: activity.actor, followersUrl }, me: DAVE, now: new Date("2025-11-21T00:00:00Z") });
  }

  it("reads a Mastodon DM into plain values", () => {
    const values = dm("mastodon-dm-create.json")!;
    expect(values).toMatchObject({
      authorId: "https://mastodon.example/ap/users/115521409425946651",
      participants: ["https://mastodon.example/ap/users/115521409425946651"],
      refs: [{ kind: "context", id: "https://mastodon.example/contexts/115521409425946651-115581234567890123" }],
      inReplyTo: null,
      summary: null,
      attachments: [],
      published: new Date("2025-11-20T10:15:30Z"),
    });
    expect(values.text).toContain("are we still on for Friday?");
    expect(values.html).not.toContain("<script");
  });

  it("reads GoToSocial, Misskey and Pleroma DMs", () => {
    for (const name of ["gts-dm-create.json", "misskey-dm-create.json", "pleroma-dm-create.json"]) {
      const activity = loadFixture(name);
      const me = [...[activity.object.to].flat(), ...[activity.object.cc ?? []].flat()].find((id: string) => id !== activity.actor);
      const values = directMessageOf({ activity, object: activity.object, objectId: activity.object.id, sender: { id: activity.actor, followersUrl: null }, me });
      expect(values, name).not.toBeNull();
      expect(values!.text.length, name).toBeGreaterThan(0);
    }
  });

  it("is null for posts that are not private DMs for the owner", () => {
    expect(dm("mastodon-public-create.json")).toBeNull();
    expect(dm("mastodon-unlisted-create.json")).toBeNull();
    expect(dm("mastodon-followers-create.json")).toBeNull();
    expect(dm("mastodon-dm-create.json", (a) => (a.cc = [PUBLIC]))).toBeNull();
    expect(dm("mastodon-dm-create.json", (a) => (a.object.to = a.to = ["https://ours.example/users/someone-else"]) && (a.object.tag = []))).toBeNull();
    expect(dm("mastodon-dm-create.json", (a) => (a.object.cc = ["https://mastodon.example/ap/users/115521409425946651/fans"]), "https://mastodon.example/ap/users/115521409425946651/fans")).toBeNull();
  });

  it("is null when the Note is not the sender's own", () => {
    expect(dm("mastodon-dm-create.json", (a) => (a.object.attributedTo = "https://mastodon.example/users/mallory"))).toBeNull();
    expect(dm("mastodon-dm-create.json", (a) => (a.object.id = "https://elsewhere.example/statuses/1"))).toBeNull();
  });

  it("takes a published time far in the future as now", () => {
    expect(dm("mastodon-dm-create.json", (a) => (a.object.published = "2030-01-01T00:00:00Z"))!.published).toEqual(new Date("2025-11-21T00:00:00Z"));
  });
});

describe("editOf", () => {
  it("reads the new content and when it changed; nothing without a readable `updated`", () => {
    const update = loadFixture("mastodon-update-note.json");
    expect(editOf(update.object)).toMatchObject({ updated: new Date(update.object.updated) });
    expect(editOf({ ...update.object, updated: undefined })).toBeNull();
    expect(editOf({ ...update.object, updated: "soon" })).toBeNull();
  });
});
