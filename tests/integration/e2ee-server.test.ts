import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import * as tsMls from "ts-mls";
import type { CiphersuiteImpl, MLSMessage } from "ts-mls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLIC } from "@/lib/activitypub/addressing";
import { bytesToBase64, decodeCanonicalBase64 } from "@/lib/activitypub/base64";
import { MLS_ACTOR_TERMS, MLS_CONTEXT, buildMlsMessage } from "@/lib/activitypub/mls";
import { ENCRYPTED_HTML, ENCRYPTED_TEXT } from "@/lib/domain/encrypted-placeholder";
import { Client } from "../helpers/http";
import { eventually, PASSWORD, startInstance, type Instance } from "../helpers/instances";
import { Peer, waitForInboxIdle, type PeerActor } from "../helpers/peer";

// End-to-end encrypted DMs on the server side (docs/E2EE.md), between two
// real instances: the test process plays each owner's browser with ts-mls,
// calling the server actions of app/(owner)/e2ee-actions.ts over HTTP. The
// servers publish, fetch and carry the MLS bytes; only the test's "devices"
// ever see the plaintext, and neither server's files hold it.

const SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" as const;
const PLAINTEXT = `The spare key is under the third flowerpot ${Math.random().toString(36).slice(2)}`;
const AS_JSON = { accept: "application/activity+json" };

let alice: Instance;
let bob: Instance;
let peer: Peer;
let carol: PeerActor; // a foreign server's account without keyPackages
let aliceWeb: Client;
let bobWeb: Client;
let impl: CiphersuiteImpl;

/** One device's keys: its KeyPackages (public and private halves) under the owner's actor URL. */
async function keyPackage(actor: string) {
  const capabilities = { ...tsMls.defaultCapabilities(), ciphersuites: [SUITE] };
  const now = BigInt(Math.floor(Date.now() / 1000));
  const kp = await tsMls.generateKeyPackage({ credentialType: "basic", identity: new TextEncoder().encode(actor) }, capabilities, { notBefore: now - 60n, notAfter: now + 30n * 86_400n }, [], impl);
  return { ...kp, content: bytesToBase64(tsMls.encodeMlsMessage({ version: "mls10", wireformat: "mls_key_package", keyPackage: kp.publicPackage })) };
}

function mls(content: string): MLSMessage {
  const decoded = decodeCanonicalBase64(content);
  if (!decoded.ok) throw new Error(decoded.error);
  const message = tsMls.decodeMlsMessage(decoded.bytes, 0);
  if (!message) throw new Error("not an MLS message");
  return message[0];
}

/**
 * Row 1 of a flight answer, with its long strings put back: React sends a
 * string over about 1 KiB as a text row (`<id>:T<hex length>,<text>`) and
 * names it "$<id>" where it belongs. MLS envelopes are such strings.
 */
function flightResult(body: string): unknown {
  const rows = new Map<string, string>();
  const texts = new Map<string, string>();
  let i = 0;
  while (i < body.length) {
    const colon = body.indexOf(":", i);
    if (colon < 0) break;
    const id = body.slice(i, colon);
    if (body[colon + 1] === "T") {
      const comma = body.indexOf(",", colon);
      const length = parseInt(body.slice(colon + 2, comma), 16);
      texts.set(id, Buffer.from(body.slice(comma + 1)).subarray(0, length).toString());
      i = comma + 1 + texts.get(id)!.length;
    } else {
      const end = body.indexOf("\n", colon);
      rows.set(id, body.slice(colon + 1, end < 0 ? undefined : end));
      i = end < 0 ? body.length : end + 1;
    }
  }
  const row = rows.get("1");
  if (!row?.startsWith("{")) return null;
  return JSON.parse(row, (_key, v) => (typeof v === "string" && v.startsWith("$") ? (v.startsWith("$$") ? v.slice(1) : (texts.get(v.slice(1)) ?? v)) : v));
}

/** Settings' two actions are answered on the page that uses them; the device's on every owner page. */
const SETTINGS_ACTIONS = new Set(["listDevicesAction", "removeDeviceAction"]);

