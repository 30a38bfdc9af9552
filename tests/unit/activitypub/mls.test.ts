import fc from "fast-check";
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  createGroupInfoWithExternalPub,
  decodeMlsMessage,
  defaultCapabilities,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  processPrivateMessage,
  type CiphersuiteImpl,
  type Credential,
  type MLSMessage,
} from "ts-mls";
import { beforeAll, describe, expect, it } from "vitest";
import { AddressingError, PUBLIC } from "@/lib/activitypub/addressing";
import { bytesToBase64 } from "@/lib/activitypub/base64";
import {
  MAX_MLS_BYTES,
  MLS_CONTEXT,
  MLS_KINDS,
  MLS_SUMMARIES,
  MLS_WIREFORMATS,
  MlsEnvelopeError,
  buildKeyPackageObject,
  buildKeyPackagesCollection,
  buildMlsMessage,
  keyPackagesCollectionOf,
  readMlsEnvelope,
  withKeyPackages,
  MLS_ACTOR_TERMS,
  type MlsKind,
  type MlsMessageKind,
} from "@/lib/activitypub/mls";

// The AS2 ↔ MLS envelope mapping of lib/activitypub/mls.ts, three ways:
// real MLS messages from ts-mls carried through the envelopes as JSON text (a
// member joins and decrypts from what came out), the draft's own examples, and
// malformed or random input.

const SUITE = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" as const;
const ALICE = "https://a.example/users/alice";
const BOB = "https://b.example/users/bob";
const PUBLISHED = new Date("2026-12-03T12:00:00.000Z");
const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.MOIETY_FUZZ_FACTOR ?? 1)));

/** What a JSON object becomes after a trip through an inbox: text, then parsed again. */
const travel = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Bytes that start like an MLSMessage of this kind (version mls10, its wire format) and go on at random. */
const headed = (kind: MlsKind, body: Uint8Array = new Uint8Array([7, 7, 7])) =>
  new Uint8Array([0, 1, 0, MLS_WIREFORMATS[kind], ...body]);

/** Envelope and send one MLS message as the owner would: the object for a KeyPackage, the Create otherwise. */
function envelope(kind: MlsKind, bytes: Uint8Array, n = 1): unknown {
  const input = { id: `${ALICE}/mls/${n}`, attributedTo: ALICE, published: PUBLISHED, bytes };
  if (kind === "KeyPackage") return buildKeyPackageObject(input);
  return buildMlsMessage({ ...input, kind, recipients: [BOB] }).create;
}

/** The bytes an envelope carried, after the trip, failing the test with the reader's words if it refused. */
function carried(json: unknown, kind: MlsKind): Uint8Array {
  const read = readMlsEnvelope(travel(json));
  if (!read.ok) throw new Error(read.error);
  expect(read.kind).toBe(kind);
  return read.bytes;
}

const WIREFORMAT_OF: Record<MlsKind, MLSMessage["wireformat"]> = {
  KeyPackage: "mls_key_package",
  Welcome: "mls_welcome",
  PrivateMessage: "mls_private_message",
  PublicMessage: "mls_public_message",
  GroupInfo: "mls_group_info",
};

function decoded(bytes: Uint8Array): MLSMessage {
  const result = decodeMlsMessage(bytes, 0);
  if (!result) throw new Error("ts-mls could not decode the bytes");
  expect(result[1]).toBe(bytes.length); // every byte read: nothing lost, nothing added
  return result[0];
}

// ─── real MLS messages ───────────────────────────────────────────────────────

