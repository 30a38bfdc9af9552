import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiToken } from "../helpers/api-token";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { Peer, type PeerActor } from "../helpers/peer";

// The fast inbox's worker (lib/federation/inbound/) on a real instance: the
// test stores accepted activities in InboxActivity as the accept step does
// (its sender verified), and the worker in `moiety serve` applies them — by
// itself for known contexts, through Fedify's queue and listeners otherwise.
// The same DM taken either way must leave the same rows; delete storms must
// be dropped without a single request to anyone.

const AS = "https://www.w3.org/ns/activitystreams";
const MASTODON_TERMS = { ostatus: "http://ostatus.org#", conversation: "ostatus:conversation", sensitive: "as:sensitive", toot: "http://joinmastodon.org/ns#", blurhash: "toot:blurhash" };
const PUBLISHED = "2026-01-02T03:04:05.000Z";

let alice: Instance;
let peer: Peer;
let bob: PeerActor; // his DMs are applied by the worker itself
let carol: PeerActor; // hers, with an unknown context, by Fedify
let dave: PeerActor; // never seen by alice

function sql<T = Record<string, any>>(query: string, ...args: unknown[]): T[] {
  const db = new Database(path.join(alice.dataDir, "moiety.db"), { timeout: 10_000 });
  try {
    const statement = db.prepare(query);
    return (statement.reader ? statement.all(...args) : (statement.run(...args), [])) as T[];
  } finally {
    db.close();
  }
}

/** Store activities as the accept step would, in one transaction. */
function accept(activities: { id: string; actor: string }[]): void {
  const db = new Database(path.join(alice.dataDir, "moiety.db"), { timeout: 10_000 });
  try {
    const insert = db.prepare(`INSERT INTO "InboxActivity" ("activityId", "actorId", "keyId", "recipient", "body") VALUES (?, ?, ?, ?, ?)`);
    db.transaction(() => {
      for (const a of activities) insert.run(a.id, a.actor, `${a.actor}#main-key`, alice.username, JSON.stringify(a));
    })();
  } finally {
    db.close();
  }
}

async function outcomeOf(activityId: string): Promise<string> {
  return eventually(async () => sql<{ outcome: string | null }>(`SELECT "outcome" FROM "InboxActivity" WHERE "activityId" = ? AND "doneAt" IS NOT NULL`, activityId)[0]?.outcome, `${activityId} to be applied`);
}

/** A Mastodon-shaped DM to alice with markup to sanitise, a content warning, a mention and an image. */
function dmFrom(from: PeerActor, n: number, extraContext?: string) {
  const noteId = `${from.id}/statuses/${n}`;
  const object = {
    id: noteId,
    type: "Note",
    summary: "birds <b>ahead</b>",
    inReplyTo: null,
    published: PUBLISHED,
    url: noteId,
    attributedTo: from.id,
    to: [alice.actor],
    cc: [],
    sensitive: true,
    conversation: `${from.id}/threads/${n}`,
    content: `<p><span class="h-card"><a href="${alice.actor}" class="u-url mention">@<span>alice</span></a></span> look, a pelican <a href="https://example.com/x" onclick="evil()">here</a><script>alert(1)</script></p>`,
    attachment: [{ type: "Document", mediaType: "image/png", url: `${from.id}/media/${n}.png`, name: "a pelican on a post", blurhash: "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH", width: 640, height: 480 }],
    tag: [{ type: "Mention", href: alice.actor, name: `@alice@${new URL(alice.url).host}` }],
  };
  return {
    "@context": [AS, MASTODON_TERMS, ...(extraContext ? [extraContext] : [])],
    id: `${noteId}/activity`,
    type: "Create",
    actor: from.id,
    published: PUBLISHED,
    to: [alice.actor],
    cc: [],
    object,
  };
}

function editOf(create: ReturnType<typeof dmFrom>, text: string) {
  return {
    ...create,
    id: `${create.object.id}#updates/1`,
    type: "Update",
    object: { ...create.object, content: `<p>${text}</p>`, summary: null, attachment: [], updated: "2026-01-02T04:00:00.000Z" },
  };
}

function deleteOf(create: ReturnType<typeof dmFrom>) {
  return { "@context": create["@context"], id: `${create.object.id}#delete`, type: "Delete", actor: create.actor, to: [AS + "#Public"], object: { id: create.object.id, type: "Tombstone" } };
}

