import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFetch, apiToken } from "../helpers/api-token";
import { eventually, startInstance, type Instance } from "../helpers/instances";

// Notifications and markers of the Mastodon client API against two real
// instances: bob follows alice and writes to her over real federation, and
// alice's API shows the follow and a mention per DM, filtered, paged with
// Link headers, dismissed and cleared; markers keep where she stopped reading.

let alice: Instance;
let bob: Instance;
let token: string;
let api: ReturnType<typeof apiFetch>;

beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
  token = await apiToken(alice);
  api = apiFetch(alice, token);
});
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
});

type Notification = { id: string; type: string; created_at: string; group_key: string; account: { id: string; acct: string }; status?: { id: string; content: string; visibility: string } };

/** Follow the Link header's `next` from `first` to the end, collecting every item. */
async function allPages(first: string): Promise<Notification[]> {
  const out: Notification[] = [];
  let next: string | null = first;
  while (next) {
    const r = await api(next);
    expect(r.status).toBe(200);
    out.push(...r.json);
    const link = r.headers.get("link");
    if (r.json.length === 0) {
      expect(link).toBeNull();
      break;
    }
    const m = /<([^>]+)>; rel="next"/.exec(link ?? "");
    expect(m, `a next link on ${next}`).not.toBeNull();
    const url = new URL(m![1]);
    next = url.pathname + url.search;
    if (out.length > 20) throw new Error("paging does not end");
  }
  return out;
}

