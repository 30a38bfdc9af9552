import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../helpers/http";
import { startInstance, type Instance } from "../helpers/instances";
import { directMessage, generateRsaKey, Peer, strayKey, waitForInboxIdle, type PeerActor, type PostResult, type SignOptions } from "../helpers/peer";

// Every way an inbox POST must be refused, against a real instance: each
// answers 4xx (401 for signature problems, 413 for size, 403 for blocks) and
// stores nothing. One correctly signed DM, delivered twice, is the control:
// it is stored exactly once.

let dave: Instance;
let peer: Peer; // pat's server
let elsewhere: Peer; // another server (mallory)
let blockedHost: Peer; // a server whose whole domain dave blocks
let pat: PeerActor;
let bea: PeerActor; // blocked by dave
let mallory: PeerActor;
let dora: PeerActor; // on the blocked domain

beforeAll(async () => {
  [peer, elsewhere, blockedHost] = await Promise.all([Peer.start(), Peer.start(), Peer.start()]);
  [dave, [pat, bea, mallory, dora]] = await Promise.all([
    startInstance("dave"),
    Promise.all([peer.addActor("pat"), peer.addActor("bea"), elsewhere.addActor("mallory"), blockedHost.addActor("dora")]),
  ]);
});

afterAll(async () => {
  await Promise.all([dave?.stop(), peer?.close(), elsewhere?.close(), blockedHost?.close()]);
});

let n = 0;
/** A Mastodon-shaped DM from `from` to dave with its own ids and text. */
function dm(from: PeerActor, text: string, noteId = `${from.id}/statuses/${++n}`) {
  return directMessage(from, dave.actor, text, noteId);
}

const inbox = () => `${dave.actor}/inbox`;

async function refused(what: string, res: PostResult, status = 401) {
  expect(res.status, `${what}: ${res.body}`).toBe(status);
  // A JSON body, where the server gives one, says why.
  if (/json/.test(String(res.headers["content-type"]))) expect(JSON.parse(res.body)).toHaveProperty("error");
}

const send = (from: PeerActor, text: string, opts: SignOptions = {}, owner = peer) => owner.post(inbox(), dm(from, text), from, opts);

describe("inbox refusals", () => {
  it("accepts a correctly signed DM once, however often it is delivered", async () => {
    const activity = dm(pat, "the only message");
    expect((await peer.post(inbox(), activity, pat)).status).toBe(202);
    // The same activity again (a retry), and the same note in a new activity id: no second copy.
    expect((await peer.post(inbox(), activity, pat, { algorithm: "hs2019" })).status).toBe(202);
    const again = { ...activity, id: `${activity.id}-redelivered` };
    expect((await peer.post(inbox(), again, pat, { signer: "fedify" })).status).toBe(202);
  });

  it("refuses unsigned, tampered, mis-digested, stale, future and wrongly keyed requests with 401", async () => {
    await refused("unsigned", await send(pat, "unsigned", { unsigned: true }));

    const original = dm(pat, "signed text");
    const tampered = JSON.stringify({ ...original, object: { ...original.object, content: "<p>changed text</p>" } });
    await refused("body changed after signing", await peer.post(inbox(), original, pat, { bodyAfterSigning: tampered }));

    await refused("Digest of another body", await send(pat, "bad digest", { digest: "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" }));
    await refused("no Digest on a POST", await send(pat, "no digest", { digest: null }));
    await refused("Date 2 h old", await send(pat, "stale", { dateOffsetMs: -2 * 3600_000 }));
    await refused("Date 2 h ahead", await send(pat, "future", { dateOffsetMs: 2 * 3600_000 }));
    await refused("signed with an unpublished key", await send(pat, "wrong key", { signingKey: strayKey() }));
    await refused("signature without date", await send(pat, "no date signed", { headers: ["(request-target)", "host", "digest", "content-type"] }));
  });

  it("refuses a keyId on another host than the actor", async () => {
    // Mallory signs with her own (valid) key but claims to be pat.
    await refused("another host's actor key", await send(pat, "mallory as pat", { signingKey: mallory.privateKey, keyId: mallory.keyId }));

    // A key served on mallory's host (as a GoToSocial-style actor stub) that claims to belong to pat.
    const forged = await generateRsaKey();
    elsewhere.documents.set("/keys/pat", {
      "@context": ["https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams"],
      id: pat.id,
      type: "Person",
      preferredUsername: "pat",
      publicKey: { id: `${elsewhere.url}/keys/pat`, owner: pat.id, publicKeyPem: forged.publicKeyPem },
    });
    await refused("key on another host naming the actor as owner", await send(pat, "forged key", { signingKey: forged.privateKey, keyId: `${elsewhere.url}/keys/pat` }));
  });

  it("refuses a body over 1 MiB with 413", async () => {
    const res = await send(pat, "x".repeat(1024 * 1024 + 10));
    await refused("1 MiB body", res, 413);
  });

  it("refuses a blocked actor and a blocked domain with 403", async () => {
    const blocked = await dave.cli(["block", bea.id]);
    expect(blocked.stderr).toBe("");
    await refused("blocked actor", await send(bea, "from a blocked actor"), 403);

    const domain = await dave.cli(["block", "--domain", blockedHost.host.toUpperCase()]);
    expect(domain.stderr).toBe("");
    expect(domain.stdout.trim()).toBe(`Blocked everyone on ${blockedHost.host}.`);
    await refused("blocked domain", await send(dora, "from a blocked domain", {}, blockedHost), 403);
    expect((await dave.json(["blocks"])).blocks).toEqual([
      { kind: "domain", value: blockedHost.host },
      { kind: "actor", value: bea.id },
    ]);
  });

  it("unblocks from the CLI, and says so when there was nothing to unblock", async () => {
    const bad = await dave.cli(["block", "--domain", "not a server"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toBe("moiety block: --domain: Type a server name like spam.example.");
    const none = await dave.cli(["unblock", "--domain", "never.example"]);
    expect(none.code).not.toBe(0);
    expect(none.stderr.trim()).toBe("moiety unblock: never.example is not blocked.");
    for (const args of [["--domain", blockedHost.host], [bea.id]]) {
      const r = await dave.cli(["unblock", ...args]);
      expect(r.stderr).toBe("");
      expect(r.stdout.trim()).toBe(`Unblocked ${args.at(-1)}.`);
    }
    expect((await dave.json(["blocks"])).blocks).toEqual([]);
  });

  it("stored only the control message, and is healthy afterwards", async () => {
    await waitForInboxIdle(dave.dataDir);
    const list = (await dave.json(["dm", "list"])).conversations;
    expect(list.map((c: { participants: { actor: string }[] }) => c.participants.map((p) => p.actor))).toEqual([[pat.id]]);
    const shown = await dave.json(["dm", "show", list[0].id]);
    expect(shown.messages.map((m: { text: string }) => m.text)).toEqual(["the only message"]);
    const health = await new Client(dave.url).get("/api/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok", database: "ok" });
  });
});