/** Everything stored about one incoming message, with the sender's id replaced and generated ids and times left out. */
function stored(objectId: string, sender: PeerActor, word: string) {
  const m = sql(`SELECT * FROM "Message" WHERE "objectId" = ?`, objectId)[0];
  if (!m) return null;
  const c = sql(`SELECT * FROM "Conversation" WHERE "id" = ?`, m.conversationId)[0];
  const rows = {
    message: { direction: m.direction, authorId: m.authorId, inReplyTo: m.inReplyTo, html: m.html, text: m.text, summary: m.summary, sensitive: m.sensitive, attachments: m.attachments, published: m.published, updated: m.updated, deleted: m.deletedAt !== null, objectJson: m.objectJson, hasApiId: m.apiId !== null },
    conversation: { participantKey: c.participantKey, unreadCount: c.unreadCount, isRequest: c.isRequest, archived: c.archived, lastMessageAt: c.lastMessageAt, hasApiId: c.apiId !== null },
    participants: sql(`SELECT "actorId" FROM "ConversationParticipant" WHERE "conversationId" = ? ORDER BY "actorId"`, m.conversationId),
    refs: sql(`SELECT "uri" FROM "ConversationRef" WHERE "conversationId" = ? ORDER BY "uri"`, m.conversationId),
    notifications: sql(`SELECT "type", "actorId" FROM "Notification" WHERE "messageId" = ?`, m.id),
    found: sql(`SELECT m."id" FROM "MessageSearch" s JOIN "Message" m ON m.rowid = s.rowid WHERE "MessageSearch" MATCH ?`, word).some((r) => r.id === m.id),
  };
  return JSON.parse(JSON.stringify(rows).split(sender.id).join("SENDER"));
}

