import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressingError, assertNeverWidens, isPublicAddress, looksLikeFollowersCollection } from "@/lib/activitypub/addressing";
import { buildDirectMessage, buildDirectMessageDelete, buildDirectMessageUpdate } from "@/lib/activitypub/direct-message";

// The privacy invariant of issue 6, on exactly the JSON an outgoing DM sends:
// whatever recipients it is given, the Create and its Note either carry only
// those people (to = them, cc = [], no bto/bcc/audience, a Mention each) or
// building refuses — never Public, never a followers collection. And a reply
// can never reach anyone outside its conversation.

const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.MOIETY_FUZZ_FACTOR ?? 1)));
const AS = "https://www.w3.org/ns/activitystreams";
const ME = "https://me.example/users/alice";

const host = fc.constantFrom("a.example", "b.example", "mastodon.social", "xn--bcher-kva.example", "10.0.0.1:8080");
const actor = fc.tuple(fc.constantFrom("https", "http"), host, fc.constantFrom("/users/", "/@", "/u/", "/actors/"), fc.stringMatching(/^[a-z0-9_]{1,12}$/)).map(
  ([scheme, h, prefix, name]) => `${scheme}://${h}${prefix}${name}`,
);
/** Things that must never be an audience, in the spellings servers use. */
const forbidden = fc.oneof(
  fc.constantFrom(`${AS}#Public`, "as:Public", "Public", "http://www.w3.org/ns/activitystreams#Public"),
  actor.map((a) => `${a}/followers`),
);
const notAUrl = fc.oneof(fc.constantFrom("", "@bob@b.example", "javascript:alert(1)", "mailto:bob@b.example"), fc.string({ maxLength: 20 }));
const recipient = fc.oneof({ weight: 6, arbitrary: actor }, { weight: 1, arbitrary: forbidden }, { weight: 1, arbitrary: notAUrl });

const AUDIENCE_KEYS = ["to", "cc", "bto", "bcc", "audience"] as const;

function audience(o: Record<string, unknown>): unknown[] {
  return AUDIENCE_KEYS.flatMap((k) => (o[k] === undefined ? [] : Array.isArray(o[k]) ? (o[k] as unknown[]) : [o[k]]));
}

