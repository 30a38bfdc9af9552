import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { adaptFixture, LITEPUB_TERMS, Peer, waitForInboxIdle, type PeerActor, type RecordedRequest, type SignOptions } from "../helpers/peer";

// One Moiety instance (owner "dave") and a test peer that plays Mastodon 4.5
// and 4.3, GoToSocial, Misskey and Pleroma: activities shaped like each
// server's (the fixtures, with their placeholder hosts rewritten to the peer
// and to dave), signed with real keys, delivered over real HTTP. What Moiety
// stored is read back through the CLI; what it sent is what the peer recorded.

let dave: Instance;
let peer: Peer;
let elsewhere: Peer; // a second host, for "from another server" cases
const owners = new Map<PeerActor, Peer>();

let alice: PeerActor; // Mastodon 4.5
let ann: PeerActor; // Mastodon 4.3
let carol: PeerActor; // GoToSocial (keyId …/main-key)
let mika: PeerActor; // Misskey
let erin: PeerActor; // Pleroma
let fiona: PeerActor; // follows, then unfollows
let gus: PeerActor; // followed both ways, then blocks dave
let hal: PeerActor; // writes, follows, then deletes his account
let ivan: PeerActor; // deletes an account dave never heard of
let mallory: PeerActor; // on the other host

beforeAll(async () => {
  [peer, elsewhere] = await Promise.all([Peer.start(), Peer.start()]);
  // Keys are generated while the instance starts.
  [dave, [alice, ann, carol, mika, erin, fiona, gus, hal, ivan, mallory]] = await Promise.all([
    startInstance("dave"),
    Promise.all([
      peer.addActor("alice"),
      peer.addActor("ann"),
      peer.addActor("carol", { keyStyle: "path" }),
      ...["mika", "erin", "fiona", "gus", "hal", "ivan"].map((name) => peer.addActor(name)),
      elsewhere.addActor("mallory"),
    ]),
  ]);
  for (const a of [alice, ann, carol, mika, erin, fiona, gus, hal, ivan]) owners.set(a, peer);
  owners.set(mallory, elsewhere);
});

afterAll(async () => {
  await Promise.all([dave?.stop(), peer?.close(), elsewhere?.close()]);
});

const daveHost = () => new URL(dave.url).host;

/** The placeholders for "us" in every fixture. */
const ours = (): [string, string][] => [
  ["https://ours.example/users/dave", dave.actor],
  ["https://ours.example/@dave", `${dave.url}/@dave`],
  ["@dave@ours.example", `@dave@${daveHost()}`],
  ["https://ours.example", dave.url],
];

const mastodon = (a: PeerActor): [string, string][] => [
  ["https://mastodon.example/ap/users/115521409425946651", a.id],
  ["https://mastodon.example/@alice", `${peer.url}/@${a.username}`],
  ["https://mastodon.example", peer.url],
  ...ours(),
];

/** Sign as `from` and POST to dave's personal inbox (or `to`); it must be accepted with 202. */
async function deliver(from: PeerActor, activity: any, opts: SignOptions = {}, to = `${dave.actor}/inbox`) {
  const res = await owners.get(from)!.post(to, activity, from, opts);
  expect(res.status, `${activity.type} ${activity.id} from ${from.username}: ${res.body}`).toBe(202);
  return res;
}

const idle = () => waitForInboxIdle(dave.dataDir);

type Conv = { id: string; participants: { actor: string; handle: string | null; name: string | null }[]; preview: string; unread: number };
type Shown = { id: string; participants: { actor: string }[]; messages: { id: string; direction: string; author: string; text: string; html: string; deleted: boolean; updated: string | null }[] };

const people = (c: { participants: { actor: string }[] }) => c.participants.map((p) => p.actor).sort();
let conversations: Conv[] = [];
const convWith = (...actors: PeerActor[]) => {
  const want = actors.map((a) => a.id).sort();
  const c = conversations.find((x) => JSON.stringify(people(x)) === JSON.stringify(want));
  if (!c) throw new Error(`no conversation with ${want.join(", ")}: ${JSON.stringify(conversations.map(people))}`);
  return c;
};

// Object ids the later steps refer to.
const ids = {
  aliceFirst: "",
  aliceReply: "",
  annFirst: "",
  erinDm: "",
  daveToCarol: "",
};