/** Call an e2ee action as the owner's browser does; its value, or a failure with the server's words. */
async function call<T = any>(web: Client, name: string, input?: unknown): Promise<T> {
  const res = await web.action(SETTINGS_ACTIONS.has(name) ? "/settings" : "/messages", name, input === undefined ? [] : [input]);
  const result = flightResult(res.body) as { ok: boolean; value?: T; error?: string } | null;
  if (!result) throw new Error(`${name}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  if (!result.ok) throw new Error(`${name} refused: ${result.error}`);
  return result.value as T;
}

async function refusal(web: Client, name: string, input: unknown): Promise<string> {
  const res = await web.action("/messages", name, [input]);
  const result = res.result as { ok: boolean; error?: string };
  expect(result.ok).toBe(false);
  return result.error!;
}

function rows<T = Record<string, any>>(instance: Instance, query: string, ...args: unknown[]): T[] {
  const db = new Database(path.join(instance.dataDir, "moiety.db"), { readonly: true, timeout: 10_000 });
  try {
    return db.prepare(query).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** Every file of the data dir that SQLite writes: the database, its WAL and its shared memory. */
function databaseBytes(instance: Instance): Buffer {
  const base = path.join(instance.dataDir, "moiety.db");
  return Buffer.concat([base, `${base}-wal`, `${base}-shm`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

beforeAll(async () => {
  impl = await tsMls.getCiphersuiteImpl(tsMls.getCiphersuiteFromName(SUITE));
  [alice, bob, peer] = await Promise.all([startInstance("alice"), startInstance("bob"), Peer.start()]);
  carol = await peer.addActor("carol");
  aliceWeb = new Client(alice.url);
  bobWeb = new Client(bob.url);
  expect((await aliceWeb.login("alice", PASSWORD)).ok).toBe(true);
  expect((await bobWeb.login("bob", PASSWORD)).ok).toBe(true);
}, 120_000);

afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop(), peer?.close()]);
});

describe("end-to-end encrypted DMs between two instances", { timeout: 60_000 }, () => {
  const bobKeys: Awaited<ReturnType<typeof keyPackage>>[] = [];
  let bobDevice: string;
  let bobKeyPackageIds: string[];
  let aliceDevice: string;
  let sent: { conversationId: string; objectIds: string[]; messageIds: (string | null)[] };
  let bobStream: any[];

  it("the owner's actor document names its keyPackages collection, with the MLS context, and HTML still goes to the page", async () => {
    const res = await bobWeb.get("/users/bob", AS_JSON);
    expect(res.status).toBe(200);
    const actor = JSON.parse(res.body);
    expect(actor.keyPackages).toBe(`${bob.actor}/key_packages`);
    expect(actor["@context"]).toContainEqual(MLS_ACTOR_TERMS);
    expect(actor.inbox).toBe(`${bob.actor}/inbox`);
    const page = await new Client(bob.url).get("/users/bob", { accept: "text/html" });
    expect(page.headers["content-type"]).toMatch(/text\/html/);
  });

  it("a device registers with its KeyPackages, which are published (collection and items), and refuses bad ones in plain words", async () => {
    for (let i = 0; i < 3; i++) bobKeys.push(await keyPackage(bob.actor));
    const signatureKey = bytesToBase64(bobKeys[0].publicPackage.leafNode.signaturePublicKey);
    const registered = await call(bobWeb, "registerDeviceAction", { name: "Bob's laptop", signatureKey, keyPackages: bobKeys.map((k) => k.content) });
    bobDevice = registered.deviceId;
    bobKeyPackageIds = registered.keyPackageIds;
    expect(bobKeyPackageIds).toHaveLength(3);
    // The same registration again (its answer lost on the way) is the same device with the same KeyPackages.
    expect(await call(bobWeb, "registerDeviceAction", { name: "Bob's laptop", signatureKey, keyPackages: bobKeys.map((k) => k.content) })).toEqual(registered);

    const collection = JSON.parse((await bobWeb.get("/users/bob/key_packages", AS_JSON)).body);
    expect(collection).toMatchObject({ type: "Collection", totalItems: 3, id: `${bob.actor}/key_packages` });
    expect(collection.items).toEqual(bobKeyPackageIds.map((id) => `${bob.actor}/key_packages/${id}`));
    const item = await new Client(bob.url).get(`/users/bob/key_packages/${bobKeyPackageIds[0]}`, AS_JSON);
    expect(item.headers["content-type"]).toMatch(/application\/activity\+json/);
    expect(JSON.parse(item.body)).toMatchObject({ type: "KeyPackage", attributedTo: bob.actor, to: [PUBLIC], content: bobKeys[0].content, ciphersuite: SUITE });
    expect((await bobWeb.get("/users/bob/key_packages/nosuchpackage", AS_JSON)).status).toBe(404);

    // A Welcome passed off as a KeyPackage, URL-safe base64, an unknown device.
    expect(await refusal(bobWeb, "publishKeyPackagesAction", { deviceId: bobDevice, keyPackages: ["AAEAAwAA"] })).toMatch(/typed KeyPackage but its content is a Welcome/);
    expect(await refusal(bobWeb, "publishKeyPackagesAction", { deviceId: bobDevice, keyPackages: ["AAEABQ_-"] })).toMatch(/URL-safe/);
    expect(await refusal(bobWeb, "publishKeyPackagesAction", { deviceId: "nope", keyPackages: [bobKeys[0].content] })).toMatch(/no longer registered/);
    expect(await call(bobWeb, "deviceStatusAction", { deviceId: bobDevice })).toEqual({ exists: true, keyPackages: 3 });
    const devices = await call(bobWeb, "listDevicesAction");
    expect(devices).toMatchObject([{ id: bobDevice, name: "Bob's laptop", signatureKey, keyPackages: 3 }]);
  });

  it("keyPackagesOf fetches Bob's KeyPackages from his server (signed), and says why a server without them cannot take part", async () => {
    const aliceKeys = await keyPackage(alice.actor);
    const registered = await call(aliceWeb, "registerDeviceAction", {
      name: "Alice's phone",
      signatureKey: bytesToBase64(aliceKeys.publicPackage.leafNode.signaturePublicKey),
      keyPackages: [aliceKeys.content],
    });
    aliceDevice = registered.deviceId;
    const answers = await call(aliceWeb, "keyPackagesOfAction", { deviceId: aliceDevice, actors: [bob.actor, carol.id, alice.actor] });
    const forBob = answers.find((a: any) => a.actor === bob.actor);
    expect(forBob.supported).toBe(true);
    expect(forBob.keyPackages.map((k: any) => k.content)).toEqual(bobKeys.map((k) => k.content));
    expect(answers.find((a: any) => a.actor === carol.id)).toMatchObject({ supported: false, reason: expect.stringMatching(/does not offer end-to-end encryption/) });
    // Alice's own actor: her other devices' KeyPackages (she has none besides this one).
    expect(answers.find((a: any) => a.actor === alice.actor)).toEqual({ actor: alice.actor, supported: true, keyPackages: [] });
    // A profile without keyPackages is remembered a while: asking again fetches nothing from Carol's server.
    const carolGets = () => peer.requests.filter((r) => r.method === "GET" && carol.id.endsWith(r.url.split("?")[0])).length;
    const before = carolGets();
    const again = await call(aliceWeb, "keyPackagesOfAction", { deviceId: aliceDevice, actors: [carol.id] });
    expect(again).toEqual([answers.find((a: any) => a.actor === carol.id)]);
    expect(carolGets()).toBe(before);
    expect(before).toBeGreaterThan(0);
  });

  it("Alice's device sends a Welcome and a message; Bob's stream has both in order, and his device joins and decrypts", async () => {
    const aliceKeys = await keyPackage(alice.actor);
    const group = await tsMls.createGroup(crypto.getRandomValues(new Uint8Array(16)), aliceKeys.publicPackage, aliceKeys.privatePackage, [], impl);
    const bobPackage = mls(bobKeys[0].content);
    if (bobPackage.wireformat !== "mls_key_package") throw new Error("not a KeyPackage");
    const commit = await tsMls.createCommit({ state: group, cipherSuite: impl }, { extraProposals: [{ proposalType: "add", add: { keyPackage: bobPackage.keyPackage } }], ratchetTreeExtension: true });
    if (!commit.welcome) throw new Error("no Welcome");
    const app = await tsMls.createApplicationMessage(commit.newState, new TextEncoder().encode(PLAINTEXT), impl);
    const welcome = bytesToBase64(tsMls.encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: commit.welcome }));
    const message = bytesToBase64(tsMls.encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage: app.privateMessage }));

    sent = await call(aliceWeb, "sendEnvelopesAction", {
      deviceId: aliceDevice,
      recipients: [bob.actor],
      envelopes: [
        { kind: "Welcome", content: welcome, visible: false },
        { kind: "PrivateMessage", content: message, visible: true },
      ],
    });
    expect(sent.objectIds).toHaveLength(2);
    expect(sent.objectIds[0]).toMatch(new RegExp(`^${alice.actor}/mls/`));
    expect(sent.messageIds[0]).toBeNull();
    expect(sent.messageIds[1]).toEqual(expect.any(String));

    const own = (await call(aliceWeb, "envelopeStreamAction", { after: 0 })).envelopes;
    expect(own.map((e: any) => [e.kind, e.direction, e.senderDevice, e.participants])).toEqual([
      ["Welcome", "out", aliceDevice, [bob.actor]],
      ["PrivateMessage", "out", aliceDevice, [bob.actor]],
    ]);

    bobStream = await eventually(async () => {
      const page = await call(bobWeb, "envelopeStreamAction", { after: 0, limit: 10 });
      return page.envelopes.length >= 2 ? page.envelopes : null;
    }, "both envelopes in Bob's stream");
    expect(bobStream.map((e: any) => [e.kind, e.direction, e.actorId, e.objectId, e.participants])).toEqual([
      ["Welcome", "in", alice.actor, sent.objectIds[0], [alice.actor]],
      ["PrivateMessage", "in", alice.actor, sent.objectIds[1], [alice.actor]],
    ]);
    expect(bobStream[0].seq).toBeLessThan(bobStream[1].seq);
    expect(bobStream[0].messageId).toBeNull();
    expect(bobStream[1].messageId).toEqual(expect.any(String));
    expect(bobStream[1].content).toBe(message);

    const bobWelcome = mls(bobStream[0].content);
    const bobMessage = mls(bobStream[1].content);
    if (bobWelcome.wireformat !== "mls_welcome" || bobMessage.wireformat !== "mls_private_message") throw new Error("wrong wire formats");
    const joined = await tsMls.joinGroup(bobWelcome.welcome, bobKeys[0].publicPackage, bobKeys[0].privatePackage, tsMls.emptyPskIndex, impl);
    const result = await tsMls.processPrivateMessage(joined, bobMessage.privateMessage, tsMls.emptyPskIndex, impl);
    expect(result.kind).toBe("applicationMessage");
    if (result.kind === "applicationMessage") expect(new TextDecoder().decode(result.message)).toBe(PLAINTEXT);

    // Alice's copy reached Bob: the visible message carries its delivery state like a DM.
    await eventually(
      async () => rows(alice, `SELECT "state" FROM "Delivery" WHERE "messageId" = ?`, sent.messageIds[1])[0]?.state === "delivered",
      "the message's delivery to be delivered",
    );
  });

  it("Bob's conversation shows one unread message with the placeholder, everywhere but the search", async () => {
    const list = await bob.json(["dm", "list"]);
    expect(list.conversations).toHaveLength(1);
    expect(list.conversations[0]).toMatchObject({ unread: 1, preview: ENCRYPTED_TEXT });
    expect(list.conversations[0].participants.map((p: any) => p.actor)).toEqual([alice.actor]);
    const shown = await bob.json(["dm", "show", list.conversations[0].id]);
    expect(shown.messages).toMatchObject([{ direction: "in", html: ENCRYPTED_HTML, text: ENCRYPTED_TEXT }]);
    expect(rows(bob, `SELECT "text", "encrypted" FROM "Message"`)).toEqual([{ text: "", encrypted: 1 }]);
    expect(rows(bob, `SELECT count(*) AS n FROM "Notification" WHERE "type" = 'mention'`)[0].n).toBe(1);
  });

  it("neither server's database files nor Bob's export hold the plaintext", async () => {
    const needle = Buffer.from(PLAINTEXT.slice(-20));
    expect(databaseBytes(alice).includes(needle)).toBe(false);
    expect(databaseBytes(bob).includes(needle)).toBe(false);
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "moiety-e2ee-export-")), "export");
    const r = await bob.cli(["export", dir]);
    expect(r.code, r.stderr).toBe(0);
    const files = filesUnder(dir);
    expect(files.length).toBeGreaterThan(0);
    const all = Buffer.concat(files.map((f) => fs.readFileSync(f)));
    expect(all.includes(needle)).toBe(false);
    expect(all.includes(Buffer.from(ENCRYPTED_TEXT))).toBe(true);
    // No ciphertext either: the export is for reading, and MLS bytes are unreadable there.
    expect(all.includes(Buffer.from(bobStream[1].content.slice(0, 40)))).toBe(false);
  });

  it("our envelope objects answer 404 to an unsigned request", async () => {
    const res = await new Client(alice.url).get(new URL(sent.objectIds[1]).pathname, AS_JSON);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain(bobStream[1].content.slice(0, 40));
  });

  it("a consumed KeyPackage is removed from the collection; hiding an encrypted message takes it out of the thread, the envelope stays", async () => {
    expect(await call(bobWeb, "removeKeyPackageAction", { deviceId: bobDevice, keyPackageId: bobKeyPackageIds[0] })).toEqual({ total: 2 });
    const collection = JSON.parse((await bobWeb.get("/users/bob/key_packages", AS_JSON)).body);
    expect(collection.totalItems).toBe(2);
    expect(collection.items).not.toContain(`${bob.actor}/key_packages/${bobKeyPackageIds[0]}`);

    expect(await call(bobWeb, "hideEnvelopeMessageAction", { messageId: bobStream[1].messageId })).toEqual({});
    const list = await bob.json(["dm", "list"]);
    expect(list.conversations[0]).toMatchObject({ unread: 0, preview: "" });
    const stream = (await call(bobWeb, "envelopeStreamAction", { after: 0 })).envelopes;
    expect(stream.map((e: any) => [e.seq, e.messageId])).toEqual([
      [bobStream[0].seq, null],
      [bobStream[1].seq, null],
    ]);
    expect(rows(bob, `SELECT count(*) AS n FROM "Notification"`)[0].n).toBe(0);
  });

  it("envelopes that are malformed or not private are ignored", async () => {
    const before = rows(bob, `SELECT count(*) AS n FROM "MlsEnvelope"`)[0].n;
    const bytes = (kind: number) => new Uint8Array([0, 1, 0, kind, 1, 2, 3, 4]);
    const wrongWireFormat = buildMlsMessage({ kind: "Welcome", id: `${carol.id}/mls/1`, attributedTo: carol.id, published: new Date(), bytes: bytes(3), recipients: [bob.actor] }).create;
    wrongWireFormat.object.content = bytesToBase64(bytes(2)); // a PrivateMessage's header in a Welcome
    const toPublic = buildMlsMessage({ kind: "PrivateMessage", id: `${carol.id}/mls/2`, attributedTo: carol.id, published: new Date(), bytes: bytes(2), recipients: [bob.actor] }).create;
    (toPublic as any).cc = [PUBLIC];
    (toPublic.object as any).cc = [PUBLIC];
    for (const activity of [wrongWireFormat, toPublic]) {
      const res = await peer.post(`${bob.actor}/inbox`, activity, carol);
      expect(res.status).toBeLessThan(300);
    }
    await waitForInboxIdle(bob.dataDir);
    expect(rows(bob, `SELECT count(*) AS n FROM "MlsEnvelope"`)[0].n).toBe(before);
    expect(rows(bob, `SELECT count(*) AS n FROM "Message"`)[0].n).toBe(0);
  });

  it("a stranger's PrivateMessage, taken by Fedify's listener (the sender is not cached), is a message request with the placeholder", async () => {
    const bytes = new Uint8Array([0, 1, 0, 2, 9, 9, 9, 9]);
    const { create } = buildMlsMessage({ kind: "PrivateMessage", id: `${carol.id}/mls/3`, attributedTo: carol.id, published: new Date(), bytes, recipients: [bob.actor] });
    expect((await peer.post(`${bob.actor}/inbox`, create, carol)).status).toBeLessThan(300);
    const stored = await eventually(
      async () => rows(bob, `SELECT e."kind", e."messageId", c."isRequest", c."unreadCount" FROM "MlsEnvelope" e JOIN "Conversation" c ON c."id" = e."conversationId" WHERE e."objectId" = ?`, create.object.id)[0],
      "carol's envelope to be stored",
    );
    expect(stored).toMatchObject({ kind: "PrivateMessage", isRequest: 1, unreadCount: 1 });
    expect(rows(bob, `SELECT "html", "text", "encrypted" FROM "Message" WHERE "id" = ?`, stored.messageId)).toEqual([{ html: ENCRYPTED_HTML, text: "", encrypted: 1 }]);
    // The same activity again changes nothing.
    await peer.post(`${bob.actor}/inbox`, { ...create, id: `${create.id}-again` }, carol);
    await waitForInboxIdle(bob.dataDir);
    expect(rows(bob, `SELECT count(*) AS n FROM "MlsEnvelope" WHERE "objectId" = ?`, create.object.id)[0].n).toBe(1);
  });

  it("removing a device in Settings unpublishes its KeyPackages, and the device learns it", async () => {
    expect(await call(bobWeb, "removeDeviceAction", { deviceId: bobDevice })).toEqual({});
    expect(JSON.parse((await bobWeb.get("/users/bob/key_packages", AS_JSON)).body)).toMatchObject({ totalItems: 0, items: [] });
    expect(await call(bobWeb, "deviceStatusAction", { deviceId: bobDevice })).toEqual({ exists: false, keyPackages: 0 });
    expect(await call(bobWeb, "listDevicesAction")).toEqual([]);
    const answers = await call(aliceWeb, "keyPackagesOfAction", { deviceId: aliceDevice, actors: [bob.actor] });
    expect(answers[0]).toMatchObject({ actor: bob.actor, supported: false });
  });
});
