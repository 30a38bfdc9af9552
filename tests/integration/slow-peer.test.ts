import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { directMessage, Peer, type PeerActor } from "../helpers/peer";

// One slow server must not hold up everyone else's DMs. A server sends six
// signed Creates whose notes are only referenced by URL, and those URLs hang:
// handling each one waits for a fetch that never answers. With one inbox
// worker that delayed a real DM from another server by a minute. The inbox
// queue now runs several activities at once, at most two per sending server,
// and gives up on such a fetch after 4 s; the held-up activities are retried
// and stored once their server answers.

const SLOW_ACTIVITIES = 6;
/** Generous for a loaded 2-core machine; the goal is "within a few seconds". */
const DM_DEADLINE_MS = 8_000;

let olive: Instance;
let slowHost: Peer;
let fastHost: Peer;
let slowActors: PeerActor[];
let bob: PeerActor;
let db: Database.Database;

beforeAll(async () => {
  [slowHost, fastHost] = await Promise.all([Peer.start(), Peer.start()]);
  [olive, slowActors, bob] = await Promise.all([
    startInstance("olive"),
    Promise.all(["sid", "sam", "sue"].map((name) => slowHost.addActor(name))),
    fastHost.addActor("bob"),
  ]);
  db = new Database(path.join(olive.dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
}, 120_000);

afterAll(async () => {
  db?.close();
  await Promise.all([olive?.stop(), slowHost?.close(), fastHost?.close()]);
});

const stored = (objectId: string) => db.prepare(`SELECT "text" FROM "Message" WHERE "objectId" = ?`).get(objectId) as { text: string } | undefined;

describe("a slow server and everyone else", () => {
  it("delivers another server's DM within seconds while six activities wait on hanging fetches, and loses none of them", async () => {
    // Two Creates from each of three accounts on the slow server, each naming its note by URL only.
    const slow = Array.from({ length: SLOW_ACTIVITIES }, (_, i) => {
      const from = slowActors[i % slowActors.length];
      const noteId = `${slowHost.url}/notes/slow-${i}`;
      const create = directMessage(from, olive.actor, `slow ${i}`, noteId);
      slowHost.hanging.add(new URL(noteId).pathname);
      return { from, create, note: { "@context": create["@context"], ...create.object } };
    });
    for (const { from, create } of slow) {
      expect((await slowHost.post(`${olive.actor}/inbox`, { ...create, object: create.object.id }, from)).status).toBe(202);
    }
    await eventually(async () => slowHost.hangingOpen > 0, "the worker to start on the slow notes", 5_000);

    const dm = directMessage(bob, olive.actor, "not held up", `${bob.id}/statuses/fast-1`);
    const sentAt = Date.now();
    expect((await fastHost.post(`${olive.url}/inbox`, dm, bob)).status).toBe(202);
    await eventually(async () => stored(dm.object.id), "bob's DM", 30_000);
    const delay = Date.now() - sentAt;
    console.log(`bob's DM stored ${delay} ms after it was sent; the slow server had at most ${slowHost.hangingPeak} fetches open at once`);
    expect(delay).toBeLessThan(DM_DEADLINE_MS);
    // The slow server never had more than its share of the lanes.
    expect(slowHost.hangingPeak).toBeLessThanOrEqual(2);
    expect(stored(dm.object.id)?.text).toBe("not held up");

    // The slow server recovers: every one of its activities is retried and stored, once.
    for (const { create, note } of slow) {
      slowHost.documents.set(new URL(create.object.id).pathname, note);
      slowHost.hanging.delete(new URL(create.object.id).pathname);
    }
    for (const { create } of slow) await eventually(async () => stored(create.object.id), `${create.object.id} after its server recovered`, 90_000);
    const rows = db.prepare(`SELECT "objectId", COUNT(*) AS n FROM "Message" WHERE "direction" = 'in' GROUP BY "objectId"`).all() as { objectId: string; n: number }[];
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(rows).toHaveLength(SLOW_ACTIVITIES + 1);
  }, 150_000);
});