function aliceDm() {
  const a = adaptFixture("mastodon-dm-create.json", mastodon(alice));
  ids.aliceFirst = a.object.id;
  return a;
}

/** A Mastodon 4.5 DM derived from alice's, for another actor or as a reply. */
function mastodonDm(from: PeerActor, n: string, text: string, extra: Record<string, unknown> = {}) {
  const a = adaptFixture("mastodon-dm-create.json", mastodon(from));
  const note = `${from.id}/statuses/${n}`;
  a.id = `${note}/activity`;
  Object.assign(a.object, { id: note, atomUri: note, url: `${peer.url}/@${from.username}/${n}`, content: `<p>${text}</p>`, contentMap: { en: `<p>${text}</p>` } }, extra);
  a.published = a.object.published;
  return a;
}

/**
 * A Pleroma fixture as erin's. Pleroma's @context names its litepub context by a URL on its own
 * host — here the peer, on 127.0.0.1. Moiety loads JSON-LD contexts with Fedify's own loader
 * (lib/federation/federation.ts, contextLoaderFactory), which refuses private addresses even
 * with MOIETY_ALLOW_PRIVATE_ADDRESSES=1, so the same terms are given inline instead. Use the
 * URL form again once the context loader honours that setting.
 */
function pleroma(name: string) {
  const a = adaptFixture(name, [["https://pleroma.example/users/erin", erin.id], ["https://pleroma.example", peer.url], ...ours()]);
  const litepub = `${peer.url}/schemas/litepub-0.1.jsonld`;
  expect(a["@context"]).toContain(litepub);
  a["@context"] = a["@context"].flatMap((c: unknown) => (c === litepub ? ["https://w3id.org/security/v1", LITEPUB_TERMS] : [c]));
  return a;
}

describe("incoming DMs from each kind of server", () => {
  it("accepts DMs shaped like Mastodon 4.5 and 4.3, GoToSocial, Misskey and Pleroma, and non-DMs, with 202", async () => {
    // Mastodon 4.5: context + conversation, from a stranger.
    await deliver(alice, aliceDm(), { signer: "fedify" });

    // Mastodon 4.3: only a tag: conversation; a reply to dave and carol (another participant set).
    const m43 = adaptFixture("mastodon-4.3-dm-reply-with-media.json", [
      ["https://mastodon43.example/users/alice", ann.id],
      ["https://mastodon43.example/@alice", `${peer.url}/@ann`],
      ["https://mastodon43.example", peer.url],
      ["https://gts.example/users/carol", carol.id],
      ["https://gts.example/@carol", `${peer.url}/@carol`],
      ["@carol@gts.example", carol.handle],
      ...ours(),
    ]);
    ids.annFirst = m43.object.id;
    await deliver(ann, m43);

    // GoToSocial: scalar to, tag as an object, no context; keyId …/main-key; hs2019.
    const gts = adaptFixture("gts-dm-create.json", [
      ["https://mastodon.example/users/alice", dave.actor],
      ["https://mastodon.example/@alice", `${dave.url}/@dave`],
      ["@alice@mastodon.example", `@dave@${daveHost()}`],
      ["@<span>alice</span>", "@<span>dave</span>"],
      ["https://gts.example/users/carol", carol.id],
      ["https://gts.example/@carol", `${peer.url}/@carol`],
      ["https://gts.example", peer.url],
    ]);
    expect(typeof gts.object.to).toBe("string");
    await deliver(carol, gts, { algorithm: "hs2019" });

    // Misskey: a `specified` note with _misskey_content, to the shared inbox.
    const mk = adaptFixture("misskey-dm-create.json", [
      ["https://misskey.example/users/9x8y7z6w5v", mika.id],
      ["https://misskey.example", peer.url],
      ...ours(),
    ]);
    await deliver(mika, mk, {}, `${dave.url}/inbox`);

    // Pleroma: a ChatMessage with a <script> in it, and a DM with context = conversation.
    await deliver(erin, pleroma("pleroma-chatmessage-create.json"));
    const pdm = pleroma("pleroma-dm-create.json");
    ids.erinDm = pdm.object.id;
    await deliver(erin, pdm);

    // Hal writes too (he deletes his account later).
    await deliver(hal, mastodonDm(hal, "7001", "hal here", { context: `${peer.url}/contexts/hal-1`, conversation: `${peer.url}/contexts/hal-1` }));

    // Not DMs: public, unlisted and followers-only posts that mention dave.
    for (const name of ["mastodon-public-create.json", "mastodon-unlisted-create.json", "mastodon-followers-create.json"]) {
      await deliver(alice, adaptFixture(name, mastodon(alice)));
    }
    await deliver(mika, adaptFixture("misskey-followers-create.json", [["https://misskey.example/users/9x8y7z6w5v", mika.id], ["https://misskey.example", peer.url], ...ours()]));

    // Follows from fiona, gus and hal.
    for (const a of [fiona, gus, hal]) {
      const follow = adaptFixture("mastodon-follow.json", mastodon(a));
      follow.id = `${a.id}#follows/${a.username}`;
      await deliver(a, follow);
    }
    await idle();
  });
});