describe("Mastodon notifications", () => {
  it("refuse requests without a token (401) or without the notifications scope (403)", async () => {
    const anonymous = apiFetch(alice, null);
    for (const [method, p] of [
      ["GET", "/api/v1/notifications"],
      ["GET", "/api/v1/notifications/1"],
      ["POST", "/api/v1/notifications/1/dismiss"],
      ["POST", "/api/v1/notifications/clear"],
      ["GET", "/api/v1/notifications/unread_count"],
      ["GET", "/api/v1/markers?timeline[]=home"],
      ["POST", "/api/v1/markers"],
    ]) {
      const r = await anonymous(p, { method });
      expect(r.status, `${method} ${p}`).toBe(401);
      expect(r.json.error).toBe("The access token is invalid");
    }
    const statusesOnly = apiFetch(alice, await apiToken(alice, "read:statuses"));
    expect((await statusesOnly("/api/v1/notifications")).status).toBe(403);
    expect((await statusesOnly("/api/v1/notifications/unread_count")).status).toBe(403);
    const readOnly = apiFetch(alice, await apiToken(alice, "read"));
    expect((await readOnly("/api/v1/notifications")).status).toBe(200);
    expect((await readOnly("/api/v1/notifications/clear", { method: "POST" })).status).toBe(403);
    expect((await readOnly("/api/v1/markers", { method: "POST", body: { home: { last_read_id: "1" } } })).status).toBe(403);
  });

  it("a follow, then a mention for each DM with its status; types[], exclude_types[], account_id, paging, one by id", async () => {
    expect((await bob.cli(["follow", alice.actor])).code).toBe(0);
    const follow = await eventually(async () => (await api("/api/v1/notifications")).json.find((n: Notification) => n.type === "follow"), "the follow notification");
    const bobHost = new URL(bob.url).host;
    expect(follow.account.acct).toBe(`bob@${bobHost}`);
    expect(follow.status).toBeUndefined();
    expect(follow.group_key).toBe(`ungrouped-${follow.id}`);

    const first = await bob.json(["dm", "send", alice.actor, "--text", "first note"]);
    await bob.json(["dm", "send", "--conversation", first.conversationId, "--text", "second note"]);
    await bob.json(["dm", "send", "--conversation", first.conversationId, "--text", "third note"]);
    const list: Notification[] = await eventually(async () => {
      const r = await api("/api/v1/notifications");
      return r.json.length === 4 ? r.json : null;
    }, "three mentions");
    expect(list.map((n) => n.type)).toEqual(["mention", "mention", "mention", "follow"]);
    expect(list[0].status!.content).toContain("third note");
    expect(list[2].status!.content).toContain("first note");
    expect(list[0].status!.visibility).toBe("direct");
    expect(list[0].account.acct).toBe(`bob@${bobHost}`);
    expect(new Date(list[0].created_at).getTime()).toBeGreaterThan(Date.now() - 120_000);
    // Newest first, by id as a number.
    const ids = list.map((n) => BigInt(n.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);

    const mentions = await api("/api/v1/notifications?types[]=mention");
    expect(mentions.json.map((n: Notification) => n.type)).toEqual(["mention", "mention", "mention"]);
    const follows = await api("/api/v1/notifications?exclude_types[]=mention&exclude_types[]=favourite");
    expect(follows.json.map((n: Notification) => n.id)).toEqual([follow.id]);
    expect((await api("/api/v1/notifications?types[]=favourite")).json).toEqual([]);
    expect((await api(`/api/v1/notifications?account_id=${follow.account.id}`)).json).toHaveLength(4);
    expect((await api(`/api/v1/notifications?account_id=424242`)).json).toEqual([]);

    // limit=1 pages through all four by the Link header; the last page is empty and has no Link.
    const paged = await allPages("/api/v1/notifications?limit=1");
    expect(paged.map((n) => n.id)).toEqual(list.map((n) => n.id));
    const page = await api("/api/v1/notifications?limit=2&types[]=mention");
    const link = page.headers.get("link")!;
    expect(link).toContain(`max_id=${list[1].id}`);
    expect(link).toContain(`min_id=${list[0].id}`);
    expect(link).toContain("types%5B%5D=mention");
    // min_id: the items right after it, still newest first.
    expect((await api(`/api/v1/notifications?min_id=${list[3].id}&limit=2`)).json.map((n: Notification) => n.id)).toEqual([list[1].id, list[2].id]);
    expect((await api(`/api/v1/notifications?since_id=${list[1].id}`)).json.map((n: Notification) => n.id)).toEqual([list[0].id]);

    const one = await api(`/api/v1/notifications/${list[0].id}`);
    expect(one.status).toBe(200);
    expect(one.json).toEqual(list[0]);
    expect((await api("/api/v1/notifications/99999999")).status).toBe(404);
    expect((await api("/api/v1/notifications/not-an-id")).status).toBe(404);

    // A DM its author deletes takes its mention along.
    expect((await bob.cli(["dm", "delete", first.messageId])).code).toBe(0);
    await eventually(async () => (await api("/api/v1/notifications")).json.length === 3, "the deleted DM's mention to go");
    expect((await api(`/api/v1/notifications/${list[2].id}`)).status).toBe(404);
  });

  it("markers save and read with a version; unread_count counts past the notifications marker", async () => {
    const list: Notification[] = (await api("/api/v1/notifications")).json;
    expect((await api("/api/v1/notifications/unread_count")).json).toEqual({ count: list.length });
    expect((await api("/api/v1/markers?timeline[]=home&timeline[]=notifications")).json).toEqual({});

    // Form fields, as Tusky sends them.
    const saved = await api("/api/v1/markers", {
      method: "POST",
      body: `notifications[last_read_id]=${list[1].id}&home[last_read_id]=${list[0].status!.id}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(saved.status).toBe(200);
    expect(saved.json.notifications).toMatchObject({ last_read_id: list[1].id, version: 0 });
    expect(saved.json.home).toMatchObject({ last_read_id: list[0].status!.id, version: 0 });
    expect((await api("/api/v1/notifications/unread_count")).json).toEqual({ count: 1 });

    // JSON, as masto.js sends it: the version goes up when the position moves.
    const moved = await api("/api/v1/markers", { method: "POST", body: { notifications: { last_read_id: list[0].id } } });
    expect(moved.json).toEqual({ notifications: { last_read_id: list[0].id, version: 1, updated_at: expect.any(String) } });
    expect((await api("/api/v1/notifications/unread_count")).json).toEqual({ count: 0 });
    const read = await api("/api/v1/markers?timeline[]=home&timeline[]=notifications");
    expect(read.json).toEqual({
      home: { last_read_id: list[0].status!.id, version: 0, updated_at: expect.any(String) },
      notifications: { last_read_id: list[0].id, version: 1, updated_at: expect.any(String) },
    });
    // Phanpy's unbracketed form.
    expect(Object.keys((await api("/api/v1/markers?timeline=notifications")).json)).toEqual(["notifications"]);
    const bad = await api("/api/v1/markers", { method: "POST", body: { home: { last_read_id: "abc" } } });
    expect(bad.status).toBe(422);
    expect(bad.json.error).toMatch(/last_read_id/);

    // A new DM is unread again.
    const conv = (await bob.json(["dm", "list"])).conversations[0].id;
    await bob.json(["dm", "send", "--conversation", conv, "--text", "fourth note"]);
    await eventually(async () => (await api("/api/v1/notifications/unread_count")).json.count === 1, "one unread");
  });

  it("a follow waiting for approval is a follow_request; dismiss and clear remove notifications", async () => {
    const db = new Database(path.join(alice.dataDir, "moiety.db"), { fileMustExist: true });
    db.prepare(`INSERT INTO "Setting" ("key", "value") VALUES ('approveFollowers', 'true') ON CONFLICT ("key") DO UPDATE SET "value" = 'true'`).run();
    db.close();
    expect((await bob.cli(["unfollow", alice.actor])).code).toBe(0);
    await eventually(async () => (await alice.json(["followers"])).followers.length === 0, "bob's unfollow to arrive");
    expect((await bob.cli(["follow", alice.actor])).code).toBe(0);
    const request = await eventually(
      async () => (await api("/api/v1/notifications?types[]=follow_request")).json[0] as Notification | undefined,
      "the follow_request notification",
    );
    expect(request.account.acct).toBe(`bob@${new URL(bob.url).host}`);

    const dismissed = await api(`/api/v1/notifications/${request.id}/dismiss`, { method: "POST" });
    expect(dismissed.status).toBe(200);
    expect(dismissed.json).toEqual({});
    expect((await api(`/api/v1/notifications/${request.id}`)).status).toBe(404);
    expect((await api(`/api/v1/notifications/${request.id}/dismiss`, { method: "POST" })).status).toBe(404);

    expect((await api("/api/v1/notifications")).json.length).toBeGreaterThan(0);
    const cleared = await api("/api/v1/notifications/clear", { method: "POST" });
    expect(cleared.status).toBe(200);
    const after = await api("/api/v1/notifications");
    expect(after.json).toEqual([]);
    expect(after.headers.get("link")).toBeNull();
    expect((await api("/api/v1/notifications/unread_count")).json).toEqual({ count: 0 });
  });
});
