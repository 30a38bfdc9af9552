import { createHash, KeyObject } from "node:crypto";
import { generateCryptoKeyPair, Multikey } from "@fedify/fedify";
import { createSigner, httpbis } from "http-message-signatures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstance, type Instance } from "../helpers/instances";
import { directMessage, Peer, rawPost, strayKey, waitForInboxIdle, type PeerActor, type PostResult } from "../helpers/peer";

// RFC 9421 HTTP Message Signatures on inbox POSTs: a test peer signs DMs with
// the http-message-signatures package (an independent implementation of the
// RFC), with pat's published RSA key (rsa-v1_5-sha256) and with an Ed25519
// Multikey his server publishes (ed25519). Both are stored; a tampered one,
// one signed for another inbox and one signed with a key that is not pat's
// are refused with 401 and store nothing.

let ivy: Instance;
let peer: Peer;
let pat: PeerActor;
let ed: { keyId: string; privateKey: KeyObject };

beforeAll(async () => {
  peer = await Peer.start();
  [ivy, pat] = await Promise.all([startInstance("ivy"), peer.addActor("pat")]);
  const pair = await generateCryptoKeyPair("Ed25519");
  ed = { keyId: `${peer.url}/keys/pat-ed25519`, privateKey: KeyObject.from(pair.privateKey) };
  peer.documents.set("/keys/pat-ed25519", await new Multikey({ id: new URL(ed.keyId), controller: new URL(pat.id), publicKey: pair.publicKey }).toJsonLd());
}, 120_000);

afterAll(async () => {
  await Promise.all([ivy?.stop(), peer?.close()]);
});

type Sign = { key: KeyObject; alg: string; keyId: string; fields?: string[]; signedFor?: string; bodyOnWire?: string };

/** POST `activity` to `inbox`, signed per RFC 9421 by http-message-signatures. */
async function post9421(inbox: string, activity: unknown, s: Sign): Promise<PostResult> {
  const body = JSON.stringify(activity);
  const target = new URL(inbox);
  const headers: Record<string, string> = {
    host: target.host,
    date: new Date().toUTCString(),
    "content-type": "application/activity+json",
    "content-digest": `sha-256=:${createHash("sha256").update(body).digest("base64")}:`,
  };
  const signed = await httpbis.signMessage(
    { key: createSigner(s.key, s.alg, s.keyId), fields: s.fields ?? ["@method", "@target-uri", "content-digest"], params: ["created", "keyid", "alg"] },
    { method: "POST", url: s.signedFor ?? inbox, headers },
  );
  const wire = Object.entries(signed.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v] as [string, string]);
  return rawPost(target, wire, s.bodyOnWire ?? body);
}

let n = 0;
const dm = (text: string) => directMessage(pat, ivy.actor, text, `${pat.id}/statuses/rfc9421-${++n}`);
const rsa = () => ({ key: pat.privateKey, alg: "rsa-v1_5-sha256", keyId: pat.keyId });
const ed25519 = () => ({ key: ed.privateKey, alg: "ed25519", keyId: ed.keyId });

describe("RFC 9421 signed inbox POSTs", () => {
  it("stores a DM signed with rsa-v1_5-sha256 and one signed with ed25519", async () => {
    const first = await post9421(`${ivy.actor}/inbox`, dm("signed per RFC 9421 with RSA"), rsa());
    expect(first.status, first.body).toBe(202);
    const second = await post9421(`${ivy.url}/inbox`, dm("signed per RFC 9421 with Ed25519"), { ...ed25519(), fields: ["@method", "@authority", "@path", "content-digest"] });
    expect(second.status, second.body).toBe(202);
    await waitForInboxIdle(ivy.dataDir);
    const list = (await ivy.json(["dm", "list"])).conversations;
    expect(list).toHaveLength(1);
    const shown = await ivy.json(["dm", "show", list[0].id]);
    expect(shown.messages.map((m: { text: string }) => m.text)).toEqual(["signed per RFC 9421 with RSA", "signed per RFC 9421 with Ed25519"]);
  });

  it("refuses a tampered, misdirected, incomplete or wrongly keyed one with 401, storing nothing", async () => {
    const inbox = `${ivy.actor}/inbox`;
    const original = dm("never stored");
    const cases: [string, Promise<PostResult>][] = [
      ["body changed after signing", post9421(inbox, original, { ...rsa(), bodyOnWire: JSON.stringify({ ...original, object: { ...original.object, content: "<p>changed</p>" } }) })],
      ["signed for the shared inbox, sent to the personal one", post9421(inbox, dm("never stored"), { ...ed25519(), signedFor: `${ivy.url}/inbox` })],
      ["the digest not covered", post9421(inbox, dm("never stored"), { ...rsa(), fields: ["@method", "@target-uri"] })],
      ["signed with a key that is not the one published", post9421(inbox, dm("never stored"), { ...rsa(), key: strayKey() })],
      ["the RSA key claimed as Ed25519", post9421(inbox, dm("never stored"), { ...rsa(), alg: "ed25519", key: ed.privateKey })],
    ];
    for (const [label, sent] of cases) {
      const res = await sent;
      expect(res.status, `${label}: ${res.body}`).toBe(401);
      expect(JSON.parse(res.body).error, label).toMatch(/signature|digest|Digest/);
    }
    await waitForInboxIdle(ivy.dataDir);
    const list = (await ivy.json(["dm", "list"])).conversations;
    const shown = await ivy.json(["dm", "show", list[0].id]);
    expect(shown.messages.map((m: { text: string }) => m.text)).not.toContain("never stored");
  });
});
