import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startInstance, type Instance } from "../helpers/instances";
import { generateRsaKey, Peer, type PeerActor, type PostResult } from "../helpers/peer";

// A DM's URL is not a public page. Alice sends a DM to bob; bob and carol live
// on the same remote server. Only a request signed by bob (a recipient) gets
// the Note; unsigned requests and requests signed by carol — a real actor with
// a valid signature, just not someone the DM was addressed to — get 404, the
// same answer as for a URL that does not exist.

const TEXT = "the secret is under the third flowerpot";

let alice: Instance;
let peer: Peer;
let evil: Peer; // mallory's server
let bob: PeerActor;
let carol: PeerActor;
let noteId: string;
let activityId: string;
let messageId: string;

beforeAll(async () => {
  [peer, evil] = await Promise.all([Peer.start(), Peer.start()]);
  [alice, bob, carol] = await Promise.all([startInstance("alice"), peer.addActor("bob"), peer.addActor("carol")]);
  const sent = await alice.json(["dm", "send", bob.id, "--text", TEXT]);
  messageId = sent.messageId;
  // Take the ids from the Create as delivered, not from how we think they are built.
  const create = await eventually(async () => peer.inboxActivities("bob")[0]?.activity, "the DM to reach bob's inbox", 60_000);
  noteId = create.object.id;
  activityId = create.id;
});
afterAll(async () => {
  await Promise.all([alice?.stop(), peer?.close(), evil?.close()]);
});

/** A 404 that gives nothing of the DM away. */
function hidden(what: string, res: PostResult) {
  expect(res.status, what).toBe(404);
  expect(res.body, what).not.toContain(TEXT);
  expect(res.body, what).not.toContain("flowerpot");
}

describe("a DM's object URL", () => {
  it("is on alice's server and addressed to bob only", () => {
    expect(new URL(noteId).origin).toBe(alice.url);
    expect(new URL(activityId).origin).toBe(alice.url);
    expect(peer.inboxActivities("bob")[0].activity.object.to).toEqual([bob.id]);
  });

  it("answers 404 to an unsigned request", async () => {
    hidden("unsigned, as ActivityPub", await peer.get(noteId, null));
    hidden("unsigned, as a browser", await peer.get(noteId, null, "text/html"));
  });

  it("answers 404 to a validly signed request from an actor it was not addressed to", async () => {
    hidden("signed by carol", await peer.get(noteId, carol));
  });

  it("answers the Note to a request signed by its recipient", async () => {
    const res = await peer.get(noteId, bob);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/(activity\+json|ld\+json)/);
    const note = JSON.parse(res.body);
    expect(note).toMatchObject({ id: noteId, type: "Note", attributedTo: alice.actor, to: [bob.id] });
    expect(note.content).toContain(TEXT);
  });

  it("answers 404 to a key on another server whose document embeds bob as its owner", async () => {
    // Mallory's key, on mallory's server, in a key document that carries its
    // own copy of "bob" listing that key. Only bob's server can say which keys are bob's.
    const key = await generateRsaKey();
    const keyId = `${evil.url}/keys/bob`;
    evil.documents.set("/keys/bob", {
      "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
      id: keyId,
      type: "CryptographicKey",
      owner: { id: bob.id, type: "Person", preferredUsername: "bob", inbox: bob.inbox, publicKey: { id: keyId, owner: bob.id, publicKeyPem: key.publicKeyPem } },
      publicKeyPem: key.publicKeyPem,
    });
    const impostor: PeerActor = { ...bob, keyId, cryptoKey: key.cryptoKey, privateKey: key.privateKey, publicKeyPem: key.publicKeyPem };
    hidden("signed with mallory's key claiming bob", await peer.get(noteId, impostor));
    expect(evil.received("/keys/bob", "GET").length).toBeGreaterThan(0); // the key was fetched: the signature was looked at
    // The same request signed with bob's real key still gets the Note.
    expect((await peer.get(noteId, bob)).status).toBe(200);
  });

  it("serves the Create activity to nobody, recipient included", async () => {
    // Not dereferenceable at all: there is nothing to leak, and nothing to authorise.
    hidden("Create, unsigned", await peer.get(activityId, null));
    hidden("Create, signed by carol", await peer.get(activityId, carol));
    hidden("Create, signed by bob", await peer.get(activityId, bob));
  });

  it("answers 404 to the recipient too once alice deleted the DM", async () => {
    expect((await alice.cli(["dm", "delete", messageId])).code).toBe(0);
    hidden("deleted, signed by bob", await peer.get(noteId, bob));
  });
});
