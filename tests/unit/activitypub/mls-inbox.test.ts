import { describe, expect, it } from "vitest";
import { PUBLIC } from "@/lib/activitypub/addressing";
import { bytesToBase64 } from "@/lib/activitypub/base64";
import { buildKeyPackageObject, buildMlsMessage, MLS_WIREFORMATS, type MlsKind } from "@/lib/activitypub/mls";
import { carriesMls, incomingEnvelopeOf } from "@/lib/activitypub/mls-inbox";
import { keyPackageProblem } from "@/lib/domain/mls-devices";

// Which incoming Creates become envelopes in the owner's stream
// (lib/activitypub/mls-inbox.ts, shared by the fast inbox and Fedify's
// listener), and which KeyPackages a device may publish.

const ALICE = "https://a.example/users/alice";
const BOB = "https://b.example/users/bob";
const CAROL = "https://c.example/users/carol";
const NOW = new Date("2026-12-03T12:00:00.000Z");
const headed = (kind: MlsKind, body = [7, 7, 7, 7]) => new Uint8Array([0, 1, 0, MLS_WIREFORMATS[kind], ...body]);
const travel = <T>(v: T): T => JSON.parse(JSON.stringify(v));

function sent(kind: Exclude<MlsKind, "KeyPackage">, recipients = [BOB], from = ALICE) {
  return travel(buildMlsMessage({ kind, id: `${from}/mls/1`, attributedTo: from, published: NOW, bytes: headed(kind), recipients }).create) as any;
}

const read = (activity: unknown, sender = { id: ALICE, followersUrl: `${ALICE}/followers` }) =>
  incomingEnvelopeOf({ activity: activity as any, sender, me: BOB, now: NOW });

describe("incoming MLS envelopes", () => {
  it("a Welcome, PrivateMessage, PublicMessage or GroupInfo for the owner, from its author, is kept with its participants", () => {
    for (const kind of ["Welcome", "PrivateMessage", "PublicMessage", "GroupInfo"] as const) {
      const activity = sent(kind, [BOB, CAROL]);
      expect(carriesMls(activity)).toBe(true);
      expect(read(activity)).toEqual({
        objectId: `${ALICE}/mls/1`,
        kind,
        authorId: ALICE,
        participants: [ALICE, CAROL],
        content: bytesToBase64(headed(kind)),
        published: NOW,
      });
    }
  });

  it("anything else is not an envelope for the owner", () => {
    const wrongBytes = sent("Welcome");
    wrongBytes.object.content = bytesToBase64(headed("PrivateMessage"));
    const toFollowers = sent("PrivateMessage");
    toFollowers.cc = toFollowers.object.cc = [`${ALICE}/followers`];
    const toPublic = sent("PrivateMessage");
    toPublic.to = toPublic.object.to = [BOB, PUBLIC];
    const notForMe = sent("PrivateMessage", [CAROL]);
    const someoneElses = sent("PrivateMessage", [BOB], CAROL);
    const otherHost = sent("PrivateMessage");
    otherHost.object.id = "https://elsewhere.example/mls/1";
    const keyPackage = { type: "Create", id: `${ALICE}/c/1`, actor: ALICE, to: [BOB], object: buildKeyPackageObject({ id: `${ALICE}/kp/1`, attributedTo: ALICE, published: NOW, bytes: headed("KeyPackage") }) };
    for (const activity of [wrongBytes, toFollowers, toPublic, notForMe, someoneElses, otherHost, keyPackage]) expect(read(activity)).toBeNull();
    // A Note is a DM's business, not this one's.
    expect(carriesMls({ type: "Create", object: { type: "Note" } })).toBe(false);
  });

  it("a published date far in the future counts as now", () => {
    const activity = sent("PrivateMessage");
    activity.object.published = "2099-01-01T00:00:00.000Z";
    expect(read(activity)?.published).toEqual(NOW);
  });
});

describe("KeyPackages a device may publish", () => {
  // A KeyPackage MLSMessage: header, then the KeyPackage's version (mls10) and cipher suite.
  const keyPackage = (suite: number) => bytesToBase64(new Uint8Array([0, 1, 0, 5, 0, 1, 0, suite, 1, 2, 3]));

  it("only canonical base64 of a KeyPackage of suite 1, at most 4 KiB", () => {
    expect(keyPackageProblem(keyPackage(1))).toBeNull();
    expect(keyPackageProblem(keyPackage(3))).toMatch(/CHACHA20POLY1305.*Moiety uses only MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519/);
    expect(keyPackageProblem(bytesToBase64(headed("Welcome")))).toMatch(/typed KeyPackage but its content is a Welcome/);
    expect(keyPackageProblem(bytesToBase64(new Uint8Array([0, 1, 0, 5, 0, 1, 0, 1, ...new Array(5000).fill(0)])))).toMatch(/at most 4096/);
    expect(keyPackageProblem("AAEABQ_-")).toMatch(/URL-safe/);
    expect(keyPackageProblem("")).toMatch(/empty/);
  });
});
