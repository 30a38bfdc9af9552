import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { createRestAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiFetch, apiToken } from "../helpers/api-token";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { Peer, type PeerActor } from "../helpers/peer";

// Statuses, media, conversations and the home timeline of the Mastodon client
// API between two real instances: alice writes through masto.js 7 (a client
// written against Mastodon), bob answers through his own API. Carol lives on a
// third (fake) server that records what reaches her inbox: a reply that
// mentions her must still go only to the conversation's people.

const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

let alice: Instance;
let bob: Instance;
let peer: Peer;
let carol: PeerActor;
let aliceToken: string;
let bobToken: string;
let aliceReadOnly: string;
let masto: mastodon.rest.Client;
let bobHandle: string;

const aliceApi = () => apiFetch(alice, aliceToken);
const bobApi = () => apiFetch(bob, bobToken);

beforeAll(async () => {
  peer = await Peer.start();
  [alice, bob, carol] = await Promise.all([startInstance("alice"), startInstance("bob"), peer.addActor("carol")]);
  [aliceToken, bobToken, aliceReadOnly] = await Promise.all([apiToken(alice), apiToken(bob), apiToken(alice, "read")]);
  masto = createRestAPIClient({ url: alice.url, accessToken: aliceToken });
  bobHandle = `@bob@${new URL(bob.url).host}`;
}, 120_000);
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop(), peer?.close()]);
});

/** Bob's status (through his API) for the message whose text contains `text`, once it has arrived. */
async function bobsStatus(text: string) {
  return eventually(async () => {
    const home = await bobApi()("/api/v1/timelines/home?limit=40");
    return (home.json as any[]).find((s) => s.content.includes(text));
  }, `bob to receive "${text}"`);
}