describe("real MLS messages through the envelopes", () => {
  let impl: CiphersuiteImpl;
  const samples = {} as Record<MlsKind, Uint8Array>;
  const text = "Meet at the usual place, 8 pm.";
  let bobJoined: Awaited<ReturnType<typeof joinGroup>>;

  beforeAll(async () => {
    impl = await getCiphersuiteImpl(getCiphersuiteFromName(SUITE));
    const capabilities = { ...defaultCapabilities(), ciphersuites: [SUITE] };
    const now = BigInt(Math.floor(PUBLISHED.getTime() / 1000));
    const lifetime = { notBefore: now - 60n, notAfter: now + 30n * 86_400n };
    const credential = (actor: string): Credential => ({ credentialType: "basic", identity: new TextEncoder().encode(actor) });
    const alice = await generateKeyPackage(credential(ALICE), capabilities, lifetime, [], impl);
    const bob = await generateKeyPackage(credential(BOB), capabilities, lifetime, [], impl);

    // Bob publishes a KeyPackage; Alice adds the one she read back from its envelope.
    samples.KeyPackage = encodeMlsMessage({ version: "mls10", wireformat: "mls_key_package", keyPackage: bob.publicPackage });
    const fetched = decoded(carried(envelope("KeyPackage", samples.KeyPackage), "KeyPackage"));
    if (fetched.wireformat !== "mls_key_package") throw new Error("not a key package");

    const group = await createGroup(new TextEncoder().encode("conversation-1"), alice.publicPackage, alice.privatePackage, [], impl);
    const commit = await createCommit(
      { state: group, cipherSuite: impl },
      { extraProposals: [{ proposalType: "add", add: { keyPackage: fetched.keyPackage } }], ratchetTreeExtension: true, wireAsPublicMessage: true },
    );
    if (!commit.welcome) throw new Error("no Welcome");
    samples.PublicMessage = encodeMlsMessage(commit.commit);
    samples.Welcome = encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: commit.welcome });
    const groupInfo = await createGroupInfoWithExternalPub(commit.newState, [], impl);
    samples.GroupInfo = encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo });
    const sent = await createApplicationMessage(commit.newState, new TextEncoder().encode(text), impl);
    samples.PrivateMessage = encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage: sent.privateMessage });

    // Bob joins from the Welcome that came out of its envelope.
    const welcome = decoded(carried(envelope("Welcome", samples.Welcome), "Welcome"));
    if (welcome.wireformat !== "mls_welcome") throw new Error("not a Welcome");
    bobJoined = await joinGroup(welcome.welcome, bob.publicPackage, bob.privatePackage, emptyPskIndex, impl);
  });

  it.each(MLS_KINDS)("a %s survives build → JSON text → read, byte for byte, with the wire format its type names", (kind) => {
    const bytes = carried(envelope(kind, samples[kind]), kind);
    expect(bytes).toEqual(samples[kind]);
    expect(decoded(bytes).wireformat).toBe(WIREFORMAT_OF[kind]);
  });

  it("Bob, who joined from the enveloped Welcome, decrypts Alice's message from its envelope", async () => {
    const message = decoded(carried(envelope("PrivateMessage", samples.PrivateMessage), "PrivateMessage"));
    if (message.wireformat !== "mls_private_message") throw new Error("not a PrivateMessage");
    const result = await processPrivateMessage(bobJoined, message.privateMessage, emptyPskIndex, impl);
    expect(result.kind).toBe("applicationMessage");
    if (result.kind === "applicationMessage") expect(new TextDecoder().decode(result.message)).toBe(text);
  });

  it("the GroupInfo names the group Bob joined", () => {
    const info = decoded(carried(envelope("GroupInfo", samples.GroupInfo), "GroupInfo"));
    if (info.wireformat !== "mls_group_info") throw new Error("not a GroupInfo");
    expect(info.groupInfo.groupContext.groupId).toEqual(bobJoined.groupContext.groupId);
  });

  it("what is sent: the draft's properties, the fallback summary, the same named audience on Create and object", () => {
    const { object, create } = buildMlsMessage({
      kind: "PrivateMessage",
      id: `${ALICE}/mls/9`,
      attributedTo: ALICE,
      published: PUBLISHED,
      bytes: samples.PrivateMessage,
      recipients: [BOB, BOB],
      generator: { id: "https://a.example/", name: "Moiety" },
      conversation: `${ALICE}/conversations/1`,
    });
    expect(object).toMatchObject({
      "@context": ["https://www.w3.org/ns/activitystreams", MLS_CONTEXT],
      type: "PrivateMessage",
      mediaType: "message/mls",
      encoding: "base64",
      summary: MLS_SUMMARIES.PrivateMessage,
      content: Buffer.from(samples.PrivateMessage).toString("base64"),
      to: [BOB],
      cc: [],
      published: "2026-12-03T12:00:00.000Z",
      generator: { id: "https://a.example/", type: "Application", name: "Moiety" },
      conversation: `${ALICE}/conversations/1`,
      context: `${ALICE}/conversations/1`,
    });
    expect(create).toMatchObject({ type: "Create", id: `${ALICE}/mls/9/activity`, actor: ALICE, to: [BOB], cc: [] });
    expect(create.object).not.toHaveProperty("@context");
    expect(readMlsEnvelope(travel(create))).toMatchObject({ ok: true, conversation: `${ALICE}/conversations/1` });
    // A KeyPackage is public, and names its cipher suite as read from ts-mls's own bytes.
    const keyPackage = buildKeyPackageObject({ id: `${ALICE}/kp/1`, attributedTo: ALICE, published: PUBLISHED, bytes: samples.KeyPackage });
    expect(keyPackage).toMatchObject({ type: "KeyPackage", to: [PUBLIC], ciphersuite: SUITE, summary: MLS_SUMMARIES.KeyPackage });
  });
});

