import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { Peer, waitForInboxIdle, type PeerActor } from "../helpers/peer";

// Actor-cache poisoning (issue 11, item 1). Alice talks with carol, who lives
// on one server. Mallory runs another server whose actor document for
// "mallory" claims carol's id, with mallory's inbox. Looking mallory up — by
// handle or by URL, from the CLI — or receiving a signed Follow from mallory
// must not change what alice has stored for carol: her reply in carol's
// conversation still goes to carol's own inbox, and mallory's server gets
// nothing.

let alice: Instance;
let carolServer: Peer;
let malloryServer: Peer;
let carol: PeerActor;
let mallory: PeerActor;
let conversationId: string;

function storedInbox(actorId: string): string | undefined {
  const db = new Database(path.join(alice.dataDir, "moiety.db"), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT "inbox" FROM "RemoteActor" WHERE "id" = ?`).get(actorId) as { inbox: string } | undefined)?.inbox;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  [carolServer, malloryServer] = await Promise.all([Peer.start(), Peer.start()]);
  [alice, carol, mallory] = await Promise.all([startInstance("alice"), carolServer.addActor("carol"), malloryServer.addActor("mallory")]);
  // Mallory's server describes mallory as carol: carol's id and name, mallory's inbox and key.
  const honest = malloryServer.actorDocument.bind(malloryServer);
  malloryServer.actorDocument = (a) => (a.username === "mallory" ? { ...honest(a), id: carol.id, preferredUsername: "carol", name: "Carol" } : honest(a));

  const sent = await alice.json(["dm", "send", carol.id, "--text", "hello carol"]);
  conversationId = sent.conversationId;
  await eventually(async () => carolServer.inboxActivities("carol")[0], "the first DM to reach carol", 60_000);
  expect(storedInbox(carol.id)).toBe(carol.inbox);
}, 120_000);

afterAll(async () => {
  await Promise.all([alice?.stop(), carolServer?.close(), malloryServer?.close()]);
});

describe("an actor document claiming another server's account", () => {
  it("is refused when the owner looks mallory up by handle or by URL, in plain words", async () => {
    for (const args of [
      ["dm", "send", mallory.handle, "--text", "for mallory"],
      ["dm", "send", mallory.id, "--text", "for mallory"],
      ["follow", mallory.handle],
      ["follow", mallory.id],
    ]) {
      const r = await alice.cli(args);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr.trim(), args.join(" ")).toBe(`moiety ${args[0]}: That server's answer claims to be a different account — not added.`);
      expect(storedInbox(carol.id), args.join(" ")).toBe(carol.inbox);
    }
    // Nothing was stored under mallory's URL either, and nothing was sent anywhere.
    expect(storedInbox(mallory.id)).toBeUndefined();
    expect(malloryServer.received("", "POST")).toEqual([]);
  }, 60_000);

  it("does not overwrite carol when mallory signs a Follow and alice's server fetches mallory", async () => {
    const follow = { "@context": "https://www.w3.org/ns/activitystreams", id: `${mallory.id}/follows/1`, type: "Follow", actor: mallory.id, object: alice.actor };
    const res = await malloryServer.post(`${alice.url}/users/alice/inbox`, follow, mallory);
    expect(res.status).toBe(202);
    await waitForInboxIdle(alice.dataDir);
    // Alice's server did fetch mallory's document (to check the signature and the sender) ...
    expect(malloryServer.received("/users/mallory", "GET").length).toBeGreaterThan(0);
    // ... and believed none of it about carol, nor took it as mallory's own.
    expect(storedInbox(carol.id)).toBe(carol.inbox);
    expect(storedInbox(mallory.id)).toBeUndefined();
    const followers = await alice.json(["followers"]);
    expect(JSON.stringify(followers)).not.toContain(malloryServer.host);
  }, 60_000);

  it("still sends the reply in carol's conversation to carol, not to mallory", async () => {
    await alice.json(["dm", "send", "--conversation", conversationId, "--text", "a reply only carol may read"]);
    await eventually(
      async () => carolServer.inboxActivities("carol").find((a) => JSON.stringify(a.activity).includes("a reply only carol may read")),
      "the reply to reach carol",
      60_000,
    );
    expect(malloryServer.received("", "POST")).toEqual([]);
  }, 90_000);

  it("still finds carol by her handle (WebFinger) and by her URL", async () => {
    for (const who of [carol.handle, carol.id]) {
      const r = await alice.cli(["follow", who]);
      expect(r.code, `${who}: ${r.stderr}`).toBe(0);
    }
    expect(storedInbox(carol.id)).toBe(carol.inbox);
  }, 60_000);
});
