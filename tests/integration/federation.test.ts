import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { eventually, startInstance, type Instance } from "../helpers/instances";

// Two real instances, alice and bob, on loopback ports: discovery, follows and
// DMs both ways through the CLI, over real HTTP with real signatures.

let alice: Instance;
let bob: Instance;

beforeAll(async () => {
  [alice, bob] = await Promise.all([startInstance("alice"), startInstance("bob")]);
});
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
});

const AP = { accept: "application/activity+json" };

describe("discovery", () => {
  it("answers WebFinger for acct: and the actor URL, 404 for strangers", async () => {
    const c = new Client(alice.url);
    const host = new URL(alice.url).host;
    for (const resource of [`acct:alice@${host}`, encodeURIComponent(`acct:alice@${host}`), alice.actor]) {
      const res = await c.get(`/.well-known/webfinger?resource=${resource}`);
      expect(res.status, resource).toBe(200);
      expect(res.headers["content-type"]).toMatch(/application\/jrd\+json/);
      expect(res.headers["access-control-allow-origin"]).toBe("*");
      const jrd = JSON.parse(res.body);
      // Fedify echoes the resource asked for as the subject; the acct: form is among the aliases otherwise.
      expect([jrd.subject, ...(jrd.aliases ?? [])]).toContain(`acct:alice@${host}`);
      const self = jrd.links.filter((l: { rel: string }) => l.rel === "self");
      expect(self).toEqual([{ rel: "self", type: "application/activity+json", href: alice.actor }]);
    }
    expect((await c.get(`/.well-known/webfinger?resource=acct:nobody@${host}`)).status).toBe(404);
  });

  it("serves the actor document to servers and the profile page to browsers", async () => {
    const c = new Client(alice.url);
    const res = await c.get("/users/alice", AP);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/activity\+json/);
    const actor = JSON.parse(res.body);
    expect(actor).toMatchObject({
      id: alice.actor,
      type: "Person",
      preferredUsername: "alice",
      inbox: `${alice.actor}/inbox`,
      outbox: `${alice.actor}/outbox`,
      followers: `${alice.actor}/followers`,
      following: `${alice.actor}/following`,
      endpoints: { sharedInbox: `${alice.url}/inbox` },
      publicKey: { id: `${alice.actor}#main-key`, owner: alice.actor },
      manuallyApprovesFollowers: false,
    });
    expect(actor.publicKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(JSON.stringify(actor.assertionMethod)).toContain("Multikey");

    const html = await c.get("/users/alice", { accept: "text/html" });
    expect(html.status).toBe(200);
    expect(html.body).toContain(`<link rel="alternate" type="application/activity+json" href="${alice.actor}"/>`);
    expect(html.body).toContain("Alice");

    for (const col of ["followers", "following", "outbox"]) {
      const r = JSON.parse((await c.get(`/users/alice/${col}`, AP)).body);
      expect(r.totalItems, col).toBe(0);
      expect(r.first, col).toBeTruthy();
    }
    expect((await c.get("/users/nobody", AP)).status).toBe(404);
  });

  it("serves host-meta pointing at WebFinger", async () => {
    const res = await new Client(alice.url).get("/.well-known/host-meta");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/xrd\+xml/);
    expect(res.body).toContain(`<Link rel="lrdd" template="${alice.url}/.well-known/webfinger?resource={uri}"/>`);
  });

  it("serves NodeInfo 2.0 and 2.1 without counting posts", async () => {
    const c = new Client(alice.url);
    const links = JSON.parse((await c.get("/.well-known/nodeinfo")).body).links;
    expect(links.map((l: { href: string }) => l.href)).toEqual([`${alice.url}/nodeinfo/2.0`, `${alice.url}/nodeinfo/2.1`]);
    for (const v of ["2.0", "2.1"]) {
      const ni = JSON.parse((await c.get(`/nodeinfo/${v}`)).body);
      expect(ni.software.name).toBe("moiety");
      expect(ni.protocols).toEqual(["activitypub"]);
      expect(ni.openRegistrations).toBe(false);
      expect(ni.usage.users.total).toBe(1);
      expect(ni.usage.localPosts).toBe(0);
    }
  });
});