// ─── the draft's examples ────────────────────────────────────────────────────
// Copied from swicg/activitypub-e2ee mls.html as they stand, placeholders and
// typos included: the version followed, 95f09765c41ac52dfb7f424b765c44ced2cf11e0
// (28 Jul 2026), and two examples of the 11 Jun 2025 version
// (0bc114fc2a9b73f007e5cc34970fa99cc0896a3e) that contradicted its prose and
// have been corrected since. Every `content` is a placeholder, not base64; to
// read an example as the prose means it, the placeholder is replaced by bytes
// of the kind it stands for.

/** "An MLS private message delivered over ActivityPub" (Delivery Service): follows the prose. */
const DRAFT_CREATE_PRIVATE_MESSAGE = `{
  "@context": [
    "https://www.w3.org/ns/activitystreams",
    "https://purl.archive.org/socialweb/mls"
  ],
  "type": "Create",
  "id": "https://social.example/user/example1/create/2",
  "actor": "https://social.example/user/example1",
  "to": ["https://other.example/user/example2","https://third.example/user/example3"],
  "object": {
    "type": ["Object", "PrivateMessage"],
    "id": "https://social.example/user/example1/privatemessage/1",
    "attributedTo": "https://social.example/user/example1",
  "to": ["https://other.example/user/example2","https://third.example/user/example3"],
    "summary": "This is an encrypted private message. See https://swicg.github.io/activitypub-e2ee/ for information about how to read messages like these.",
    "mediaType": "message/mls",
    "encoding": "base64",
    "content": "[base64-encoded private message object]",
    "conversation": "https://social.example/user/example1/collections/18",
    "context": "https://social.example/user/example1/collections/18"
  }
}`;

/** "Creating a key package" (Key storage): follows the prose (a public KeyPackage), but is not JSON: `"base64,` lacks its closing quote. */
const DRAFT_CREATE_KEY_PACKAGE = `{
  "@context": [
    "https://www.w3.org/ns/activitystreams",
    "https://purl.archive.org/socialweb/mls"
  ],
  "type": "Create",
  "id": "https://social.example/user/example1/create/3",
  "actor": "https://social.example/user/example1",
  "to": "as:Public",
  "object": {
    "type": ["Object", "KeyPackage"],
    "id": "https://social.example/user/example1/keyPackage/C",
    "attributedTo": "https://social.example/user/example1",
    "to": "as:Public",
    "summary": "This is binary-encoded cryptographic key package. See https://swicg.github.io/activitypub-e2ee/ for information about how to read messages like these.",
    "mediaType": "message/mls",
    "encoding": "base64,
    "content": "[base64-encoded private message object]",
    "generator": {
      "id": "https://client.example/actor",
      "type": "Application",
      "name": "Example MLS over ActivityPub client"
    }
  }
}`;

const CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://purl.archive.org/socialweb/mls"];
const GENERATOR = { id: "https://client.example/actor", type: "Application", name: "MLS-enabled ActivityPub client" };
const TWO = ["https://social.example/users/example1", "https://another.example/users/example2"];
const THREE = ["https://other.example/user/example2", "https://third.example/user/example3"];
const PLACEHOLDER = "[base64-encoded MLSMessage]";
const PM_SUMMARY = "This is an encrypted private message. See https://swicg.github.io/activitypub-e2ee/ for information about how to read messages like these.";

/** The Terms section's example of a type: all alike but for these four properties. */
const termsExample = (type: string, path: string, to: unknown, summary: string): Record<string, unknown> => ({
  "@context": CONTEXT,
  id: `https://example.com/users/alyssa/${path}`,
  type,
  attributedTo: "https://example.com/users/alyssa",
  to,
  mediaType: "message/mls",
  encoding: "base64",
  summary,
  content: PLACEHOLDER,
  generator: GENERATOR,
});
const ONE = "https://social.example/user/example1";
const TERMS_KEY_PACKAGE = termsExample("KeyPackage", "keypackage/1", "as:Public", "This is a key package in MLS format.");
const TERMS_WELCOME = termsExample("Welcome", "welcome/1", ONE, "This is a welcome packet in MLS format.");