describe("outgoing DM addressing (property)", () => {
  it("carries exactly the recipients, on the Create and the Note alike, or refuses", () => {
    fc.assert(
      fc.property(fc.array(recipient, { maxLength: 8 }), fc.boolean(), (ids, reply) => {
        let built;
        try {
          built = buildDirectMessage({
            actor: ME,
            objectId: `${ME}/notes/1`,
            recipients: ids.map((id) => ({ id, mention: id })),
            html: "<p>hi</p>",
            published: new Date(0),
            thread: `${ME}/contexts/1`,
            inReplyTo: reply ? "https://b.example/notes/9" : null,
          });
        } catch (err) {
          expect(err).toBeInstanceOf(AddressingError);
          // Refused for a reason: something forbidden or not a URL, or nobody at all.
          expect(ids.length === 0 || ids.some((id) => !/^https?:\/\//.test(id) || isPublicAddress(id) || looksLikeFollowersCollection(id))).toBe(true);
          return;
        }
        const expected = [...new Set(ids)];
        for (const o of [built.create, built.create.object, built.note] as Record<string, unknown>[]) {
          expect(o.to).toEqual(expected);
          expect(o.cc).toEqual([]);
          for (const k of ["bto", "bcc", "audience"]) expect(o[k]).toBeUndefined();
          for (const a of audience(o)) {
            expect(isPublicAddress(String(a))).toBe(false);
            expect(looksLikeFollowersCollection(String(a))).toBe(false);
          }
        }
        expect(built.note.tag.map((t) => t.href)).toEqual(expected);
        expect(JSON.stringify(built.create)).not.toMatch(/#Public|"as:Public"|\/followers"/);
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe("a reply never widens its conversation (property)", () => {
  it("allows exactly the participants (any subset), and refuses anyone else", () => {
    fc.assert(
      fc.property(fc.uniqueArray(actor, { minLength: 1, maxLength: 6 }), fc.array(fc.oneof(actor, forbidden), { maxLength: 6 }), (participants, extra) => {
        const subset = participants.filter((_, i) => i % 2 === 0);
        expect(() => assertNeverWidens(participants, subset)).not.toThrow();
        const outsiders = extra.filter((x) => !participants.includes(x) || isPublicAddress(x) || looksLikeFollowersCollection(x));
        if (outsiders.length > 0) expect(() => assertNeverWidens(participants, [...subset, ...extra])).toThrow(AddressingError);
        else expect(() => assertNeverWidens(participants, [...subset, ...extra])).not.toThrow();
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe("edits and deletions of a DM", () => {
  it("send an Update to exactly the audience the DM went to, and a Delete to its recipients only", () => {
    fc.assert(
      fc.property(fc.uniqueArray(actor, { minLength: 1, maxLength: 6 }), (ids) => {
        const objectId = `${ME}/notes/1`;
        const { note } = buildDirectMessage({
          actor: ME,
          objectId,
          recipients: ids.map((id) => ({ id, mention: id })),
          html: "<p>hi</p>",
          published: new Date(0),
          thread: "https://me.example/contexts/1",
        });
        const updated = new Date(1000);
        const edit = buildDirectMessageUpdate({ actor: ME, objectId, sentNote: note, html: "<p>edited</p>", updated });
        expect(edit.update.to).toEqual(ids);
        expect(edit.update.cc).toEqual([]);
        expect(audience(edit.update.object as Record<string, unknown>)).toEqual(ids);
        expect(edit.note.content).toBe("<p>edited</p>");
        expect(edit.update.id).toBe(`${objectId}#updates/1000`);
        const del = buildDirectMessageDelete({ actor: ME, objectId, recipients: ids });
        expect(audience(del)).toEqual(ids);
        expect(del.object).toEqual({ id: objectId, type: "Tombstone" });
      }),
      { numRuns: runs(100) },
    );
  });
});

describe("content warnings", () => {
  const base = {
    actor: ME,
    objectId: `${ME}/notes/cw`,
    recipients: [{ id: "https://b.example/users/bob", mention: "@bob@b.example" }],
    html: "<p>the ending</p>",
    published: new Date(0),
    thread: "https://me.example/contexts/cw",
  };

  it("send a warning as the Note's summary and mark it sensitive; sensitive alone marks the images only", () => {
    expect(buildDirectMessage({ ...base, summary: "Film ending" }).note).toMatchObject({ summary: "Film ending", sensitive: true });
    const marked = buildDirectMessage({ ...base, sensitive: true }).note;
    expect(marked.sensitive).toBe(true);
    expect(marked).not.toHaveProperty("summary");
    const plain = buildDirectMessage({ ...base, summary: null }).note;
    expect(plain.sensitive).toBe(false);
    expect(plain).not.toHaveProperty("summary");
  });

  it("keep the warning through an edit that does not name it, and drop it with one that clears it", () => {
    const { note } = buildDirectMessage({ ...base, summary: "Film ending" });
    const kept = buildDirectMessageUpdate({ actor: ME, objectId: base.objectId, sentNote: note, html: "<p>edited</p>", updated: new Date(1) });
    expect(kept.note).toMatchObject({ summary: "Film ending", sensitive: true, content: "<p>edited</p>" });
    const cleared = buildDirectMessageUpdate({ actor: ME, objectId: base.objectId, sentNote: note, html: "<p>edited</p>", updated: new Date(2), summary: null, sensitive: false });
    expect(cleared.note).not.toHaveProperty("summary");
    expect(cleared.note.sensitive).toBe(false);
    expect(cleared.update.object).not.toHaveProperty("summary");
    const added = buildDirectMessageUpdate({ actor: ME, objectId: base.objectId, sentNote: cleared.note, html: "<p>x</p>", updated: new Date(3), summary: "Spoilers" });
    expect(added.note).toMatchObject({ summary: "Spoilers", sensitive: true });
  });
});