describe("inbox security", () => {
  it("refuses an unsigned activity with 401 and stores nothing", async () => {
    const c = new Client(alice.url);
    const activity = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${bob.actor}#forged`,
      type: "Create",
      actor: bob.actor,
      to: [alice.actor],
      object: { id: `${bob.actor}/notes/forged`, type: "Note", attributedTo: bob.actor, to: [alice.actor], content: "forged" },
    };
    const res = await c.request("POST", "/users/alice/inbox", {
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(activity),
    });
    expect(res.status).toBe(401);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(JSON.parse(res.body).error).toEqual(expect.any(String));
    expect((await alice.json(["dm", "list"])).conversations).toEqual([]);
  });
});

describe("follows", () => {
  it("bob follows alice: accepted automatically, listed on both sides", async () => {
    const r = await bob.cli(["follow", alice.actor]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Follow request sent to @alice@");
    await eventually(async () => (await bob.json(["following"])).following[0]?.state === "accepted", "bob's follow accepted");
    const followers = (await alice.json(["followers"])).followers;
    expect(followers).toEqual([expect.objectContaining({ actor: bob.actor, handle: `@bob@${new URL(bob.url).host}`, state: "accepted" })]);
    const count = JSON.parse((await new Client(alice.url).get("/users/alice/followers", AP)).body).totalItems;
    expect(count).toBe(1);
  });
});

describe("direct messages", () => {
  let aliceConv: string;
  let bobConv: string;

  it("alice writes to bob; bob receives it, alice sees it delivered", async () => {
    const sent = await alice.json(["dm", "send", bob.actor, "--text", "Hello Bob, <b>not bold</b> https://example.com"]);
    aliceConv = sent.conversationId;
    const list = await eventually(async () => {
      const l = await bob.json(["dm", "list"]);
      return l.conversations.length === 1 ? l : null;
    }, "bob to receive the DM");
    const conv = list.conversations[0];
    bobConv = conv.id;
    expect(conv.participants).toEqual([{ handle: `@alice@${new URL(alice.url).host}`, actor: alice.actor, name: "Alice" }]);
    expect(conv.unread).toBe(1);
    expect(conv.preview).toContain("Hello Bob, <b>not bold</b>");

    const shown = await bob.json(["dm", "show", bobConv]);
    expect(shown.messages).toHaveLength(1);
    expect(shown.messages[0]).toMatchObject({ direction: "in", author: alice.actor, text: "Hello Bob, <b>not bold</b> https://example.com" });
    expect(shown.messages[0].html).toContain("&lt;b&gt;not bold&lt;/b&gt;");
    expect(shown.messages[0].html).toContain('<a href="https://example.com/" rel="nofollow noopener noreferrer" target="_blank">');

    const mine = await eventually(async () => {
      const s = await alice.json(["dm", "show", aliceConv]);
      return s.messages[0].deliveries[0]?.state === "delivered" ? s : null;
    }, "alice's delivery to be marked delivered");
    expect(mine.messages[0].deliveries).toEqual([{ inbox: `${bob.actor}/inbox`, state: "delivered", lastStatus: 202 }]);
  });

  it("bob's reply lands in the same conversation on both sides", async () => {
    const r = await bob.cli(["dm", "send", "--conversation", bobConv, "--text", "Hi Alice!"]);
    expect(r.stderr).toBe("");
    const s = await eventually(async () => {
      const s = await alice.json(["dm", "show", aliceConv]);
      return s.messages.length === 2 ? s : null;
    }, "alice to receive bob's reply");
    expect(s.messages.map((m: { direction: string; text: string }) => [m.direction, m.text])).toEqual([
      ["out", "Hello Bob, <b>not bold</b> https://example.com"],
      ["in", "Hi Alice!"],
    ]);
    expect((await alice.json(["dm", "list"])).conversations).toHaveLength(1);
  });

  it("an edit and a delete reach the other side", async () => {
    const mine = await alice.json(["dm", "show", aliceConv]);
    const first = mine.messages[0].id;
    expect((await alice.cli(["dm", "edit", first, "--text", "Hello Bob (edited)"])).code).toBe(0);
    await eventually(async () => {
      const s = await bob.json(["dm", "show", bobConv]);
      return s.messages[0].text === "Hello Bob (edited)" && s.messages[0].updated !== null;
    }, "bob to see the edit");
    expect((await alice.cli(["dm", "delete", first])).code).toBe(0);
    const s = await eventually(async () => {
      const s = await bob.json(["dm", "show", bobConv]);
      return s.messages[0].deleted ? s : null;
    }, "bob to see the delete");
    expect(s.messages[0].text).toBe("");
    expect(s.messages).toHaveLength(2);
  });

  it("a DM's object URL answers 404 without a signature", async () => {
    const mine = await alice.json(["dm", "show", aliceConv]);
    const reply = mine.messages[1];
    expect(reply.direction).toBe("in");
    const bobMsgs = await bob.json(["dm", "show", bobConv]);
    const bobsOwn = bobMsgs.messages.find((m: { direction: string }) => m.direction === "out");
    const path = `/users/bob/notes/${bobsOwn.id}`;
    expect((await new Client(bob.url).get(path, AP)).status).toBe(404);
  });

  it("with DMs on both sides, no public surface shows one", async () => {
    for (const inst of [alice, bob]) {
      const c = new Client(inst.url);
      const name = inst === alice ? "alice" : "bob";
      const texts = (await inst.json(["dm", "show", inst === alice ? aliceConv : bobConv])).messages
        .map((m: { text: string }) => m.text)
        .filter((t: string) => t.length > 0);
      expect(texts.length, name).toBeGreaterThan(0);
      const outbox = JSON.parse((await c.get(`/users/${name}/outbox`, AP)).body);
      expect(outbox.totalItems, name).toBe(0);
      const first = typeof outbox.first === "string" ? JSON.parse((await c.get(new URL(outbox.first).pathname + new URL(outbox.first).search, AP)).body) : outbox.first;
      expect(first.orderedItems ?? first.items ?? [], name).toEqual([]);
      for (const v of ["2.0", "2.1"]) expect(JSON.parse((await c.get(`/nodeinfo/${v}`)).body).usage.localPosts, name).toBe(0);
      const surfaces = [
        (await c.get(`/users/${name}`, { accept: "text/html" })).body,
        (await c.get(`/users/${name}`, AP)).body,
        (await c.get("/")).body,
      ];
      for (const feed of [`/users/${name}.rss`, `/users/${name}.atom`, `/users/${name}/feed`, "/feed", "/rss"]) {
        const r = await c.get(feed);
        expect(r.status, feed).toBe(404);
        surfaces.push(r.body);
      }
      for (const body of surfaces) for (const t of texts) expect(body, name).not.toContain(t);
    }
  });

  it("refuses bad input from the CLI with one line", async () => {
    const empty = await alice.cli(["dm", "send", bob.actor, "--text", "   "]);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr.trim()).toBe("moiety dm: The message is empty.");
    const nobody = await alice.cli(["dm", "send", "not a handle", "--text", "x"]);
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr.trim().split("\n")).toHaveLength(1);
    const both = await alice.cli(["dm", "send", bob.actor, "--conversation", aliceConv, "--text", "x"]);
    expect(both.stderr.trim()).toMatch(/not both/);
  });
});

describe("blocks", () => {
  it("after alice blocks bob, his messages are refused and nothing is stored", async () => {
    const r = await alice.cli(["block", bob.actor]);
    expect(r.stderr).toBe("");
    expect((await alice.json(["followers"])).followers).toEqual([]);
    const before = (await alice.json(["dm", "show", (await alice.json(["dm", "list"])).conversations[0].id])).messages.length;
    const sent = await bob.json(["dm", "send", alice.actor, "--text", "are you there?"]);
    const failed = await eventually(async () => {
      const s = await bob.json(["dm", "show", sent.conversationId]);
      const m = s.messages.find((x: { id: string }) => x.id === sent.messageId);
      return m.deliveries[0]?.state === "failed" ? m : null;
    }, "bob's delivery to fail");
    expect(failed.deliveries[0].lastStatus).toBe(403);
    const after = (await alice.json(["dm", "show", (await alice.json(["dm", "list"])).conversations[0].id])).messages.length;
    expect(after).toBe(before);
  });
});
