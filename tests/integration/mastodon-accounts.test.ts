import path from "node:path";
import Database from "better-sqlite3";
import { createRestAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFetch, apiToken } from "../helpers/api-token";
import { Client } from "../helpers/http";
import { eventually, PASSWORD, startInstance, type Instance } from "../helpers/instances";

// The accounts part of the Mastodon client API (issue 13, item 3) against two
// real instances: masto.js 7 (a client written against Mastodon) where it has
// the call, plain fetch elsewhere. Follows, DMs and profile updates travel
// between the instances over real HTTP with real signatures.

let alice: Instance;
let bob: Instance;
let masto: mastodon.rest.Client;
let call: ReturnType<typeof apiFetch>;
/** Bob's own client on his instance: he follows alice through the API too. */
let bobMasto: mastodon.rest.Client;
let bobHandle: string;
let bobId: string;
let aliceOnBob: string;

/** A valid 1×1 PNG. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de" + "0000000c49444154789c63f8dfc0000004010180c52a185d0000000049454e44ae426082",
  "hex",
);

beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
  const [token, bobToken] = await Promise.all([apiToken(alice, "read write follow push"), apiToken(bob, "read write follow")]);
  masto = createRestAPIClient({ url: alice.url, accessToken: token });
  call = apiFetch(alice, token);
  bobMasto = createRestAPIClient({ url: bob.url, accessToken: bobToken });
  bobHandle = `bob@${new URL(bob.url).host}`;
});
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
});

async function cli(instance: Instance, args: string[]) {
  const r = await instance.cli(args);
  if (r.code !== 0) throw new Error(`moiety ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const relationship = async (id: string) => (await masto.v1.accounts.relationships.fetch({ id: [id] }))[0];
/** Bob's relationship to alice, as his own server sees it. */
const bobsRelationship = async () => (await bobMasto.v1.accounts.relationships.fetch({ id: [aliceOnBob] }))[0];

