import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { actorFieldsOf, multibaseEd25519ToPem, publicKeyIn } from "@/lib/activitypub/key-document";

// Keys and actors read from the documents a keyId names, in the shapes
// servers serve them.

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
const ed = generateKeyPairSync("ed25519").publicKey;
const actor = "https://remote.example/users/pat";

/** base58btc, written out here independently of the reader under test. */
function base58(bytes: Buffer): string {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let n = BigInt(`0x${bytes.toString("hex")}`);
  let out = "";
  while (n > 0n) {
    out = alphabet[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

const edMultibase = `z${base58(Buffer.concat([Buffer.from([0xed, 0x01]), Buffer.from((ed.export({ format: "jwk" }) as { x: string }).x, "base64url")]))}`;
const edPem = ed.export({ type: "spki", format: "pem" }).toString();

describe("publicKeyIn", () => {
  it("finds a publicKey inside an actor (one or several), a standalone key, and an Ed25519 Multikey", () => {
    const doc = { id: actor, inbox: `${actor}/inbox`, publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem: rsa } };
    expect(publicKeyIn(doc, `${actor}#main-key`)).toEqual({ ownerId: actor, pem: rsa });
    expect(publicKeyIn({ ...doc, publicKey: [{ id: "x" }, doc.publicKey] }, `${actor}#main-key`)?.ownerId).toBe(actor);
    expect(publicKeyIn({ id: `${actor}/key`, type: "Key", owner: actor, publicKeyPem: rsa }, `${actor}/key`)).toEqual({ ownerId: actor, pem: rsa });
    const multikey = { id: `${actor}#ed`, type: "Multikey", controller: actor, publicKeyMultibase: edMultibase };
    expect(publicKeyIn({ ...doc, assertionMethod: [multikey] }, `${actor}#ed`)).toEqual({ ownerId: actor, pem: edPem });
    expect(publicKeyIn(multikey, `${actor}#ed`)).toEqual({ ownerId: actor, pem: edPem });
  });

  it("finds nothing for another keyId, a broken PEM or multibase, or a non-object", () => {
    const doc = { id: actor, publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem: rsa } };
    expect(publicKeyIn(doc, `${actor}#other-key`)).toBeNull();
    expect(publicKeyIn({ ...doc, publicKey: { ...doc.publicKey, publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" } }, `${actor}#main-key`)).toBeNull();
    expect(multibaseEd25519ToPem("zNotAKey0OIl")).toBeNull();
    expect(multibaseEd25519ToPem(`z${base58(Buffer.from([0xed, 0x01, 1, 2, 3]))}`)).toBeNull();
    expect(publicKeyIn(null, actor)).toBeNull();
    expect(publicKeyIn([doc], `${actor}#main-key`)).toBeNull();
  });
});

describe("actorFieldsOf", () => {
  it("reads what the RemoteActor row keeps, in the shapes servers send", () => {
    expect(
      actorFieldsOf({
        id: actor,
        preferredUsername: "pat",
        name: "Pat",
        inbox: `${actor}/inbox`,
        endpoints: { sharedInbox: "https://remote.example/inbox" },
        url: "https://remote.example/@pat",
        icon: { type: "Image", url: "https://remote.example/pat.png" },
        followers: `${actor}/followers`,
      }),
    ).toEqual({
      id: actor,
      handle: "@pat@remote.example",
      name: "Pat",
      inbox: `${actor}/inbox`,
      sharedInbox: "https://remote.example/inbox",
      url: "https://remote.example/@pat",
      iconUrl: "https://remote.example/pat.png",
      followersUrl: `${actor}/followers`,
    });
    expect(actorFieldsOf({ id: actor, preferredUsername: "pat", inbox: `${actor}/inbox`, url: { type: "Link", href: "https://remote.example/@pat" } })).toMatchObject({
      name: "pat",
      url: "https://remote.example/@pat",
      sharedInbox: null,
      iconUrl: null,
    });
    expect(actorFieldsOf({ id: actor })).toBeNull();
  });
});