describe("Mastodon statuses and conversations between two instances", () => {
  it("sends a direct status, the reply stays in the conversation, and the conversation lists, reads and pages", async () => {
    const first = await masto.v1.statuses.create({ status: `${bobHandle} Hello Bob, from an app`, visibility: "direct" });
    expect(first).toMatchObject({ visibility: "direct", account: { id: "1", acct: "alice" }, inReplyToId: null });
    expect(first.id).toMatch(/^[0-9]+$/);
    expect(first.mentions.map((m) => m.acct)).toEqual([bobHandle.slice(1)]);
    expect(await masto.v1.statuses.$select(first.id).fetch()).toMatchObject({ id: first.id, content: first.content });

    // Bob answers through his API, mentioning carol too: she must not be added.
    const received = await bobsStatus("Hello Bob, from an app");
    expect(received.account.acct).toBe(`alice@${new URL(alice.url).host}`);
    const reply = await bobApi()("/api/v1/statuses", {
      body: { status: `@alice@${new URL(alice.url).host} ${carol.handle} Hi Alice, only you`, visibility: "direct", in_reply_to_id: received.id },
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json.in_reply_to_id).toBe(received.id);
    expect(reply.json.mentions.map((m: any) => m.acct)).toEqual([`alice@${new URL(alice.url).host}`]);

    // Alice's conversation: unread, the reply last, bob the only other account.
    const conv = await eventually(async () => {
      const list = await masto.v1.conversations.list();
      return list.find((c) => c.lastStatus?.content.includes("Hi Alice, only you"));
    }, "the reply in alice's conversations");
    expect(conv.unread).toBe(true);
    expect(conv.accounts.map((a) => a.acct)).toEqual([bobHandle.slice(1)]);
    expect(conv.lastStatus!.inReplyToId).toBe(first.id);
    // Bob's server delivered to alice only: nothing reached carol's inbox.
    expect(peer.inboxActivities("carol")).toEqual([]);
    expect(peer.requests.filter((r) => r.method === "POST")).toEqual([]);

    const read = await masto.v1.conversations.$select(conv.id).read();
    expect(read).toMatchObject({ id: conv.id, unread: false });
    expect((await masto.v1.conversations.list()).find((c) => c.id === conv.id)?.unread).toBe(false);

    // The chat view: the whole conversation around a status, oldest first.
    const context = await masto.v1.statuses.$select(conv.lastStatus!.id).context.fetch();
    expect(context.ancestors.map((s) => s.id)).toEqual([first.id]);
    expect(context.descendants).toEqual([]);
    const around = await masto.v1.statuses.$select(first.id).context.fetch();
    expect(around.ancestors).toEqual([]);
    expect(around.descendants.map((s) => s.id)).toEqual([conv.lastStatus!.id]);

    // A reply's audience is the conversation's, whatever the text mentions.
    const second = await masto.v1.statuses.create({ status: `${carol.handle} still just Bob`, visibility: "direct", inReplyToId: conv.lastStatus!.id });
    expect(second.mentions.map((m) => m.acct)).toEqual([bobHandle.slice(1)]);
    await bobsStatus("still just Bob");
    expect(peer.requests.filter((r) => r.method === "POST")).toEqual([]);

    // Edit: bob sees the new text; the source gives it back as typed.
    const edited = await masto.v1.statuses.$select(first.id).update({ status: `${bobHandle} Hello Bob (edited)` });
    expect(edited.content).toContain("Hello Bob (edited)");
    expect(edited.editedAt).toBeTruthy();
    expect((await masto.v1.statuses.$select(first.id).source.fetch()).text).toBe(`${bobHandle} Hello Bob (edited)`);
    await eventually(async () => ((await bobApi()(`/api/v1/statuses/${received.id}`)).json?.content ?? "").includes("Hello Bob (edited)"), "bob to see the edit");
    const history = await aliceApi()(`/api/v1/statuses/${first.id}/history`);
    expect(history.json).toHaveLength(1);
    expect(history.json[0].content).toContain("Hello Bob (edited)");

    // Others' statuses cannot be edited or deleted.
    const bobsOnAlice = conv.lastStatus!.id;
    expect((await aliceApi()(`/api/v1/statuses/${bobsOnAlice}`, { method: "PUT", body: { status: "forged" } })).status).toBe(404);
    expect((await aliceApi()(`/api/v1/statuses/${bobsOnAlice}`, { method: "DELETE" })).status).toBe(404);

    // Delete: the answer carries the source text; the status is gone on both sides.
    const removed = await aliceApi()(`/api/v1/statuses/${first.id}`, { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(removed.json).toMatchObject({ id: first.id, text: `${bobHandle} Hello Bob (edited)` });
    expect((await aliceApi()(`/api/v1/statuses/${first.id}`)).status).toBe(404);
    expect((await aliceApi()(`/api/v1/statuses/${first.id}`, { method: "PUT", body: { status: "again" } })).status).toBe(404);
    await eventually(async () => (await bobApi()(`/api/v1/statuses/${received.id}`)).status === 404, "the status to be gone on bob's side");
  });

  it("uploads an image with alt text and sends it; the media id stays, and is used once", async () => {
    const media = await masto.v2.media.create({ file: new Blob([PNG], { type: "image/png" }), description: "a red dot" });
    expect(media).toMatchObject({ type: "image", description: "a red dot" });
    expect(media.id).toMatch(/^[0-9]+$/);
    const preview = await fetch(media.url!);
    expect(preview.status).toBe(200);
    expect(preview.headers.get("content-type")).toBe("image/png");
    expect((await masto.v1.media.$select(media.id).update({ description: "a small red dot" })).description).toBe("a small red dot");
    expect((await masto.v1.media.$select(media.id).fetch()).description).toBe("a small red dot");

    const status = await masto.v1.statuses.create({ status: `${bobHandle} a picture`, visibility: "direct", mediaIds: [media.id] });
    expect(status.mediaAttachments).toHaveLength(1);
    expect(status.mediaAttachments[0]).toMatchObject({ id: media.id, type: "image", description: "a small red dot" });
    // Attached: no longer found or changed through /media, and not attachable again.
    expect((await aliceApi()(`/api/v1/media/${media.id}`)).status).toBe(404);
    expect((await aliceApi()(`/api/v1/media/${media.id}`, { method: "PUT", body: { description: "x" } })).status).toBe(404);
    const again = await aliceApi()("/api/v1/statuses", { body: { status: `${bobHandle} twice`, visibility: "direct", media_ids: [media.id] } });
    expect(again.status).toBe(422);
    expect(again.json.error).toMatch(/already sent/);

    const onBob = await bobsStatus("a picture");
    expect(onBob.media_attachments).toHaveLength(1);
    expect(onBob.media_attachments[0]).toMatchObject({ type: "image", description: "a small red dot" });
    const image = await fetch(onBob.media_attachments[0].url);
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);

    // What the web UI refuses is refused here too, in plain words.
    const form = new FormData();
    form.set("file", new Blob([Buffer.from("not an image at all")]), "notes.txt");
    const bad = await aliceApi()("/api/v2/media", { body: form });
    expect(bad.status).toBe(422);
    expect(bad.json.error).toBe("Upload PNG, JPEG, WebP or GIF images only.");
    const longAlt = new FormData();
    longAlt.set("file", new Blob([PNG]), "dot.png");
    longAlt.set("description", "x".repeat(1501));
    expect((await aliceApi()("/api/v1/media", { body: longAlt })).json.error).toBe("Alt text has at most 1500 characters.");
    const huge = new FormData();
    huge.set("file", new Blob([Buffer.concat([PNG, Buffer.alloc(8 * 1024 * 1024)])]), "huge.png");
    expect((await aliceApi()("/api/v2/media", { body: huge })).json).toEqual({ error: "The image is larger than 8 MB." });
    // Two statuses racing for one upload: one takes it, the other is refused whole.
    const contested = await masto.v2.media.create({ file: new Blob([PNG], { type: "image/png" }) });
    const race = await Promise.all(
      ["one", "two"].map((n) => aliceApi()("/api/v1/statuses", { body: { status: `${bobHandle} race ${n}`, media_ids: [contested.id] } })),
    );
    expect(race.map((r) => r.status).sort()).toEqual([200, 422]);
    const homeAfterRace = (await aliceApi()("/api/v1/timelines/home?limit=40")).json as any[];
    expect(homeAfterRace.filter((s) => s.content.includes("race "))).toHaveLength(1);
    const unknown = await aliceApi()("/api/v1/statuses", { body: { status: `${bobHandle} x`, media_ids: ["123456789"] } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error).toBe("There is no uploaded media with id 123456789.");

    // An upload no status took within a day goes (file and all) with a later upload; a sent one stays.
    const forgotten = await masto.v2.media.create({ file: new Blob([PNG], { type: "image/png" }), description: "never sent" });
    const file = path.join(alice.dataDir, "media", new URL(forgotten.url!).pathname.split("/").pop()!);
    expect(fs.existsSync(file)).toBe(true);
    const db = new Database(path.join(alice.dataDir, "moiety.db"));
    try {
      const row = db.prepare(`SELECT "createdAt" FROM "ApiMedia" WHERE "id" = ?`).get(BigInt(forgotten.id)) as { createdAt: string };
      const dayAndMinuteAgo = new Date(Date.now() - 24 * 60 * 60_000 - 60_000).toISOString();
      // Written in the stored form (text that compares as time).
      const older = /\+00:00$/.test(row.createdAt) ? dayAndMinuteAgo.replace("Z", "+00:00") : dayAndMinuteAgo;
      db.prepare(`UPDATE "ApiMedia" SET "createdAt" = ? WHERE "id" = ? OR "id" = ?`).run(older, BigInt(forgotten.id), BigInt(media.id));
    } finally {
      db.close();
    }
    await masto.v2.media.create({ file: new Blob([PNG], { type: "image/png" }) });
    expect((await aliceApi()(`/api/v1/media/${forgotten.id}`)).status).toBe(404);
    expect(fs.existsSync(file)).toBe(false);
    expect((await fetch(forgotten.url!)).status).toBe(404);
    expect((await fetch(status.mediaAttachments[0].url!)).status).toBe(200);
  });

  it("sends once for a repeated Idempotency-Key, refuses other visibilities and statuses without recipients", async () => {
    const key = `key-${Date.now()}`;
    const post = () => aliceApi()("/api/v1/statuses", { body: { status: `${bobHandle} exactly once`, visibility: "direct" }, headers: { "idempotency-key": key } });
    const [a, b] = await Promise.all([post(), post()]);
    const c = await post();
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(b.json.id).toBe(a.json.id);
    expect(c.json.id).toBe(a.json.id);
    const home = (await aliceApi()("/api/v1/timelines/home?limit=40")).json as any[];
    expect(home.filter((s) => s.content.includes("exactly once"))).toHaveLength(1);
    await bobsStatus("exactly once");

    const publicPost = await aliceApi()("/api/v1/statuses", { body: { status: `${bobHandle} hi all`, visibility: "public" } });
    expect(publicPost.status).toBe(422);
    expect(publicPost.json.error).toMatch(/^Moiety only sends direct messages: set visibility to "direct"/);
    expect(publicPost.headers.get("content-type")).toMatch(/application\/json/);
    const nobody = await aliceApi()("/api/v1/statuses", { body: { status: "hello, anyone?" } });
    expect(nobody.status).toBe(422);
    expect(nobody.json.error).toBe("Mention at least one person (@user@host) to send a direct message.");
    const poll = await aliceApi()("/api/v1/statuses", { body: { status: `${bobHandle} vote`, poll: { options: ["a", "b"], expires_in: 600 } } });
    expect(poll.status).toBe(422);
    const scheduled = await aliceApi()("/api/v1/statuses", { body: { status: `${bobHandle} later`, scheduled_at: "2030-01-01T00:00:00Z" } });
    expect(scheduled.status).toBe(422);
    const noReplyTarget = await aliceApi()("/api/v1/statuses", { body: { status: "x", in_reply_to_id: "999" } });
    expect(noReplyTarget.status).toBe(404);
    // What apps always send with a post is accepted.
    const tusky = await aliceApi()("/api/v1/statuses", {
      body: { status: `${bobHandle} from tusky`, visibility: "direct", media_ids: [], media_attributes: [], poll: null, sensitive: false, spoiler_text: "", language: "en", quote_approval_policy: "nobody" },
    });
    expect(tusky.status, tusky.text).toBe(200);
  });

  it("pages the home timeline and the conversations with Link headers; DELETE hides a conversation until a new message", async () => {
    const all = (await aliceApi()("/api/v1/timelines/home?limit=40")).json as any[];
    expect(all.length).toBeGreaterThanOrEqual(4);
    const ids = all.map((s) => s.id);
    expect([...ids].sort((x, y) => y.length - x.length || (x < y ? 1 : x > y ? -1 : 0))).toEqual(ids);

    // limit=1, following the Link header's next page to the end.
    const seen: string[] = [];
    let next: string | null = "/api/v1/timelines/home?limit=1";
    while (next) {
      const page = await aliceApi()(next);
      expect(page.status).toBe(200);
      if (page.json.length === 0) {
        expect(page.headers.get("link")).toBeNull();
        break;
      }
      seen.push(...page.json.map((s: any) => s.id));
      const link = page.headers.get("link")!;
      expect(link).toMatch(/rel="next".*rel="prev"/);
      const nextUrl = new URL(/<([^>]+)>; rel="next"/.exec(link)![1]);
      next = nextUrl.pathname + nextUrl.search;
      expect(seen.length).toBeLessThanOrEqual(ids.length);
    }
    expect(seen).toEqual(ids);
    // masto.js' paginator follows the same links.
    const viaMasto: string[] = [];
    for await (const page of masto.v1.timelines.home.list({ limit: 2 })) viaMasto.push(...page.map((s) => s.id));
    expect(viaMasto).toEqual(ids);
    // min_id: the page right after it, still newest first.
    const after = (await aliceApi()(`/api/v1/timelines/home?min_id=${ids[ids.length - 1]}&limit=2`)).json as any[];
    expect(after.map((s) => s.id)).toEqual(ids.slice(-3, -1));

    const convs = await masto.v1.conversations.list();
    expect(convs).toHaveLength(1);
    const conv = convs[0];
    const paged = await aliceApi()(`/api/v1/conversations?max_id=${conv.lastStatus!.id}`);
    expect(paged.json).toEqual([]);
    expect(paged.headers.get("link")).toBeNull();
    expect((await aliceApi()(`/api/v1/conversations?since_id=${BigInt(conv.lastStatus!.id) - 1n}`)).json.map((c: any) => c.id)).toEqual([conv.id]);

    await masto.v1.conversations.$select(conv.id).remove();
    expect(await masto.v1.conversations.list()).toEqual([]);
    expect((await aliceApi()(`/api/v1/conversations/${conv.id}/read`, { method: "POST" })).status).toBe(404);
    // Its statuses stay.
    expect((await aliceApi()(`/api/v1/statuses/${conv.lastStatus!.id}`)).status).toBe(200);

    const onBob = await bobsStatus("from tusky");
    expect((await bobApi()("/api/v1/statuses", { body: { status: "back again", in_reply_to_id: onBob.id } })).status).toBe(200);
    const back = await eventually(async () => (await masto.v1.conversations.list()).find((c) => c.id === conv.id), "the conversation to come back");
    expect(back.lastStatus!.content).toContain("back again");
    expect(back.unread).toBe(true);

    expect((await aliceApi()("/api/v1/timelines/public")).json).toEqual([]);
    expect((await aliceApi()("/api/v1/timelines/tag/moiety")).json).toEqual([]);
  });

  it("answers 401 without a token and 403 to a read-only token that writes", async () => {
    const id = ((await aliceApi()("/api/v1/timelines/home?limit=1")).json as any[])[0].id;
    const convId = ((await aliceApi()("/api/v1/conversations")).json as any[])[0].id;
    const anonymous = apiFetch(alice, null);
    const calls: [string, string][] = [
      ["POST", "/api/v1/statuses"],
      ["GET", `/api/v1/statuses/${id}`],
      ["GET", `/api/v1/statuses/${id}/context`],
      ["GET", `/api/v1/statuses/${id}/source`],
      ["GET", `/api/v1/statuses/${id}/history`],
      ["PUT", `/api/v1/statuses/${id}`],
      ["DELETE", `/api/v1/statuses/${id}`],
      ["POST", "/api/v2/media"],
      ["POST", "/api/v1/media"],
      ["GET", "/api/v1/media/1"],
      ["PUT", "/api/v1/media/1"],
      ["GET", "/api/v1/conversations"],
      ["POST", `/api/v1/conversations/${convId}/read`],
      ["DELETE", `/api/v1/conversations/${convId}`],
      ["GET", "/api/v1/timelines/home"],
    ];
    for (const [method, path] of calls) {
      const r = await anonymous(path, { method, ...(method === "GET" ? {} : { body: { status: `${bobHandle} x` } }) });
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.json, `${method} ${path}`).toEqual({ error: "The access token is invalid" });
      expect(r.text, `${method} ${path}`).not.toContain("Hello");
    }
    const readOnly = apiFetch(alice, aliceReadOnly);
    for (const [method, path] of calls.filter(([m]) => m !== "GET")) {
      const r = await readOnly(path, { method, body: { status: `${bobHandle} should not go` } });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    // ... while it reads.
    expect((await readOnly(`/api/v1/statuses/${id}`)).status).toBe(200);
    const home = (await aliceApi()("/api/v1/timelines/home?limit=40")).json as any[];
    expect(home.some((s) => s.content.includes("should not go"))).toBe(false);
  });

  it("sends a content warning and a sensitive flag with the Note; they arrive as spoiler_text and sensitive, and an edit changes or clears them", async () => {
    // To bob (a Moiety) and carol (a recording server), so the Note itself can be read as sent.
    const warned = await masto.v1.statuses.create({ status: `${bobHandle} ${carol.handle} how the film ends`, visibility: "direct", spoilerText: "  Film\nending  " });
    expect(warned).toMatchObject({ spoilerText: "Film ending", sensitive: true });
    const noteTo = (text: string, type = "Create"): Promise<any> =>
      eventually(async () => peer.inboxActivities("carol").map((r) => r.activity).find((a) => a?.type === type && String(a.object?.content).includes(text))?.object, `carol to get the ${type}`);
    const note = await noteTo("how the film ends");
    expect(note).toMatchObject({ summary: "Film ending", sensitive: true });
    const onBob = await bobsStatus("how the film ends");
    expect(onBob).toMatchObject({ spoiler_text: "Film ending", sensitive: true });

    // sensitive alone: the images are marked, no warning is sent.
    const media = await masto.v2.media.create({ file: new Blob([PNG], { type: "image/png" }), description: "a dot" });
    const marked = await aliceApi()("/api/v1/statuses", { body: `status=${encodeURIComponent(`${bobHandle} ${carol.handle} marked picture`)}&media_ids[]=${media.id}&sensitive=true&spoiler_text=`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(marked.status, marked.text).toBe(200);
    expect(marked.json).toMatchObject({ spoiler_text: "", sensitive: true });
    const markedNote = await noteTo("marked picture");
    expect(markedNote.sensitive).toBe(true);
    expect(markedNote).not.toHaveProperty("summary");
    expect(await bobsStatus("marked picture")).toMatchObject({ spoiler_text: "", sensitive: true });

    // A plain status stays unmarked.
    const plain = await masto.v1.statuses.create({ status: `${bobHandle} ${carol.handle} nothing to hide`, visibility: "direct" });
    expect(plain).toMatchObject({ spoilerText: "", sensitive: false });
    expect((await noteTo("nothing to hide")).sensitive).toBe(false);

    // An edit that leaves spoiler_text out keeps the warning; "" clears it, everywhere.
    const kept = await aliceApi()(`/api/v1/statuses/${warned.id}`, { method: "PUT", body: { status: `${bobHandle} ${carol.handle} how the film ends, edited` } });
    expect(kept.json).toMatchObject({ spoiler_text: "Film ending", sensitive: true });
    expect((await noteTo("how the film ends, edited", "Update")).summary).toBe("Film ending");
    const cleared = await aliceApi()(`/api/v1/statuses/${warned.id}`, { method: "PUT", body: { status: `${bobHandle} ${carol.handle} the ending, no longer hidden`, spoiler_text: "" } });
    expect(cleared.json).toMatchObject({ spoiler_text: "", sensitive: false });
    const clearedNote = await noteTo("the ending, no longer hidden", "Update");
    expect(clearedNote).not.toHaveProperty("summary");
    expect(clearedNote.sensitive).toBe(false);
    await eventually(async () => {
      const s = (await bobApi()(`/api/v1/statuses/${onBob.id}`)).json;
      return s.spoiler_text === "" && s.sensitive === false && s.content.includes("no longer hidden") ? s : undefined;
    }, "bob to see the warning gone");

    // The command line sends one too.
    const cli = await alice.cli(["dm", "send", bobHandle, "--text", "from the shell", "--content-warning", "Shell spoilers"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(await bobsStatus("from the shell")).toMatchObject({ spoiler_text: "Shell spoilers", sensitive: true });

    // A warning counts against the length limit with the text, and says so.
    const long = await aliceApi()("/api/v1/statuses", { body: { status: `${bobHandle} hi`, spoiler_text: "x".repeat(5000) } });
    expect(long.status).toBe(422);
    expect(long.json.error).toBe("The message and its content warning are longer than 5000 characters together.");
  });
});