describe("follows", () => {
  it("answers each Follow with a signed Accept that embeds the Follow; dave's own Follow stays pending", async () => {
    const accepts = await eventually(async () => {
      const found = [fiona, gus, hal].map((a) => peer.inboxActivities(a.username).find((x) => x.activity?.type === "Accept"));
      return found.every(Boolean) ? found : null;
    }, "the Accepts to reach the peer");
    const { request, activity } = accepts[0]!;
    expect(activity).toMatchObject({
      type: "Accept",
      actor: dave.actor,
      object: { type: "Follow", id: `${fiona.id}#follows/fiona`, actor: fiona.id, object: dave.actor },
    });
    expect(request.headers.signature).toContain(`keyId="${dave.actor}#main-key"`);
    expect(await peer.verify(request)).toBe(`${dave.actor}#main-key`);

    // Dave follows gus back: pending until gus accepts (the peer never does).
    expect((await dave.cli(["follow", gus.id])).code).toBe(0);
    const [followers, following] = await Promise.all([dave.json(["followers"]), dave.json(["following"])]);
    expect(followers.followers.map((f: { actor: string; state: string }) => [f.actor, f.state]).sort()).toEqual(
      [fiona, gus, hal].map((a) => [a.id, "accepted"]),
    );
    expect(following.following).toEqual([expect.objectContaining({ actor: gus.id, state: "pending" })]);
    await eventually(async () => peer.inboxActivities("gus").some((x) => x.activity?.type === "Follow"), "dave's Follow to reach gus");
  });
});

let sentConversation = "";

describe("outgoing DMs", () => {
  let sent: { request: RecordedRequest; activity: any };

  it("dave's DM reaches the peer actor's own inbox addressed to that actor only, and signed", async () => {
    const out = await dave.json(["dm", "send", carol.id, "--text", "Hi Carol, see https://example.com/x"]);
    sentConversation = out.conversationId;
    sent = await eventually(async () => peer.inboxActivities("carol").find((x) => x.activity?.type === "Create") ?? null, "the DM to reach carol's inbox");
    const create = sent.activity;
    const note = create.object;
    ids.daveToCarol = note.id;
    expect(create.actor).toBe(dave.actor);
    expect(create.to).toEqual([carol.id]);
    expect(create.cc).toEqual([]);
    expect(note.to).toEqual(create.to);
    expect(note.cc).toEqual(create.cc);
    expect(note.attributedTo).toBe(dave.actor);
    expect(note.tag).toEqual([{ type: "Mention", href: carol.id, name: carol.handle }]);
    expect(note.inReplyTo).toBe(`${carol.id}/statuses/01JDA7K3M9QX2Y5R8T0V6W4Z1B`);
    const everything = JSON.stringify(create);
    expect(everything).not.toContain("#Public");
    expect(everything).not.toMatch(/"(as:)?Public"/);
    expect(everything).not.toContain("/followers");
    expect(new URL(note.id).host).toBe(daveHost());
    expect(sent.request.headers["content-type"]).toMatch(/^application\/activity\+json/);
    expect(sent.request.headers.signature).toContain(`keyId="${dave.actor}#main-key"`);
    expect(await peer.verify(sent.request)).toBe(`${dave.actor}#main-key`);
    // Nothing went anywhere else.
    expect(peer.received("/inbox", "POST")).toEqual([]);
  });
});