/** The object examples, each as the draft has it, and what kind of MLSMessage its placeholder stands for. */
const DRAFT_OBJECTS: { name: string; carries: MlsKind; follows: boolean; json: Record<string, unknown> }[] = [
  { name: "PublicMessage (Terms)", carries: "PublicMessage", follows: true, json: termsExample("PublicMessage", "publicmessage/1", TWO, "This is a public message in MLS format.") },
  { name: "PrivateMessage (Terms)", carries: "PrivateMessage", follows: true, json: termsExample("PrivateMessage", "privatemessage/1", TWO, "This is a private message in MLS format.") },
  { name: "KeyPackage (Terms)", carries: "KeyPackage", follows: true, json: TERMS_KEY_PACKAGE },
  { name: "GroupInfo (Terms)", carries: "GroupInfo", follows: true, json: termsExample("GroupInfo", "groupinfo/1", ONE, "This is a group information packet in MLS format.") },
  { name: "Welcome (Terms)", carries: "Welcome", follows: true, json: TERMS_WELCOME },
  {
    name: "PrivateMessage with a conversation (Terms, conversation)",
    carries: "PrivateMessage",
    follows: true,
    json: { "@context": CONTEXT, type: ["Object", "PrivateMessage"], id: "https://social.example/user/example1/privatemessage/1", attributedTo: ONE, to: THREE, summary: PM_SUMMARY, mediaType: "message/mls", encoding: "base64", content: "[base64-encoded private message object]", conversation: "https://social.example/user/example1/collections/18" },
  },
  // The 11 Jun 2025 version's examples were the same but for these types, which contradicted the prose.
  { name: "KeyPackage of the 11 Jun 2025 version, typed PrivateMessage", carries: "KeyPackage", follows: false, json: { ...TERMS_KEY_PACKAGE, type: "PrivateMessage" } },
  { name: "Welcome of the 11 Jun 2025 version, typed GroupInfo", carries: "Welcome", follows: false, json: { ...TERMS_WELCOME, type: "GroupInfo" } },
];

/** The `ciphersuite` term's example: a KeyPackage that says it is for P-256. */
const DRAFT_P256_KEY_PACKAGE = { ...TERMS_KEY_PACKAGE, ciphersuite: "MLS_128_DHKEMP256_AES128GCM_SHA256_P256" };

/** The start of a KeyPackage MLSMessage for a cipher suite: header, then the KeyPackage's version (mls10) and cipher_suite. */
const keyPackageFor = (suite: number) => headed("KeyPackage", new Uint8Array([0, 1, 0, suite, 9, 9, 9]));