describe("Mastodon API: accounts", () => {
  it("finds bob only after a search with resolve=true looks him up; lookup, accounts/:id and search then find him", async () => {
    // Not stored yet: lookup does not go to the network (as Mastodon's skips WebFinger).
    expect(await call(`/api/v1/accounts/lookup?acct=${bobHandle}`)).toMatchObject({ status: 404, json: { error: "Record not found" } });
    expect(await masto.v1.accounts.search.list({ q: `@${bobHandle}` })).toEqual([]);

    const found = await masto.v2.search.list({ q: `@${bobHandle}`, type: "accounts", resolve: true });
    expect(found.statuses).toEqual([]);
    expect(found.hashtags).toEqual([]);
    expect(found.accounts).toHaveLength(1);
    expect(found.accounts[0]).toMatchObject({ username: "bob", acct: bobHandle, displayName: "Bob", uri: bob.actor });
    bobId = found.accounts[0].id;
    expect(bobId).toMatch(/^[0-9]+$/);

    // The same id everywhere, and the same account.
    expect(await masto.v1.accounts.lookup({ acct: bobHandle })).toMatchObject({ id: bobId, acct: bobHandle });
    expect(await masto.v1.accounts.lookup({ acct: `@${bobHandle}` })).toMatchObject({ id: bobId });
    expect(await masto.v1.accounts.$select(bobId).fetch()).toMatchObject({ id: bobId, acct: bobHandle, url: expect.any(String) });
    expect((await masto.v1.accounts.search.list({ q: "bo" })).map((a) => a.id)).toContain(bobId);
    expect((await masto.v1.accounts.search.list({ q: "Bob" })).map((a) => a.id)).toContain(bobId);
    expect((await masto.v2.search.list({ q: "bo", type: "accounts" })).accounts.map((a) => a.id)).toContain(bobId);
    // By actor URL, resolved too (the cached copy this time).
    expect((await masto.v2.search.list({ q: bob.actor, resolve: true })).accounts[0]).toMatchObject({ id: bobId });
    // The v1 search (mention autocomplete) resolves as well.
    expect((await masto.v1.accounts.search.list({ q: `@${bobHandle}`, resolve: true }))[0]).toMatchObject({ id: bobId });
    // Other types: nothing.
    expect(await call(`/api/v2/search?q=bob&type=statuses`)).toMatchObject({ status: 200, json: { accounts: [], statuses: [], hashtags: [] } });

    // The owner: "1", by bare name or with our host; never fetched over the network.
    const aliceHost = new URL(alice.url).host;
    expect(await masto.v1.accounts.lookup({ acct: "alice" })).toMatchObject({ id: "1", acct: "alice" });
    expect(await masto.v1.accounts.lookup({ acct: `alice@${aliceHost}` })).toMatchObject({ id: "1" });
    expect((await masto.v2.search.list({ q: `@alice@${aliceHost}`, resolve: true })).accounts).toMatchObject([{ id: "1" }]);
    expect(await masto.v1.accounts.$select("1").fetch()).toMatchObject({ id: "1", username: "alice", acct: "alice" });

    // Unknown accounts: 404 with Mastodon's words; a failed resolve is an empty result, not an error.
    for (const id of ["999", "abc", "99999999999999999999", "9000000000000000001"]) {
      expect(await call(`/api/v1/accounts/${id}`)).toMatchObject({ status: 404, json: { error: "Record not found" } });
    }
    expect(await call(`/api/v1/accounts/lookup?acct=nobody`)).toMatchObject({ status: 404 });
    expect(await call(`/api/v1/accounts/lookup?acct=nobody@${new URL(bob.url).host}`)).toMatchObject({ status: 404 });
    const missing = await call(`/api/v2/search?q=${encodeURIComponent(`@nobody@${new URL(bob.url).host}`)}&resolve=true&type=accounts`);
    expect(missing).toMatchObject({ status: 200, json: { accounts: [], statuses: [], hashtags: [] } });
    expect(await call(`/api/v1/accounts/search?q=${encodeURIComponent("@nobody@127.0.0.1:9")}&resolve=true`)).toMatchObject({ status: 200, json: [] });

    // Bob finds alice the same way on his server.
    aliceOnBob = (await bobMasto.v2.search.list({ q: alice.actor, type: "accounts", resolve: true })).accounts[0].id;
    expect(aliceOnBob).toMatch(/^[0-9]+$/);
  });

  it("follows and unfollows bob; verify_credentials counts follows both ways and the owner's DMs; account statuses and follower lists", async () => {
    const before = await masto.v1.accounts.verifyCredentials();
    expect(before).toMatchObject({ followersCount: 0, followingCount: 0, statusesCount: 0, lastStatusAt: null, locked: false });
    expect(before.source.followRequestsCount).toBe(0);
    expect(await relationship(bobId)).toMatchObject({ id: bobId, following: false, requested: false, followedBy: false, blocking: false });

    // Bob's server accepts on its own; until the Accept arrives the follow is a request.
    const asked = await masto.v1.accounts.$select(bobId).follow();
    expect(asked.id).toBe(bobId);
    expect(asked.following || asked.requested).toBe(true);
    await eventually(async () => (await relationship(bobId)).following, "bob's Accept");
    expect(await relationship(bobId)).toMatchObject({ following: true, requested: false, showingReblogs: true });

    // Bob follows alice back (accepted at once: "approve followers" is off), and each writes a DM.
    await bobMasto.v1.accounts.$select(aliceOnBob).follow();
    await eventually(async () => (await relationship(bobId)).followedBy, "bob's follow");
    await eventually(async () => (await bobsRelationship()).following, "alice's Accept");
    await Promise.all([cli(alice, ["dm", "send", bob.actor, "--text", "hello bob"]), cli(bob, ["dm", "send", alice.actor, "--text", "hello alice"])]);

    const after = await eventually(async () => {
      const me = await masto.v1.accounts.verifyCredentials();
      return me.statusesCount === 1 && me.followersCount === 1 ? me : null;
    }, "the counts");
    expect(after).toMatchObject({ followersCount: 1, followingCount: 1, statusesCount: 1 });
    expect(after.lastStatusAt).toBe(new Date().toISOString().slice(0, 10));

    // The owner's lists, with Link paging; other people's lists are not ours to show.
    expect((await masto.v1.accounts.$select("1").followers.list()).map((a) => a.id)).toEqual([bobId]);
    expect((await masto.v1.accounts.$select("1").following.list()).map((a) => a.id)).toEqual([bobId]);
    const followersPage = await call(`/api/v1/accounts/1/followers?limit=1`);
    expect(followersPage.headers.get("link")).toMatch(/max_id=[0-9]+>; rel="next"/);
    expect(await masto.v1.accounts.$select(bobId).followers.list()).toEqual([]);

    // Statuses: the owner's own DMs for "1", bob's for bob.
    const mine = await masto.v1.accounts.$select("1").statuses.list();
    expect(mine.map((s) => s.content)).toEqual(["<p>hello bob</p>"]);
    expect(mine[0]).toMatchObject({ visibility: "direct", account: { id: "1" } });
    const his = await eventually(async () => {
      const list = await masto.v1.accounts.$select(bobId).statuses.list();
      return list.length ? list : null;
    }, "bob's DM");
    expect(his[0]).toMatchObject({ account: { id: bobId }, visibility: "direct" });
    expect(his[0].content).toContain("hello alice");
    expect(await masto.v1.accounts.$select(bobId).statuses.list({ pinned: true })).toEqual([]);
    const older = await call(`/api/v1/accounts/1/statuses?max_id=${mine[0].id}`);
    expect(older).toMatchObject({ status: 200, json: [] });

    // Following oneself: Mastodon's 403 and its words.
    expect(await call(`/api/v1/accounts/1/follow`, { method: "POST" })).toMatchObject({ status: 403, json: { error: "Following your own account is not allowed" } });

    // Unfollow: the relationship after, and the count.
    expect(await masto.v1.accounts.$select(bobId).unfollow()).toMatchObject({ id: bobId, following: false, requested: false, followedBy: true });
    expect((await masto.v1.accounts.verifyCredentials()).followingCount).toBe(0);
    // Unfollowing again is no error.
    expect(await masto.v1.accounts.$select(bobId).unfollow()).toMatchObject({ following: false });
  });

  it("update_credentials changes name, note and avatar (multipart, as masto.js sends it), and bob's server gets the Update", async () => {
    const updated = await masto.v1.accounts.updateCredentials({
      displayName: "Alice Liddell",
      note: "Down the rabbit hole\n& back",
      avatar: new Blob([PNG], { type: "image/png" }),
      // Fields Moiety has no use for are ignored quietly.
      locked: true,
      bot: true,
      fieldsAttributes: [{ name: "Site", value: "https://example.com" }],
    });
    expect(updated).toMatchObject({ id: "1", displayName: "Alice Liddell", note: "<p>Down the rabbit hole<br>&amp; back</p>", locked: false, bot: false, fields: [] });
    expect(updated.source.note).toBe("Down the rabbit hole\n& back");
    expect(updated.avatar).toMatch(new RegExp(`^${alice.url}/media/avatar-[0-9a-f]{24}\\.png$`));
    const image = await fetch(updated.avatar);
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);

    // Bob follows alice, so his server hears of the new name.
    await eventually(async () => (await bobMasto.v1.accounts.$select(aliceOnBob).fetch()).displayName === "Alice Liddell", "bob's copy of alice's new name");

    // JSON and plain form bodies work alike; only what is sent changes.
    expect(await call(`/api/v1/accounts/update_credentials`, { method: "PATCH", body: { note: "json note" } })).toMatchObject({
      status: 200,
      json: { display_name: "Alice Liddell", note: "<p>json note</p>" },
    });
    const form = await call(`/api/v1/accounts/update_credentials`, {
      method: "PATCH",
      body: new URLSearchParams({ display_name: "Alice" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form).toMatchObject({ status: 200, json: { display_name: "Alice", note: "<p>json note</p>" } });

    // Bad input: 422 with a sentence, and nothing changes.
    const tooLong = await call(`/api/v1/accounts/update_credentials`, { method: "PATCH", body: { display_name: "x".repeat(101) } });
    expect(tooLong.status).toBe(422);
    expect(tooLong.json.error).toMatch(/at most 100 characters/);
    const notImage = new FormData();
    notImage.set("avatar", new Blob([Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>")], { type: "image/png" }), "a.png");
    const refused = await call(`/api/v1/accounts/update_credentials`, { method: "PATCH", body: notImage });
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatch(/PNG, JPEG, WebP or GIF/);
    const tooBig = new FormData();
    tooBig.set("avatar", new Blob([Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)])], { type: "image/png" }), "big.png");
    expect((await call(`/api/v1/accounts/update_credentials`, { method: "PATCH", body: tooBig })).json.error).toMatch(/larger than 2 MB/);
    expect(await call(`/api/v1/accounts/update_credentials`, { method: "PATCH", body: { avatar: "https://example.com/a.png" } })).toMatchObject({ status: 422 });
    const now = await masto.v1.accounts.verifyCredentials();
    expect(now).toMatchObject({ displayName: "Alice", avatar: updated.avatar });
  });

  it("follow requests: with approval on, bob's follow waits; authorize and reject answer it", async () => {
    await bobMasto.v1.accounts.$select(aliceOnBob).unfollow();
    await eventually(async () => !(await relationship(bobId)).followedBy, "bob's Undo");
    const owner = new Client(alice.url);
    expect((await owner.login("alice", PASSWORD)).ok).toBe(true);
    expect((await owner.action("/settings", "setApproveFollowersAction", [true])).result).toEqual({ ok: true });
    expect((await masto.v1.accounts.verifyCredentials()).locked).toBe(true);

    await bobMasto.v1.accounts.$select(aliceOnBob).follow();
    const requests = await eventually(async () => {
      const list = await masto.v1.followRequests.list();
      return list.length ? list : null;
    }, "bob's follow request");
    expect(requests.map((a) => a.id)).toEqual([bobId]);
    expect((await masto.v1.accounts.verifyCredentials()).source.followRequestsCount).toBe(1);
    expect(await relationship(bobId)).toMatchObject({ requestedBy: true, followedBy: false });
    // On bob's side it is a request until alice answers.
    expect(await bobsRelationship()).toMatchObject({ requested: true, following: false });

    expect(await masto.v1.followRequests.$select(bobId).authorize()).toMatchObject({ id: bobId, followedBy: true, requestedBy: false });
    expect(await masto.v1.followRequests.list()).toEqual([]);
    await eventually(async () => (await bobsRelationship()).following, "bob's server to get the Accept");
    // Nothing pending any more: Mastodon's 404.
    expect(await call(`/api/v1/follow_requests/${bobId}/authorize`, { method: "POST" })).toMatchObject({ status: 404, json: { error: "Record not found" } });

    await bobMasto.v1.accounts.$select(aliceOnBob).unfollow();
    await eventually(async () => !(await relationship(bobId)).followedBy, "bob's second Undo");
    await bobMasto.v1.accounts.$select(aliceOnBob).follow();
    await eventually(async () => (await relationship(bobId)).requestedBy, "bob's second request");
    expect(await masto.v1.followRequests.$select(bobId).reject()).toMatchObject({ id: bobId, followedBy: false, requestedBy: false });
    expect((await masto.v1.accounts.verifyCredentials()).source.followRequestsCount).toBe(0);
    await eventually(async () => {
      const r = await bobsRelationship();
      return !r.following && !r.requested;
    }, "bob's server to get the Reject");
    expect(await call(`/api/v1/follow_requests/${bobId}/reject`, { method: "POST" })).toMatchObject({ status: 404 });
  });

  it("blocks and unblocks bob: relationships, the blocks list, and no following a blocked account", async () => {
    await masto.v1.accounts.$select(bobId).follow();
    await eventually(async () => (await relationship(bobId)).following, "bob's Accept");

    expect(await masto.v1.accounts.$select(bobId).block()).toMatchObject({ id: bobId, blocking: true, following: false, followedBy: false, requested: false });
    expect((await masto.v1.blocks.list()).map((a) => a.id)).toEqual([bobId]);
    expect(await masto.v1.mutes.list()).toEqual([]);
    expect(await call(`/api/v1/accounts/${bobId}/follow`, { method: "POST" })).toMatchObject({ status: 403 });
    expect((await masto.v1.accounts.verifyCredentials()).followingCount).toBe(0);

    expect(await masto.v1.accounts.$select(bobId).unblock()).toMatchObject({ id: bobId, blocking: false });
    expect(await masto.v1.blocks.list()).toEqual([]);

    // Every documented field, for an account and for the owner; unknown ids are left out.
    const both = await call(`/api/v1/accounts/relationships?id[]=${bobId}&id[]=1&id[]=12345`);
    expect(both.status).toBe(200);
    expect(both.json.map((r: { id: string }) => r.id)).toEqual([bobId, "1"]);
    for (const r of both.json) {
      expect(Object.keys(r).sort()).toEqual(
        [
          "id",
          "following",
          "showing_reblogs",
          "notifying",
          "languages",
          "followed_by",
          "blocking",
          "blocked_by",
          "muting",
          "muting_notifications",
          "requested",
          "requested_by",
          "domain_blocking",
          "endorsed",
          "note",
        ].sort(),
      );
    }
  });

  it("an account known only by its URL (never fetched) has a stable id that accounts/:id, relationships and unblock accept", async () => {
    // A block of an actor whose document was never stored, written straight into the database.
    const ghost = "https://ghost.example/users/carol";
    const db = new Database(path.join(alice.dataDir, "moiety.db"), { fileMustExist: true });
    try {
      db.prepare(`INSERT INTO "Block" ("kind", "value", "createdAt") VALUES ('actor', ?, ?)`).run(ghost, new Date().toISOString());
    } finally {
      db.close();
    }
    const listed = await masto.v1.blocks.list();
    expect(listed).toHaveLength(1);
    const ghostId = listed[0].id;
    expect(listed[0]).toMatchObject({ acct: "carol@ghost.example", username: "carol", uri: ghost });
    expect(BigInt(ghostId) >= 9_000_000_000_000_000_000n).toBe(true);
    expect(await masto.v1.accounts.$select(ghostId).fetch()).toMatchObject({ id: ghostId, acct: "carol@ghost.example" });
    expect(await relationship(ghostId)).toMatchObject({ id: ghostId, blocking: true });
    // Unblocking needs no network; the id then names nothing any more.
    expect(await masto.v1.accounts.$select(ghostId).unblock()).toMatchObject({ id: ghostId, blocking: false });
    expect(await call(`/api/v1/accounts/${ghostId}`)).toMatchObject({ status: 404, json: { error: "Record not found" } });
  });

  it("refuses every accounts endpoint without a token (401) and with a token lacking its scope (403)", async () => {
    const pushOnly = await apiToken(alice, "push");
    const endpoints: [string, string][] = [
      ["GET", "/api/v1/accounts/verify_credentials"],
      ["PATCH", "/api/v1/accounts/update_credentials"],
      ["GET", "/api/v1/accounts/1"],
      ["GET", `/api/v1/accounts/${bobId}`],
      ["GET", `/api/v1/accounts/lookup?acct=alice`],
      ["GET", `/api/v1/accounts/search?q=bo`],
      ["GET", `/api/v2/search?q=bo&type=accounts`],
      ["GET", `/api/v1/accounts/relationships?id[]=${bobId}`],
      ["POST", `/api/v1/accounts/${bobId}/follow`],
      ["POST", `/api/v1/accounts/${bobId}/unfollow`],
      ["POST", `/api/v1/accounts/${bobId}/block`],
      ["POST", `/api/v1/accounts/${bobId}/unblock`],
      ["GET", `/api/v1/accounts/1/followers`],
      ["GET", `/api/v1/accounts/1/following`],
      ["GET", `/api/v1/accounts/1/statuses`],
      ["GET", `/api/v1/follow_requests`],
      ["POST", `/api/v1/follow_requests/${bobId}/authorize`],
      ["POST", `/api/v1/follow_requests/${bobId}/reject`],
      ["GET", `/api/v1/blocks`],
      ["GET", `/api/v1/mutes`],
    ];
    for (const [method, path] of endpoints) {
      const anonymous = await apiFetch(alice, null)(path, { method });
      expect(anonymous.status, `${method} ${path} without a token`).toBe(401);
      expect(anonymous.json, `${method} ${path} without a token`).toEqual({ error: "The access token is invalid" });
      const narrow = await apiFetch(alice, pushOnly)(path, { method });
      expect(narrow.status, `${method} ${path} with a push-only token`).toBe(403);
      expect(narrow.headers.get("content-type")).toMatch(/^application\/json/);
    }
    // Nothing happened: bob is still neither followed nor blocked.
    expect(await relationship(bobId)).toMatchObject({ following: false, requested: false, blocking: false });
  });
});