describe("replies, edits, deletes, unfollows, blocks and gone accounts", () => {
  it("accepts replies (one signed with a rotated key), Updates of a Note and of a Person, Deletes, an Undo, a Block and a Delete{Person}", async () => {
    // Mastodon 4.5 reply: same context, inReplyTo the first.
    const reply = mastodonDm(alice, "115581234567890125", 'and bring the <a href="https://maps.example/x">map</a>', {
      inReplyTo: ids.aliceFirst,
      published: "2025-11-20T10:20:00Z",
    });
    ids.aliceReply = reply.object.id;
    await deliver(alice, reply);

    // Mastodon 4.3: the same tag: conversation and the same two people.
    const m43 = adaptFixture("mastodon-4.3-dm-reply-with-media.json", [
      ["https://mastodon43.example/users/alice", ann.id],
      ["https://mastodon43.example", peer.url],
      ["https://gts.example/users/carol", carol.id],
      ...ours(),
    ]);
    m43.id = `${ann.id}/statuses/113500000000000003/activity`;
    Object.assign(m43.object, { id: `${ann.id}/statuses/113500000000000003`, inReplyTo: ids.annFirst, content: "<p>one more</p>", attachment: [], published: "2025-11-21T09:05:00Z" });
    await deliver(ann, m43);

    // Erin's server rotated her key since: the cached key fails, Moiety refetches hers once.
    await peer.rotateKey("erin");
    // Pleroma reply in the same context.
    const preply = pleroma("pleroma-dm-create.json");
    preply.id = `${peer.url}/activities/erin-reply`;
    Object.assign(preply.object, { id: `${peer.url}/objects/erin-reply`, inReplyTo: ids.erinDm, content: "or dinner?", published: "2025-11-20T14:20:00.000Z" });
    await deliver(erin, preply);

    // GoToSocial reply to dave's message: no context, threads by inReplyTo.
    const greply = adaptFixture("gts-reply-scalar-to.json", [
      ["https://ours.example/notes/01JDAB0000000000000000001", ids.daveToCarol],
      ["https://gts.example/users/carol", carol.id],
      ["https://gts.example", peer.url],
      ...ours(),
    ]);
    const now = new Date().toISOString();
    greply.published = greply.object.published = now; // written after dave's message
    await deliver(carol, greply, { algorithm: "hs2019" });
    await idle();

    // Edits of alice's reply: a later `updated` counts; an equal or earlier one does not.
    const update = (updated: string, text: string, n: number) => {
      const u = adaptFixture("mastodon-update-note.json", mastodon(alice));
      u.id = `${ids.aliceReply}#updates/${n}`;
      Object.assign(u.object, { ...reply.object, updated, content: `<p>${text}</p>`, contentMap: { en: `<p>${text}</p>` } });
      return u;
    };
    await deliver(alice, update("2025-11-20T11:00:00Z", "edited: bring the map and snacks", 1));
    await idle();
    await deliver(alice, update("2025-11-20T11:00:00Z", "same time, ignored", 2));
    await deliver(alice, update("2025-11-20T10:30:00Z", "earlier, ignored", 3));

    // Deletes of alice's reply from another host, and from another actor on her host: ignored.
    const foreign = adaptFixture("mastodon-delete-note.json", mastodon(mallory));
    Object.assign(foreign, { id: `${mallory.id}#delete-1`, actor: mallory.id, object: { id: ids.aliceReply, type: "Tombstone" } });
    await deliver(mallory, foreign);
    const sameHost = adaptFixture("mastodon-delete-note.json", mastodon(erin));
    Object.assign(sameHost, { object: { id: ids.aliceReply, type: "Tombstone" } });
    await deliver(erin, sameHost);
    // Alice deletes her first DM (Tombstone addressed to Public, as Mastodon does).
    const del = adaptFixture("mastodon-delete-note.json", mastodon(alice));
    expect(del.object.id).toBe(ids.aliceFirst);
    expect(del.to).toEqual(["https://www.w3.org/ns/activitystreams#Public"]);
    await deliver(alice, del);

    // Fiona unfollows (Undo with the Follow embedded).
    const undo = adaptFixture("mastodon-undo-follow.json", mastodon(fiona));
    undo.object.id = `${fiona.id}#follows/fiona`;
    await deliver(fiona, undo);

    // Gus blocks dave.
    await deliver(gus, adaptFixture("mastodon-block.json", mastodon(gus)));

    // Alice renames herself: Update{Person} (to the shared inbox, as Mastodon sends it). Only
    // after the queue is idle, so the new name can come from nothing but this Update.
    await idle();
    alice.options.name = "Alice Renamed";
    const person = adaptFixture("mastodon-update-person.json", mastodon(alice));
    person.object.publicKey.publicKeyPem = alice.publicKeyPem;
    person.object.name = "Alice Renamed";
    await deliver(alice, person, {}, `${dave.url}/inbox`);

    // Hal deletes his account: his URL answers 410 from now on; no refetch is needed.
    peer.setGone("hal");
    await deliver(hal, adaptFixture("mastodon-delete-person.json", mastodon(hal)));
    await idle();
  });

  it("files each DM by its set of people, threads replies, stores no non-DM, and applies only the later edit and the author's delete", async () => {
    conversations = (await dave.json(["dm", "list"])).conversations;
    // One conversation per set of people; replies (and dave's DM to carol) made none.
    expect(conversations.map(people).sort()).toEqual(
      [[alice.id], [ann.id, carol.id].sort(), [carol.id], [mika.id], [erin.id], [hal.id]].sort(),
    );
    expect(sentConversation).toBe(convWith(carol).id);
    // Handles come from the actor documents (all first contacts: nothing was known before).
    expect(convWith(alice).participants[0]).toMatchObject({ handle: `@alice@${peer.host}`, name: "Alice Renamed" });
    expect(convWith(mika).preview).toContain("the secret plan");
    // The public, unlisted and followers-only posts (newer than each DM) were not stored.
    for (const c of conversations) {
      for (const text of ["Hello world", "quiet public", "followers only", "only for my followers"]) expect(c.preview).not.toContain(text);
    }
    const [a, an, c, e] = (await Promise.all(
      [convWith(alice), convWith(ann, carol), convWith(carol), convWith(erin)].map((x) => dave.json(["dm", "show", x.id])),
    )) as Shown[];

    expect(a.messages.map((m) => [m.text, m.deleted])).toEqual([
      ["", true],
      ["edited: bring the map and snacks", false],
    ]);
    expect(a.messages[1].updated).toBe("2025-11-20T11:00:00.000Z");
    expect(a.messages[0].html).toBe("");

    expect(an.messages.map((m) => m.author)).toEqual([ann.id, ann.id]);
    expect(an.messages[1].text).toBe("one more");
    expect(an.messages[0].text).toContain("here you go & enjoy");

    expect(c.messages.map((m) => [m.direction, m.author])).toEqual([
      ["in", carol.id],
      ["out", dave.actor],
      ["in", carol.id],
    ]);
    expect(c.messages[2].text).toBe("@dave sure, here is the map");

    expect(e.messages.map((m) => m.text)).toEqual(["hi dave look", "@dave lunch?", "or dinner?"]);

    // Sanitised: Pleroma's script and img are gone, every link gets rel=nofollow noopener noreferrer.
    const chat = e.messages[0].html;
    expect(chat).toContain("<b>look</b>");
    for (const bad of ["<script", "alert", "<img", "onerror"]) expect(chat).not.toContain(bad);
    const links = [a, an, c, e].flatMap((s) => s.messages.flatMap((m) => m.html.match(/<a [^>]*>/g) ?? []));
    expect(links.length).toBeGreaterThanOrEqual(5);
    for (const link of links) expect(link).toContain('rel="nofollow noopener noreferrer"');
    expect(an.messages[0].html).toContain('href="https://photos.example/album/1"');
  });

  it("the Undo, the Block and the account deletion end those follows; hal is marked gone", async () => {
    const [followers, following, toHal] = await Promise.all([
      dave.json(["followers"]),
      dave.json(["following"]),
      dave.cli(["dm", "send", "--conversation", convWith(hal).id, "--text", "still there?"]),
    ]);
    expect(followers.followers).toEqual([]);
    expect(following.following).toEqual([]);
    expect(toHal.code).not.toBe(0);
    expect(toHal.stderr).toContain("has deleted their account");
  });

  it("accepts a Delete{Person} from an account it never knew, whose URL answers 410, with 202", async () => {
    peer.setGone("ivan");
    const del = adaptFixture("mastodon-delete-person.json", mastodon(ivan));
    const res = await peer.post(`${dave.actor}/inbox`, del, ivan);
    expect(res.status, res.body).toBe(202);
  });

  it("handled every accepted activity without an error", () => {
    expect(dave.output()).not.toContain("inbox: an activity failed");
  });
});
