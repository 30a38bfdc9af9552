import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "../helpers/instances";
import { directMessage, Peer, strayKey, waitForInboxIdle, type PeerActor } from "../helpers/peer";

// A sender changes its key (same keyId, new key pair). The inbox holds the
// old key; the first POST signed with the new one does not verify with it,
// so the key is fetched again once, the POST is accepted and stored, and
// later POSTs pass without another fetch. Requests with bad signatures for a
// known key make the inbox refetch at most once a minute, and once the key
// may not be refetched, are refused before their body is parsed. The keys live at
// their own URL (ACTOR/main-key, as GoToSocial serves them), so the key
// fetches can be counted apart from anything else that reads the actor.

let ivy: Instance;
let peer: Peer;
let pat: PeerActor;
let bea: PeerActor;

beforeAll(async () => {
  peer = await Peer.start();
  [ivy, [pat, bea]] = await Promise.all([startInstance("ivy"), Promise.all([peer.addActor("pat", { keyStyle: "path" }), peer.addActor("bea", { keyStyle: "path" })])]);
}, 120_000);

afterAll(async () => {
  await Promise.all([ivy?.stop(), peer?.close()]);
});

const keyFetches = (a: PeerActor) => peer.received(new URL(a.keyId).pathname, "GET").length;
let n = 0;
const dm = (from: PeerActor, text: string) => directMessage(from, ivy.actor, text, `${from.id}/statuses/rotation-${++n}`);
const inbox = () => `${ivy.actor}/inbox`;

describe("key rotation", () => {
  it("refetches a rotated key once, then takes the sender's POSTs with no further fetch", async () => {
    expect((await peer.post(inbox(), dm(pat, "before the rotation"), pat)).status).toBe(202);
    expect(keyFetches(pat)).toBe(1);

    await peer.rotateKey("pat");
    const after = await peer.post(inbox(), dm(pat, "first after the rotation"), pat);
    expect(after.status, after.body).toBe(202);
    expect(keyFetches(pat)).toBe(2);

    for (const text of ["second after the rotation", "third after the rotation"]) expect((await peer.post(inbox(), dm(pat, text), pat)).status).toBe(202);
    expect(keyFetches(pat)).toBe(2);

    await waitForInboxIdle(ivy.dataDir);
    const list = (await ivy.json(["dm", "list"])).conversations;
    const shown = await ivy.json(["dm", "show", list[0].id]);
    expect(shown.messages.map((m: { text: string }) => m.text)).toEqual([
      "before the rotation",
      "first after the rotation",
      "second after the rotation",
      "third after the rotation",
    ]);
  });

  it("refetches a known key at most once a minute for requests with bad signatures", async () => {
    const wrong = strayKey();
    // pat's key was refetched moments ago: bad signatures now cause no fetch at all.
    for (let i = 0; i < 5; i++) expect((await peer.post(inbox(), dm(pat, "forged"), pat, { signingKey: wrong })).status).toBe(401);
    expect(keyFetches(pat)).toBe(2);
    // Such a signature is refused before the body is read: even one that is not JSON is a bad signature (401), not bad JSON (400).
    const notJson = await peer.post(inbox(), "{ not json", pat, { signingKey: wrong });
    expect(notJson.status, notJson.body).toBe(401);
    expect(JSON.parse(notJson.body).error).toMatch(/does not verify/);
    // Signed with the right key, the same body is read, and refused for what it is.
    const rightKeyNotJson = await peer.post(inbox(), "{ not json", pat);
    expect(rightKeyNotJson.status, rightKeyNotJson.body).toBe(400);

    // bea's key was fetched once and never refetched: ten bad signatures cause one refetch.
    expect((await peer.post(inbox(), dm(bea, "from bea"), bea)).status).toBe(202);
    expect(keyFetches(bea)).toBe(1);
    const refused = await Promise.all(Array.from({ length: 10 }, () => peer.post(inbox(), dm(bea, "forged"), bea, { signingKey: wrong })));
    expect(refused.map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(JSON.parse(refused[0].body).error).toMatch(/does not verify/);
    expect(keyFetches(bea)).toBe(2);
    // Her real key still works, without a fetch.
    expect((await peer.post(inbox(), dm(bea, "bea again"), bea)).status).toBe(202);
    expect(keyFetches(bea)).toBe(2);

    await waitForInboxIdle(ivy.dataDir);
    const texts: string[] = [];
    for (const c of (await ivy.json(["dm", "list"])).conversations) {
      texts.push(...(await ivy.json(["dm", "show", c.id])).messages.map((m: { text: string }) => m.text));
    }
    expect(texts).not.toContain("forged");
    expect(texts).toEqual(expect.arrayContaining(["from bea", "bea again"]));
  });
});