describe("the draft's examples", () => {
  it("the key package's Create is not JSON as published (an unclosed string), and is once the quote is added", () => {
    expect(() => JSON.parse(DRAFT_CREATE_KEY_PACKAGE)).toThrow(SyntaxError);
    expect(() => JSON.parse(DRAFT_CREATE_KEY_PACKAGE.replace('"base64,', '"base64",'))).not.toThrow();
  });

  it("every example carries a placeholder, not base64, and is refused for exactly that", () => {
    const creates = [JSON.parse(DRAFT_CREATE_PRIVATE_MESSAGE), JSON.parse(DRAFT_CREATE_KEY_PACKAGE.replace('"base64,', '"base64",'))];
    for (const example of [...DRAFT_OBJECTS.map((e) => e.json), DRAFT_P256_KEY_PACKAGE, ...creates]) {
      expect(readMlsEnvelope(example)).toEqual({ ok: false, error: "The content is not base64." });
    }
  });

  it("the Create of a PrivateMessage, given PrivateMessage bytes, is read as the prose says, conversation included", () => {
    const create = JSON.parse(DRAFT_CREATE_PRIVATE_MESSAGE);
    create.object.content = bytesToBase64(headed("PrivateMessage"));
    expect(readMlsEnvelope(create)).toMatchObject({
      ok: true,
      kind: "PrivateMessage",
      id: "https://social.example/user/example1/privatemessage/1",
      attributedTo: "https://social.example/user/example1",
      to: THREE,
      conversation: "https://social.example/user/example1/collections/18",
      activity: { id: "https://social.example/user/example1/create/2", actor: "https://social.example/user/example1" },
    });
  });

  it("the Create of a public KeyPackage, given KeyPackage bytes, is read as the prose says", () => {
    const create = JSON.parse(DRAFT_CREATE_KEY_PACKAGE.replace('"base64,', '"base64",'));
    create.object.content = bytesToBase64(keyPackageFor(1));
    expect(readMlsEnvelope(create)).toMatchObject({ ok: true, kind: "KeyPackage", to: ["as:Public"], ciphersuite: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519" });
  });

  it.each(DRAFT_OBJECTS)("$name, given bytes of the kind it stands for", ({ carries, follows, json }) => {
    const read = readMlsEnvelope({ ...json, content: bytesToBase64(headed(carries)) });
    if (follows) expect(read).toMatchObject({ ok: true, kind: carries, id: json.id, attributedTo: json.attributedTo });
    else expect(read).toEqual({ ok: false, error: `The object is typed ${json.type} but its content is a ${carries}.` });
  });

  it("the old KeyPackage example, given the PrivateMessage its type claims, is refused for its public addressing", () => {
    const keyPackage = DRAFT_OBJECTS.find((e) => e.name.startsWith("KeyPackage of the 11 Jun 2025"))!.json;
    expect(readMlsEnvelope({ ...keyPackage, content: bytesToBase64(headed("PrivateMessage")) })).toEqual({
      ok: false,
      error: "A PrivateMessage must be addressed only to named actors, never to the public or to followers.",
    });
  });

  it("the ciphersuite example is read with P-256 key package bytes, and refused with X25519 ones", () => {
    expect(readMlsEnvelope({ ...DRAFT_P256_KEY_PACKAGE, content: bytesToBase64(keyPackageFor(2)) })).toMatchObject({ ok: true, ciphersuite: "MLS_128_DHKEMP256_AES128GCM_SHA256_P256" });
    expect(readMlsEnvelope({ ...DRAFT_P256_KEY_PACKAGE, content: bytesToBase64(keyPackageFor(1)) })).toEqual({
      ok: false,
      error: 'The KeyPackage\'s ciphersuite is "MLS_128_DHKEMP256_AES128GCM_SHA256_P256", but its content uses MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.',
    });
    // Bytes of a suite RFC 9420 does not list are not P-256 either; a name outside the list, on such bytes, cannot be checked and is taken as given.
    expect(readMlsEnvelope({ ...DRAFT_P256_KEY_PACKAGE, content: bytesToBase64(keyPackageFor(77)) })).toEqual({
      ok: false,
      error: 'The KeyPackage\'s ciphersuite is "MLS_128_DHKEMP256_AES128GCM_SHA256_P256", but its content uses another.',
    });
    const pq = "MLS_128_MLKEM512_AES128GCM_SHA256_Ed25519";
    expect(readMlsEnvelope({ ...DRAFT_P256_KEY_PACKAGE, ciphersuite: pq, content: bytesToBase64(keyPackageFor(77)) })).toMatchObject({ ok: true, ciphersuite: pq });
    expect(readMlsEnvelope({ ...DRAFT_P256_KEY_PACKAGE, ciphersuite: [2], content: bytesToBase64(keyPackageFor(2)) })).toEqual({
      ok: false,
      error: "The KeyPackage's ciphersuite is a list, not the name of a cipher suite.",
    });
  });

  it("keyPackages: the Key storage example (a Collection) and the term's example (its URL) follow the prose; the Context examples (a list) do not", () => {
    const keyStorage = {
      "@context": CONTEXT,
      type: "Person",
      id: "https://social.example/user/example1",
      name: "Example User",
      preferredUsername: "example1",
      inbox: "https://social.example/user/example1/inbox",
      outbox: "https://social.example/user/example1/outbox",
      keyPackages: {
        type: "Collection",
        id: "https://social.example/user/example1/keyPackages",
        totalItems: 2,
        items: ["https://social.example/user/example1/keyPackage/A", "https://social.example/user/example1/keyPackage/B"],
      },
    };
    expect(keyPackagesCollectionOf(keyStorage)).toEqual({ ok: true, id: "https://social.example/user/example1/keyPackages" });
    // What Moiety serves has the same shape as the draft's collection.
    const { "@context": _context, ...ours } = buildKeyPackagesCollection({ id: keyStorage.keyPackages.id, items: keyStorage.keyPackages.items });
    expect(ours).toEqual(keyStorage.keyPackages);

    const term = { "@context": CONTEXT, id: "https://example.com/users/alyssa", type: "Person", name: "Alyssa P. Hacker", inbox: "https://example.com/users/alyssa/inbox", outbox: "https://example.com/users/alyssa/outbox", followers: "https://example.com/users/alyssa/followers", following: "https://example.com/users/alyssa/following", liked: "https://example.com/users/alyssa/liked", keyPackages: "https://example.com/users/alyssa/key" };
    expect(keyPackagesCollectionOf(term)).toEqual({ ok: true, id: "https://example.com/users/alyssa/key" });

    const context = { "@context": CONTEXT, id: "https://example.com/users/evan", type: "Person", name: "Evan Prodromou", keyPackages: ["https://example.com/keys/evan/client1", "https://example.com/keys/evan/client2"] };
    expect(keyPackagesCollectionOf(context)).toEqual({ ok: false, error: "The actor's keyPackages is a list, not a Collection." });
  });

  it("the encoding term's example is an Image of application data, not an envelope, and is refused as such", () => {
    const image = { "@context": CONTEXT, id: "https://example.com/image/1", type: "Image", name: "One-pixel PNG", mediaType: "image/png", encoding: "base64", content: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABAQMAAAAl21bKAAAAA1BMVEUAAACnej3aAAAAAXRSTlMAQObYZgAAAApJREFUCNdjYAAAAAIAAeIhvDMAAAAASUVORK5CYII=" };
    expect(readMlsEnvelope(image)).toEqual({ ok: false, error: "The object's type (Image) is not one of PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage." });
  });
});

// ─── malformed input ─────────────────────────────────────────────────────────

/** A valid PrivateMessage object as received, to spoil one property at a time. */
const good = () => buildMlsMessage({ kind: "PrivateMessage", id: `${ALICE}/mls/1`, attributedTo: ALICE, published: PUBLISHED, bytes: headed("PrivateMessage"), recipients: [BOB] });
const refusal = (patch: Record<string, unknown>) => readMlsEnvelope({ ...good().object, ...patch });
const refused = (error: string) => ({ ok: false, error });

describe("malformed envelopes get a reason in plain words", () => {
  it("the valid one is read", () => {
    expect(readMlsEnvelope(travel(good().object))).toMatchObject({ ok: true, kind: "PrivateMessage", to: [BOB], cc: [], published: "2026-12-03T12:00:00.000Z" });
  });

  it("mediaType and encoding", () => {
    expect(refusal({ mediaType: "text/plain" })).toEqual(refused('The mediaType is "text/plain", not "message/mls".'));
    expect(refusal({ mediaType: undefined })).toEqual(refused('The mediaType is missing, not "message/mls".'));
    expect(refusal({ mediaType: ["message/mls"] })).toEqual(refused('The mediaType is a list, not "message/mls".'));
    expect(refusal({ encoding: "quoted-printable" })).toEqual(refused('The encoding is "quoted-printable", not "base64".'));
    // Case and parameters do not change a media type or transfer encoding; a missing encoding is the draft's default, base64.
    expect(refusal({ mediaType: "Message/MLS; version=1.0", encoding: "BASE64" }).ok).toBe(true);
    expect(refusal({ encoding: undefined }).ok).toBe(true);
  });

  it("content that is not canonical standard base64", () => {
    const text = good().object.content;
    expect(refusal({ content: "not base64!" })).toEqual(refused("The content is not base64."));
    expect(refusal({ content: text.replace(/=+$/, "") })).toEqual(refused("The content's base64 lacks its = padding."));
    expect(refusal({ content: `${text.slice(0, 4)}\n${text.slice(4)}` })).toEqual(refused("The content has spaces or line breaks; its base64 must be one unbroken line."));
    expect(refusal({ content: Buffer.from(headed("PrivateMessage", new Uint8Array([0xfb, 0xff]))).toString("base64url") })).toEqual(
      refused("The content is URL-safe base64 (it has - or _); it must be standard base64, with + and /."),
    );
    // Both decode to [0, 1, 0, 2, 7]; "d" sets the two bits after the last byte that an encoder leaves zero.
    expect(refusal({ content: "AAEAAgc=" })).toMatchObject({ ok: true, bytes: new Uint8Array([0, 1, 0, 2, 7]) });
    expect(refusal({ content: "AAEAAgd=" })).toEqual(refused("The content is not canonical base64 (its last character has stray bits)."));
    expect(refusal({ content: 42 })).toEqual(refused("The PrivateMessage has no content (a base64 string)."));
  });

  it("empty, too short, oversize, or not an MLS message of its type", () => {
    expect(refusal({ content: "" })).toEqual(refused("The content is empty."));
    expect(refusal({ content: "AAE=" })).toEqual(refused("The content is 2 bytes, too short to be an MLS message."));
    expect(refusal({ content: bytesToBase64(new Uint8Array([0, 2, 0, 2])) })).toEqual(refused("The content is not an MLS 1.0 message (its version field is 2)."));
    expect(refusal({ content: bytesToBase64(new Uint8Array([0, 1, 0, 9])) })).toEqual(refused("The object is typed PrivateMessage but its content is of unknown MLS wire format 9."));
    expect(refusal({ content: bytesToBase64(headed("Welcome")) })).toEqual(refused("The object is typed PrivateMessage but its content is a Welcome."));

    const largest = headed("PrivateMessage", new Uint8Array(MAX_MLS_BYTES - 4));
    expect(refusal({ content: bytesToBase64(largest) }).ok).toBe(true);
    const over = headed("PrivateMessage", new Uint8Array(MAX_MLS_BYTES - 3));
    expect(refusal({ content: bytesToBase64(over) })).toEqual(refused(`The content is ${MAX_MLS_BYTES + 1} bytes; an MLS object carries at most ${MAX_MLS_BYTES}.`));
    expect(refusal({ content: "A".repeat(2 * MAX_MLS_BYTES) })).toEqual(refused(`The content is over ${MAX_MLS_BYTES} bytes; an MLS object carries at most that.`));
  });

  it("missing id or author, and types that are not one of the five", () => {
    expect(refusal({ id: undefined })).toEqual(refused("The PrivateMessage has no id (an http(s) URL)."));
    expect(refusal({ id: "urn:uuid:1" })).toEqual(refused("The PrivateMessage has no id (an http(s) URL)."));
    expect(refusal({ attributedTo: undefined })).toEqual(refused("The PrivateMessage needs exactly one attributedTo, its author's actor URL."));
    expect(refusal({ attributedTo: [ALICE, BOB] })).toEqual(refused("The PrivateMessage needs exactly one attributedTo, its author's actor URL."));
    expect(refusal({ type: "Note" })).toEqual(refused("The object's type (Note) is not one of PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage."));
    expect(refusal({ type: undefined })).toEqual(refused("The object's type (none) is not one of PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage."));
    expect(refusal({ type: ["PrivateMessage", "Welcome"] })).toEqual(refused("The object has more than one MLS type (PrivateMessage, Welcome)."));
    // The draft's terms, prefixed or spelled out in full, are the same types.
    expect(refusal({ type: ["Object", "mls:PrivateMessage"] }).ok).toBe(true);
    expect(refusal({ type: `${MLS_CONTEXT}#PrivateMessage` }).ok).toBe(true);
    expect(readMlsEnvelope("PrivateMessage")).toEqual(refused("An MLS object must be a JSON object."));
  });

  it("messages addressed beyond named actors; only a KeyPackage is public", () => {
    const wide = "A PrivateMessage must be addressed only to named actors, never to the public or to followers.";
    expect(refusal({ to: [BOB], cc: [PUBLIC] })).toEqual(refused(wide));
    expect(refusal({ to: [`${ALICE}/followers`] })).toEqual(refused(wide));
    expect(refusal({ to: [], cc: [] })).toEqual(refused(wide));
    const { create } = good();
    expect(readMlsEnvelope({ ...create, bcc: ["as:Public"] })).toEqual(refused(wide));
  });

  it("a Create must embed one object, by its own author", () => {
    const { create } = good();
    expect(readMlsEnvelope({ ...create, actor: BOB })).toEqual(refused(`The Create's actor (${BOB}) is not the author of its PrivateMessage (${ALICE}).`));
    expect(readMlsEnvelope({ ...create, object: create.object.id })).toEqual(refused("The Create only names its object; an MLS object must be embedded in it."));
    expect(readMlsEnvelope({ ...create, object: [create.object, create.object] })).toEqual(refused("The Create must carry exactly one object."));
    expect(readMlsEnvelope({ ...create, id: undefined })).toEqual(refused("The Create has no id (an http(s) URL)."));
    expect(readMlsEnvelope({ ...create, actor: undefined })).toEqual(refused("The Create has no actor."));
  });
});

describe("the builders refuse what the reader would", () => {
  const input = { id: `${ALICE}/mls/1`, attributedTo: ALICE, published: PUBLISHED, recipients: [BOB] };

  it("never public, never followers, never nobody", () => {
    for (const recipients of [[PUBLIC], ["as:Public"], [`${BOB}/followers`], []]) {
      expect(() => buildMlsMessage({ ...input, kind: "Welcome", bytes: headed("Welcome"), recipients })).toThrow(AddressingError);
    }
  });

  it("bytes that are empty, oversize or of another kind, and ids that are not URLs", () => {
    expect(() => buildMlsMessage({ ...input, kind: "Welcome", bytes: new Uint8Array() })).toThrow(new MlsEnvelopeError("The content is empty."));
    expect(() => buildMlsMessage({ ...input, kind: "Welcome", bytes: headed("Welcome", new Uint8Array(MAX_MLS_BYTES)) })).toThrow(MlsEnvelopeError);
    expect(() => buildMlsMessage({ ...input, kind: "Welcome", bytes: headed("GroupInfo") })).toThrow("The object is typed Welcome but its content is a GroupInfo.");
    expect(() => buildKeyPackageObject({ ...input, id: "urn:uuid:1", bytes: headed("KeyPackage") })).toThrow("A KeyPackage needs an http(s) id and attributedTo.");
  });

  it("the actor gains the keyPackages term, defined inline once, and the property", () => {
    const AS2 = "https://www.w3.org/ns/activitystreams";
    const actor = withKeyPackages({ "@context": [AS2], id: ALICE, type: "Person" }, `${ALICE}/keyPackages`);
    expect(actor).toEqual({ "@context": [AS2, MLS_ACTOR_TERMS], id: ALICE, type: "Person", keyPackages: `${ALICE}/keyPackages` });
    expect(withKeyPackages(actor, `${ALICE}/keyPackages`)["@context"]).toEqual([AS2, MLS_ACTOR_TERMS]);
    expect(withKeyPackages({ "@context": AS2 }, `${ALICE}/keyPackages`)["@context"]).toEqual([AS2, MLS_ACTOR_TERMS]);
    expect(keyPackagesCollectionOf(actor)).toEqual({ ok: true, id: `${ALICE}/keyPackages` });
  });
});

// ─── properties ──────────────────────────────────────────────────────────────

describe("properties", () => {
  const kind = fc.constantFrom<MlsKind>(...MLS_KINDS);
  const actorUrl = fc.webUrl({ withFragments: false, withQueryParameters: false }).filter((u) => !u.toLowerCase().endsWith("/followers"));

  it("random JSON, or a valid envelope with one property replaced by random JSON, never makes the reader throw", () => {
    const property = fc.constantFrom("type", "id", "attributedTo", "to", "cc", "mediaType", "encoding", "content", "object", "actor");
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), property, fc.boolean(), (json, key, inCreate) => {
        const { object, create } = good();
        for (const value of [json, inCreate ? { ...create, [key]: json } : { ...object, [key]: json }]) {
          const read = readMlsEnvelope(value);
          if (!read.ok) expect(typeof read.error).toBe("string");
        }
      }),
      { numRuns: runs(500) },
    );
  });

  it("any JavaScript value never makes the reader throw", () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 3, withBigInt: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true }), (value) => {
        readMlsEnvelope(value);
        keyPackagesCollectionOf(value);
      }),
      { numRuns: runs(300) },
    );
  });

  it("build → JSON text → read is the identity on random bytes of each kind", () => {
    fc.assert(
      fc.property(kind, fc.uint8Array({ maxLength: 3000 }), fc.uniqueArray(actorUrl, { minLength: 1, maxLength: 4 }), fc.date({ noInvalidDate: true, min: new Date(0), max: new Date("9999-12-31") }), fc.option(actorUrl, { nil: undefined }), (k, body, recipients, published, conversation) => {
        const bytes = headed(k, body);
        const input = { id: `${ALICE}/mls/${body.length}`, attributedTo: ALICE, published, bytes };
        const built = k === "KeyPackage" ? buildKeyPackageObject(input) : buildMlsMessage({ ...input, kind: k as MlsMessageKind, recipients, conversation }).create;
        const read = readMlsEnvelope(travel(built));
        expect(read).toMatchObject({ ok: true, kind: k, id: input.id, attributedTo: ALICE, published: published.toISOString(), summary: MLS_SUMMARIES[k] });
        if (read.ok) expect(read.conversation).toBe(k === "KeyPackage" ? undefined : conversation);
        if (read.ok) {
          expect(read.bytes).toEqual(bytes);
          expect(read.to).toEqual(k === "KeyPackage" ? [PUBLIC] : recipients);
        }
      }),
      { numRuns: runs(200) },
    );
  });

});