beforeAll(async () => {
  peer = await Peer.start();
  [alice, bob, carol, dave] = await Promise.all([startInstance("alice"), peer.addActor("bob"), peer.addActor("carol"), peer.addActor("dave")]);
  // An extra context only Fedify's JSON-LD path can read, served by the peer.
  peer.documents.set("/ns/extra", { "@context": { extra: "https://peer.example/ns#extra" } });
  // alice follows bob and carol: their actors are cached (as the accept step leaves a key's owner) and neither is a stranger.
  for (const a of [bob, carol]) {
    const r = await alice.cli(["follow", a.handle]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);
afterAll(async () => {
  await Promise.all([alice?.stop(), peer?.close()]);
});

describe("the fast inbox worker", () => {
  let bobsDm: ReturnType<typeof dmFrom>;
  let carolsDm: ReturnType<typeof dmFrom>;

  it("stores a known-context DM itself and an unknown-context one through Fedify, with the same rows", async () => {
    bobsDm = dmFrom(bob, 1);
    carolsDm = dmFrom(carol, 1, `${peer.url}/ns/extra`);
    accept([bobsDm, carolsDm]);
    expect(await outcomeOf(bobsDm.id)).toBe("stored");
    expect(await outcomeOf(carolsDm.id)).toBe("fedify");
    const fast = stored(bobsDm.object.id, bob, "pelican");
    const viaFedify = await eventually(async () => stored(carolsDm.object.id, carol, "pelican"), "Fedify's listener to store carol's DM");
    expect(fast).toEqual(viaFedify);
    // What the rows hold, checked once: sanitised, private, searchable, announced.
    expect(fast.message.html).not.toMatch(/script|onclick/);
    expect(fast.message.text).toContain("look, a pelican here");
    expect(fast.message.summary).toBe("birds ahead");
    expect(fast.message.sensitive).toBe(1);
    expect(JSON.parse(fast.message.attachments)).toEqual([
      { url: "SENDER/media/1.png", mediaType: "image/png", kind: "image", alt: "a pelican on a post", width: 640, height: 480, blurhash: "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH" },
    ]);
    expect(fast).toMatchObject({
      message: { published: "2026-01-02T03:04:05.000+00:00", hasApiId: true },
      conversation: { participantKey: "SENDER", unreadCount: 1, isRequest: 0, archived: 0, hasApiId: true },
      participants: [{ actorId: "SENDER" }],
      refs: [{ uri: "SENDER/threads/1" }],
      notifications: [{ type: "mention", actorId: "SENDER" }],
      found: true,
    });
  });

  it("applies an edit and a delete by the author, the same as Fedify does; another actor's are dropped", async () => {
    const edits = [editOf(bobsDm, "make that an albatross"), editOf(carolsDm, "make that an albatross")];
    const forged = { ...edits[0], id: `${edits[0].id}-by-carol`, actor: carol.id };
    accept([forged, ...edits]);
    expect(await outcomeOf(forged.id)).toBe("ignored");
    expect(await outcomeOf(edits[0].id)).toBe("stored");
    expect(await outcomeOf(edits[1].id)).toBe("fedify");
    const fast = stored(bobsDm.object.id, bob, "albatross");
    expect(fast.message).toMatchObject({ text: "make that an albatross", updated: "2026-01-02T04:00:00.000+00:00", attachments: "[]" });
    expect(fast.found).toBe(true);
    expect(stored(bobsDm.object.id, bob, "pelican").found).toBe(false);
    await eventually(async () => stored(carolsDm.object.id, carol, "albatross")?.message.updated, "Fedify's listener to apply carol's edit");
    expect(stored(carolsDm.object.id, carol, "albatross")).toEqual(fast);

    const deletes = [deleteOf(bobsDm), deleteOf(carolsDm)];
    const forgedDelete = { ...deletes[0], id: `${deletes[0].id}-by-carol`, actor: carol.id };
    accept([forgedDelete, ...deletes]);
    expect(await outcomeOf(forgedDelete.id)).toBe("ignored");
    expect(await outcomeOf(deletes[0].id)).toBe("stored");
    expect(await outcomeOf(deletes[1].id)).toBe("fedify");
    const gone = stored(bobsDm.object.id, bob, "albatross");
    expect(gone.message).toMatchObject({ deleted: true, text: "", html: "", attachments: "[]", summary: null });
    expect(gone.found).toBe(false);
    await eventually(async () => stored(carolsDm.object.id, carol, "albatross")?.message.deleted, "Fedify's listener to apply carol's delete");
    expect(stored(carolsDm.object.id, carol, "albatross")).toEqual(gone);
  });

  it("drops a storm of Deletes of actors and notes never seen here without a single request", async () => {
    const storm = Array.from({ length: 100 }, (_, i) => {
      const actor = `${peer.url}/users/ghost${i}`;
      const object = i % 2 === 0 ? actor : `${actor}/statuses/${i}`;
      return { "@context": [AS, "https://w3id.org/security/v1"], id: `${object}#delete`, type: "Delete", actor, to: [`${AS}#Public`], object };
    });
    const requestsBefore = peer.requests.length;
    const queuedBefore = sql<{ n: number }>(`SELECT count(*) AS n FROM "QueueMessage"`)[0].n;
    accept(storm);
    for (const d of storm) expect(await outcomeOf(d.id)).toBe("ignored");
    // Anything fetched or handed over would show within the worker's and Fedify queue's next polls.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(peer.requests.slice(requestsBefore)).toEqual([]);
    expect(sql<{ n: number }>(`SELECT count(*) AS n FROM "QueueMessage"`)[0].n).toBe(queuedBefore);
  });

  it("hands a DM from a sender it has no actor for to Fedify, which fetches the actor and stores it", async () => {
    const create = dmFrom(dave, 1);
    accept([create]);
    expect(await outcomeOf(create.id)).toBe("fedify");
    const rows = await eventually(async () => stored(create.object.id, dave, "pelican"), "Fedify's listener to store dave's DM");
    expect(rows.conversation.isRequest).toBe(1); // a stranger
    expect(peer.received(new URL(dave.id).pathname, "GET").length).toBeGreaterThan(0);
    expect(sql(`SELECT "id" FROM "RemoteActor" WHERE "id" = ?`, dave.id)).toHaveLength(1);
  });

  it("shows a DM the worker stored on the Mastodon streaming API", async () => {
    const token = await apiToken(alice);
    const sse = await fetch(`${alice.url}/api/v1/streaming/user/notification?access_token=${token}`);
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    let received = "";
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        received += new TextDecoder().decode(value);
      }
    })();
    // The stream starts at "now" once its subscription reaches the server.
    await new Promise((r) => setTimeout(r, 2_000));
    const create = dmFrom(bob, 2);
    create.object.content = "<p>a cormorant on the stream</p>";
    accept([create]);
    expect(await outcomeOf(create.id)).toBe("stored");
    await eventually(async () => received.includes("cormorant"), "the stored DM on the notification stream");
    expect(received).toMatch(/event: notification/);
    expect(received).toContain('"type":"mention"');
    await reader.cancel();
    await reading;
  });
});
